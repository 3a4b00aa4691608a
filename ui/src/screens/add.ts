// A new release: bundle and version, the quick estimate, the exact
// preview (what clients download), signing, then the result with the
// local-vs-published banner.
import { api, type AddEstimate, type PublishedState, type ReleaseArgs } from "../api";
import { bundleChangeBar, chartLegend, downloadsChart } from "../chart";
import { progressBox, publishBanner, wirePublishBanner, withProgress } from "../components";
import { $, app, input, on, pathField, required, val, wireBrowse } from "../dom";
import { bytes, localizeTimes, signatures } from "../format";
import { html, join, render, type Html } from "../html";
import { setPathsHandler } from "../paths";
import { go } from "../router";
import { setNav } from "../shell";
import { reloadStatus } from "../state";
import { stepper, type Step } from "../stepper";

function step(current: Step, note: string | null = null): void {
  render($("#steps"), stepper(current, note));
}

export async function showAdd(): Promise<void> {
  const suggestion = await api.suggestVersion().catch(() => "1.0.0");
  render(
    app(),
    html`
    <section id="add">
      <h1>New release</h1>
      <div id="steps">${stepper("bundle")}</div>
      <div id="dropzone" class="dropzone">Drop the app's bundle folder here, or type or pick its path.</div>
      <div data-enter="preview-btn">
        ${pathField("bundle-path", "Bundle folder", true)}
        <label>Version (PEP 440)<input id="version" type="text" value="${suggestion}"/></label>
      </div>
      <label class="check"><input id="required" type="checkbox"/> Required: clients install this release before any later one</label>
      <label>Release notes<textarea id="notes" rows="3"></textarea></label>
      <div class="actions"><button id="preview-btn" class="primary">Preview</button></div>
      ${progressBox("progress-box", true)}
      <div id="preview"></div>
    </section>`,
  );
  wireBrowse();
  // The engine suggests the version (the bundle's VERSION file, else the
  // next patch version) until the user types one.
  const versionBox = input("#version");
  const bundleBox = input("#bundle-path");
  let versionTyped = false;
  // What the field held when the engine last filled it: a suggestion only
  // replaces its own earlier suggestion, never what the user cleared or
  // is typing (clearing a field fires no input event).
  let lastSuggested = versionBox.value;
  const stale = () => {
    $("#preview").innerHTML = "";
    step("bundle");
  };
  versionBox.addEventListener("input", () => {
    versionTyped = true;
    stale();
  });
  const bundleChanged = async () => {
    stale();
    if (versionTyped || !bundleBox.value.trim()) return;
    const suggested = await api.suggestVersion(bundleBox.value).catch(() => null);
    // The user may have typed a version while the engine answered.
    if (suggested && !versionTyped && versionBox.value === lastSuggested) {
      versionBox.value = suggested;
      lastSuggested = suggested;
    }
  };
  bundleBox.addEventListener("change", () => void bundleChanged());
  setPathsHandler((paths) => {
    bundleBox.value = paths[0];
    void bundleChanged();
  });
  on("#preview-btn", preview);
  setNav("releases");
}

function releaseArgs(): ReleaseArgs {
  return { bundle: required("#bundle-path", "the bundle folder"), version: val("#version"), required: input("#required").checked, notes: val("#notes") };
}

async function preview(): Promise<void> {
  const args = releaseArgs();
  step("preview");
  // A first answer in under a second; the exact figures replace it.
  const estimate = await api.estimateRelease(args.bundle).catch(() => null);
  render($("#preview"), estimate ? estimateView(estimate) : html``);
  const plan = await withProgress("progress-box", "Preparing the preview", () => api.planRelease(args));
  // Keys checked now, not from the status of when the screen opened.
  const status = await reloadStatus();
  const signers = status.keys.filter((k) => k.roles.some((r) => r !== "root"));
  const missing = signers.filter((k) => !k.available);
  step("sign", missing.length > 0 ? `${missing.length} key${missing.length > 1 ? "s" : ""} not here: it will wait for them` : null);
  const files = [plan.archive.name, ...(plan.patch ? [plan.patch.name] : [])];
  render(
    $("#preview"),
    html`
    <h2>Preview</h2>
    ${
      plan.warnings.length > 0 &&
      html`<div id="plan-warnings" class="note warnings">${plan.warnings.map((w) => html`<p class="warning plan-warning" data-kind="${w.kind}">${localizeTimes(w.text)}</p>`)}</div>`
    }
    <table class="facts">
      <tr><th>Archive</th><td id="preview-archive" data-bytes="${plan.archive.size}">${bytes(plan.archive.size)}</td></tr>
      <tr><th>Patch from ${plan.previous ?? "—"}</th><td id="preview-patch" data-bytes="${plan.patch?.size ?? ""}">${
        plan.patch ? `${bytes(plan.patch.size)} (${((plan.patch_ratio ?? 0) * 100).toFixed(1)}% of the archive)` : "none (first release)"
      }</td></tr>
      <tr><th>Bundle</th><td>${bytes(plan.bundle_bytes)} in a ${bytes(plan.tar_size)} tar</td></tr>
    </table>
    <details><summary>What changed in the bundle</summary>${estimate && estimateView(estimate)}</details>
    <h3>What clients on older releases download</h3>
    ${chartLegend()}
    <div id="chart">${downloadsChart(plan.clients, plan.archive.size)}</div>
    <h2>Sign</h2>
    <p>Files to write: <span id="plan-files">${files.join(", ")}</span>, then targets.json, snapshot.json, timestamp.json, into the local repository.</p>
    <ul id="plan-versions">${plan.metadata.map((v) => html`<li>${v.role}: version ${v.from} → ${v.to}</li>`)}</ul>
    <p>Keys that sign: ${join(
      signers.map((k) => html`${k.name} (${k.available ? "at hand" : html`<span class="warning">missing</span>`})`),
      ", ",
    )}</p>
    <div class="actions"><button id="publish-btn" class="primary">Sign ${plan.version}</button></div>`,
  );
  on("#publish-btn", publish);
}

/** Nothing left to upload: the copy clients see has this release. */
function uploaded(p: PublishedState): boolean {
  return p.not_uploaded.length + p.to_remove.length === 0 && !!p.last_upload;
}

/** The banner (upload now), or once uploaded the check of the copy. */
function nextStep(p: PublishedState): Html {
  return html`${publishBanner(p)}${
    uploaded(p) && html`<div class="actions"><button id="check-published" class="primary">Check the published copy…</button></div>`
  }`;
}

function estimateView(e: AddEstimate): Html {
  const listed = [...e.changed, ...e.added].slice(0, 8);
  return html`
    <section id="estimate">
      <h3>Estimate ${e.previous ? `against ${e.previous}` : "(first release)"} <small>${(e.seconds * 1000).toFixed(0)} ms</small></h3>
      <table class="facts">
        <tr><th>Files</th><td id="estimate-files">${e.unchanged_files} unchanged, ${e.changed.length} changed (${bytes(e.changed_bytes)}), ${e.added.length} added (${bytes(
          e.added_bytes,
        )}), ${e.removed.length} removed</td></tr>
        <tr><th>Archive</th><td>about ${bytes(e.archive_estimate)}</td></tr>
        ${
          e.previous &&
          html`<tr><th>Patch</th><td id="estimate-patch" data-low="${e.patch_low}" data-high="${e.patch_high}">between ${bytes(e.patch_low)} and ${bytes(e.patch_high)}</td></tr>`
        }
      </table>
      ${bundleChangeBar({ unchangedBytes: e.unchanged_bytes, changedBytes: e.changed_bytes, addedBytes: e.added_bytes })}
      ${listed.length > 0 && html`<ul class="changes">${listed.map((c) => html`<li>${c.path}: ${c.old_size === null ? "new" : bytes(c.old_size)} → ${bytes(c.new_size ?? 0)}</li>`)}</ul>`}
    </section>`;
}

async function publish(): Promise<void> {
  const result = await withProgress("progress-box", "Signing", () => api.addRelease(releaseArgs()));
  await reloadStatus();
  const published = await api.publishedState();
  const o = result.outcome;
  render(
    app(),
    html`
    <section id="result">
      <h1>${o.published ? `Signed ${result.plan.version} into the local repository` : "Staged: signatures are missing"}</h1>
      <div id="steps">${o.published ? stepper(uploaded(published) ? "check" : "upload") : stepper("sign", "waiting for signatures")}</div>
      ${
        o.published
          ? html`<p>Written to <span id="result-repo">${result.repository}</span>:</p><ul id="written">${o.written.map((w) => html`<li class="written">${w}</li>`)}</ul>`
          : html`<ul>${o.waiting.map((w) => html`<li>${w.role}: ${signatures(w.signatures, w.threshold)}; missing: ${w.missing.join("; ")}</li>`)}</ul><p>Sign it from the Overview, with the missing key.</p>`
      }
      <p>${o.versions.map((v) => `${v.role} ${v.from}→${v.to}`).join(", ")}</p>
      <div id="result-next">${o.published && nextStep(published)}</div>
      <div class="actions"><button id="back-overview">Back to the overview</button></div>
    </section>`,
  );
  // Upload here, then the check: the stepper follows.
  const after = async () => {
    const p = await api.publishedState();
    step(uploaded(p) ? "check" : "upload");
    render($("#result-next"), nextStep(p));
    wireNext();
  };
  const wireNext = () => {
    wirePublishBanner(after);
    document.getElementById("check-published")?.addEventListener("click", () => void go("publish", { focus: "#verify-url" }));
  };
  wireNext();
  $("#back-overview").addEventListener("click", () => void go("overview"));
  setNav("releases");
}
