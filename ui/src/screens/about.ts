// About Tufa: the running version and the app's own updates, through
// tauri-plugin-tufa (check → download with progress → install on exit or
// restart now). Whether this copy can update itself is the app's call
// (src-tauri/src/self_update.rs); this screen shows it.
import { cancel, check, download, install, restart, type DownloadEvent, type UpdateInfo } from "tauri-plugin-tufa-api";
import { api, type SelfUpdateInfo } from "../api";
import { progressBox } from "../components";
import { $, app, on, val } from "../dom";
import { bytes } from "../format";
import { html, render, type Html } from "../html";
import { setNav } from "../shell";

const PHASE: Record<DownloadEvent["phase"], string> = {
  downloading: "Downloading",
  patching: "Applying the patch",
  unpacking: "Unpacking",
};

function trustText(trust: string | null): Html {
  if (trust === "bundle") return html`the repository's root shipped with this copy (update-root.json)`;
  if (trust === "built_in") return html`the repository's root built into this copy`;
  return html`<span class="muted">none</span>`;
}

export async function showAbout(): Promise<void> {
  const s = await api.selfUpdateInfo();
  render(
    app(),
    html`
    <section id="about">
      <h1>About Tufa</h1>
      <div class="table-wrap"><table class="facts">
        <tr><th>Version</th><td id="about-version">${s.version}</td></tr>
        <tr><th>Installed in</th><td id="about-dir">${s.install_dir}</td></tr>
        <tr><th>Updates trusted from</th><td>${trustText(s.trust)}</td></tr>
      </table></div>
      <h2>Updates</h2>
      ${s.blocked ? html`<p id="update-blocked" class="note">This copy of Tufa does not update itself: ${s.blocked}.</p>` : updateForm(s)}
    </section>`,
  );
  if (!s.blocked) wireUpdates(s);
  setNav("about");
}

function updateForm(s: SelfUpdateInfo): Html {
  return html`
    <div class="row" data-enter="update-url-save">
      <label>Update repository <input id="update-url" value="${s.url ?? ""}" placeholder="https://updates.example.com/tufa" style="width:28rem"/></label>
      <button id="update-url-save">Save</button>
    </div>
    <p class="muted">Tufa reads the signed metadata/ and targets/ folders under this address.${
      s.built_in_url && html` Leave it empty for the one built in: ${s.built_in_url}.`
    }</p>
    <p><button id="update-check" ${!s.ready && html`disabled`}>Check for updates</button>${
      !s.ready && html` <span class="muted">Save an update repository first.</span>`
    }</p>
    <div id="update-result"></div>`;
}

function wireUpdates(s: SelfUpdateInfo): void {
  on("#update-url-save", async () => {
    await api.saveUpdateUrl(val("#update-url"));
    await showAbout();
  });
  if (s.ready) on("#update-check", async () => showCheck(await check(), s.version));
}

function showCheck(u: UpdateInfo | null, running: string): void {
  const box = $("#update-result");
  if (!u) {
    render(box, html`<p id="update-latest" class="note">Tufa ${running} is the latest version.</p>`);
    return;
  }
  const how = u.method === "patch" ? "a patch from your version" : "the full archive";
  render(
    box,
    html`<div class="card" id="update-offer">
      <h2 id="update-version">Tufa ${u.version} is available</h2>
      <p class="muted">You have ${u.currentVersion}.${u.required && html` <strong>This update is required.</strong>`}${
        u.rollback && html` The version you run was withdrawn: this takes you back to ${u.version}.`
      }</p>
      ${u.notes && html`<p id="update-notes">${u.notes}</p>`}
      <p id="update-size" data-bytes="${u.downloadSize}">Download: ${bytes(u.downloadSize)}, ${how}.</p>
      <p><button id="update-download">Download</button></p>
      ${progressBox("update-progress", true)}
      <div id="update-ready"></div>
    </div>`,
  );
  on("#update-download", async (b) => {
    const d = await withDownloadProgress(() => download(onProgress));
    b.hidden = true;
    render(
      $("#update-ready"),
      html`<p class="note" id="update-downloaded">Tufa ${d.version} is downloaded and verified (${bytes(d.downloadedBytes)} fetched${
        d.fellBack && html`; the patch did not apply, so the full archive was used`
      }).</p>
      <p><button id="update-restart">Install and restart</button> <button id="update-on-exit" class="secondary">Install when I quit Tufa</button></p>`,
    );
    on("#update-restart", async () => {
      await install("onExit");
      render($("#update-ready"), html`<p class="note" id="update-restarting">Restarting into Tufa ${d.version}…</p>`);
      await restart();
    });
    on("#update-on-exit", async () => {
      const done = await install("onExit");
      render($("#update-ready"), html`<p class="note" id="update-pending">Tufa ${done.version} is installed when you quit Tufa.</p>`);
    });
  });
}

function onProgress(e: DownloadEvent): void {
  const box = document.getElementById("update-progress");
  const bar = box?.querySelector("progress") as HTMLProgressElement | null;
  const text = box?.querySelector(".progress-label") as HTMLElement | null;
  if (bar) {
    if (e.total) bar.value = Math.round((100 * e.done) / e.total);
    else bar.removeAttribute("value");
  }
  if (text) {
    const rate = e.bytesPerSec ? `, ${bytes(e.bytesPerSec)}/s` : "";
    const left = e.etaSecs != null && e.etaSecs >= 1 ? `, ${secondsLeft(e.etaSecs)} left` : "";
    text.textContent = `${PHASE[e.phase]} — ${bytes(e.done)} / ${bytes(e.total)}${rate}${left}`;
  }
}

function secondsLeft(secs: number): string {
  return secs < 90 ? `${Math.round(secs)} s` : `${Math.round(secs / 60)} min`;
}

async function withDownloadProgress<T>(f: () => Promise<T>): Promise<T> {
  const box = document.getElementById("update-progress");
  if (box) {
    box.hidden = false;
    box.querySelector(".cancel-btn")?.addEventListener("click", () => void cancel());
  }
  try {
    return await f();
  } finally {
    if (box) box.hidden = true;
  }
}
