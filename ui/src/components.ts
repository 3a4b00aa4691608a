// Pieces several screens show: the local-vs-published banner, a signing
// request, a progress bar for long operations.
import { listen } from "@tauri-apps/api/event";
import { api, type PublishedState, type RequestView, type UploadReport, type VerifyReport } from "./api";
import { bytes, count, localizeTimes, signatures, when } from "./format";
import { on, focusField } from "./dom";
import { html, render, type Html } from "./html";
import { go } from "./router";

/** "3 changes not uploaded — Upload now", or that the copy is current. */
export function publishBanner(p: PublishedState): Html {
  const n = p.not_uploaded.length + p.to_remove.length;
  if (n === 0 && p.last_upload) {
    return html`<div id="publish-state" class="banner ok" data-changes="0"><span>The published copy at <strong>${p.last_destination ?? ""}</strong> is up to date (uploaded <time datetime="${p.last_upload}">${when(p.last_upload)}</time>).</span></div>`;
  }
  const where = p.destination
    ? html`<button id="upload-now" class="primary">Upload now</button> <span class="muted">to ${p.destination}</span>`
    : html`<button id="setup-publish" class="primary">Choose where to upload…</button>`;
  const what = p.last_upload
    ? html`<strong id="unpublished-count">${count(n, "change")} not uploaded</strong>: clients still see the copy uploaded <time datetime="${p.last_upload}">${when(p.last_upload)}</time>.`
    : html`<strong id="unpublished-count">Not uploaded yet</strong>: releases exist only in the local repository.`;
  return html`<div id="publish-state" class="banner warn" data-changes="${n}"><span>${what}</span> ${where}${progressBox("upload-now-progress")}</div>`;
}

/** Wires the banner's buttons; `after` redraws the screen after an upload. */
export function wirePublishBanner(after: () => Promise<void>): void {
  document.getElementById("setup-publish")?.addEventListener("click", () => {
    // On the Publish screen the destination field is right here.
    if (document.getElementById("publish-to")) focusField("#publish-to");
    else void go("publish", { focus: "#publish-to" });
  });
  if (document.getElementById("upload-now")) {
    on("#upload-now", async () => {
      await withProgress("upload-now-progress", "Uploading", () => api.upload(null, null));
      await after();
    });
  }
}

/** An upload in words: what kind of files, so it reads beside a check. */
export function uploadSummary(r: UploadReport): string {
  const releaseFiles = r.uploaded.filter((f) => f.startsWith("targets/")).length;
  const metadata = r.uploaded.length - releaseFiles;
  const parts = [
    `Uploaded ${count(r.uploaded.length, "file")} (${count(releaseFiles, "release file")}, ${count(metadata, "metadata file")}), ${bytes(r.bytes)}`,
    `${r.skipped.length} already there`,
    `${r.deleted.length} removed`,
  ];
  const unlisted = r.not_listed.length ? ` Not uploaded (not listed by the metadata): ${r.not_listed.join(", ")}.` : "";
  return `${parts.join("; ")}.${unlisted}`;
}

/** A check in words: release files and which metadata versions. */
export function verifySummary(r: VerifyReport): string {
  const verdict = r.problems.length ? `${count(r.problems.length, "problem")}: clients will fail` : "OK: clients can update from this repository";
  const meta = [...(r.root_version !== null ? [`root v${r.root_version}`] : []), ...r.versions.map(([role, v]) => `${role} v${v}`)];
  return `${verdict} (checked ${count(r.targets_checked, "release file")}, ${bytes(r.bytes_checked)}${meta.length ? `, and the metadata: ${meta.join(", ")}` : ""})`;
}

/** A signing request's change, fingerprint and signatures. */
export function requestHtml(v: RequestView): Html {
  const s = v.status;
  const miss = (t: { signatures: number; threshold: number; missing: string[] }) =>
    t.signatures >= t.threshold ? "" : `; missing: ${t.missing.join(", ")}`;
  return html`
    <ul id="req-summary">${s.summary.map((l) => html`<li>${localizeTimes(l)}</li>`)}</ul>
    <p>Fingerprint: <strong id="req-fingerprint" class="fingerprint">${s.fingerprint}</strong></p>
    <p id="req-status" class="${s.complete ? "ok" : "warn"}">${signatures(s.new_root.signatures, s.new_root.threshold)} from the new root${miss(s.new_root)}, ${signatures(s.old_root.signatures, s.old_root.threshold)} from the old${miss(s.old_root)}</p>
    <p class="muted help">A root change needs enough signatures from the keys of the new root and of the current one, so that neither alone can take over.</p>
    ${s.invalid_signatures.length > 0 && html`<p class="warning">Signatures that do not verify (altered request?): ${s.invalid_signatures.join(", ")}</p>`}
    <p class="muted">Request file: <span id="req-file">${v.path}</span></p>`;
}

/** A hidden progress bar, shown by `withProgress`. */
export function progressBox(id: string, cancel = false): Html {
  return html`<div id="${id}" class="progress-box" hidden><progress max="100"></progress> <span class="progress-label"></span>${
    cancel && html` <button class="cancel-btn" id="${id}-cancel">Cancel</button>`
  }</div>`;
}

export interface ProgressEvent {
  label: string;
  done: number;
  total: number | null;
  finished: boolean;
  /** Upload and check: the file being sent or checked. */
  file?: string | null;
  files_done?: number;
  files_total?: number;
}

/** The words beside the bar: phase, file (n of m) and bytes. */
export function progressText(p: ProgressEvent): string {
  const files = p.files_total
    ? p.file
      ? ` ${p.file} (${Math.min(p.files_done ?? 0, p.files_total) + 1} of ${p.files_total})`
      : ` ${p.files_done ?? 0} of ${p.files_total} files`
    : "";
  return `${p.label}${files}${p.total ? ` — ${bytes(p.done)} / ${bytes(p.total)}` : "…"}`;
}

/** Runs `f` with the progress box `id` showing: the engine's progress
 *  events when it sends them, else a moving bar with the elapsed time. */
export async function withProgress<T>(id: string, label: string, f: () => Promise<T>): Promise<T> {
  const box = document.getElementById(id);
  const bar = box?.querySelector("progress") as HTMLProgressElement | null;
  const text = box?.querySelector(".progress-label") as HTMLElement | null;
  const started = Date.now();
  let heard = false;
  if (box) {
    box.hidden = false;
    bar?.removeAttribute("value");
    if (text) text.textContent = `${label}…`;
    box.querySelector(".cancel-btn")?.addEventListener("click", () => void api.cancel());
  }
  const tick = setInterval(() => {
    if (!heard && text) text.textContent = `${label}… ${Math.round((Date.now() - started) / 1000)} s`;
  }, 1000);
  const unlisten = await listen<ProgressEvent>("progress", (e) => {
    const p = e.payload;
    heard = true;
    if (bar) {
      if (p.total) bar.value = Math.round((100 * p.done) / p.total);
      else bar.removeAttribute("value");
    }
    if (text) text.textContent = progressText(p);
  });
  try {
    return await f();
  } finally {
    clearInterval(tick);
    unlisten();
    if (box) box.hidden = true;
  }
}

/** Puts `content` into the element `sel` of the page. */
export function show(sel: string, content: Html): void {
  const el = document.querySelector(sel);
  if (el) render(el, content);
}
