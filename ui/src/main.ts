// Tufa's screens. Plain TypeScript and the DOM: the app is a handful of
// forms and tables, and every byte of logic lives in the engine.
import "./style.css";
import { listen } from "@tauri-apps/api/event";
import { api, errorText, ROLES, type AddEstimate, type Role, type ReleaseArgs, type RequestView, type Status } from "./api";
import { bundleChangeBar, downloadsChart, expiryTimeline } from "./chart";
import { bytes, duration, escapeHtml as h } from "./format";
import { listenForDrops, openPaths, setPathsHandler } from "./paths";
import { wireOpenLog } from "./log";

const app = document.getElementById("app") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const errorBox = document.getElementById("error") as HTMLElement;

const EXPIRY_HELP: Record<Role, string> = {
  root: "the root of trust; re-signed offline, so give it long",
  targets: "lists your releases; re-signed with every release",
  snapshot: "pins the targets version; re-signed with every release",
  timestamp: "proves freshness; short, so a frozen server is noticed",
};

let current: Status | null = null;

function $(sel: string): HTMLElement {
  const el = app.querySelector(sel) ?? document.querySelector(sel);
  if (!el) throw new Error(`missing ${sel}`);
  return el as HTMLElement;
}

function val(sel: string): string {
  return ($(sel) as HTMLInputElement).value;
}

function showError(e: unknown): void {
  const code = typeof e === "object" && e !== null && "code" in e ? String((e as { code: string }).code) : "error";
  errorBox.hidden = false;
  errorBox.dataset.code = code;
  errorBox.textContent = errorText(e);
}

function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = "";
  delete errorBox.dataset.code;
}

async function guarded(f: () => Promise<void>): Promise<void> {
  clearError();
  try {
    await f();
  } catch (e) {
    showError(e);
  }
}

function setNav(): void {
  const items: [string, string, () => void][] = [["nav-start", "Start", showStart]];
  if (current) {
    items.push(["nav-dashboard", "Dashboard", () => void refreshDashboard()]);
    items.push(["nav-add", "Add release", () => void showAdd()]);
    items.push(["nav-keys", "Keys & root", () => void showKeys()]);
  }
  items.push(["nav-custodian", "Custodian", () => showCustodian()]);
  nav.innerHTML = items.map(([id, label]) => `<button id="${id}" class="link">${label}</button>`).join("");
  for (const [id, , f] of items) document.getElementById(id)?.addEventListener("click", f);
}

function pathField(id: string, label: string, folder: boolean, value = ""): string {
  return `<label>${label}<span class="row"><input id="${id}" type="text" value="${h(value)}" spellcheck="false"/>
    <button class="browse" data-target="${id}" data-folder="${folder}">Browse…</button></span></label>`;
}

function wireBrowse(): void {
  app.querySelectorAll<HTMLButtonElement>("button.browse").forEach((b) =>
    b.addEventListener("click", () =>
      guarded(async () => {
        const picked = await api.pickPath(b.dataset.folder === "true");
        if (picked) ($(`#${b.dataset.target}`) as HTMLInputElement).value = picked;
      }),
    ),
  );
}

// ---------------------------------------------------------------- start

async function showStart(): Promise<void> {
  setPathsHandler((paths) => (($("#open-path") as HTMLInputElement).value = paths[0]));
  const info = await api.appInfo();
  app.innerHTML = `
    <section id="start">
      <h1>Secure updates for your app</h1>
      <div class="cards">
        <div class="card">
          <h2>Open a repository</h2>
          ${pathField("open-path", "Project folder (holds tufa.toml)", true)}
          <button id="open-btn" class="primary">Open</button>
          ${info.recent.length ? `<h3>Recent</h3><ul id="recent">${info.recent.map((r) => `<li><button class="link recent" data-path="${h(r)}">${h(r)}</button></li>`).join("")}</ul>` : ""}
        </div>
        <div class="card">
          <h2>Create a repository</h2>
          <p>A new project: keys for every role, signed empty metadata.</p>
          <button id="create-start" class="primary">Create…</button>
          <h2>New here?</h2>
          <p>A demo repository with sample releases, to see the workflow in a minute.</p>
          <button id="demo-btn">Create demo repository</button>
        </div>
        <div class="card">
          <h2>Adopt a tufup project</h2>
          ${pathField("adopt-path", "tufup project folder (holds .tufup-repo-config)", true)}
          <label>Key files folder (empty: OS keyring)<input id="adopt-keys" type="text" value="tufa-keys"/></label>
          <button id="adopt-btn">Adopt</button>
        </div>
      </div>
    </section>`;
  wireBrowse();
  $("#open-btn").addEventListener("click", () => guarded(async () => enterProject(await api.openProject(val("#open-path")))));
  app.querySelectorAll<HTMLButtonElement>("button.recent").forEach((b) =>
    b.addEventListener("click", () => guarded(async () => enterProject(await api.openProject(b.dataset.path ?? "")))),
  );
  $("#create-start").addEventListener("click", () => guarded(showCreate));
  $("#demo-btn").addEventListener("click", () => guarded(async () => enterProject(await api.createDemo())));
  $("#adopt-btn").addEventListener("click", () =>
    guarded(async () => enterProject(await api.adoptTufup(val("#adopt-path"), val("#adopt-keys") || null))),
  );
  setNav();
}

async function showCreate(): Promise<void> {
  // The engine's default periods, not a copy of them.
  const defaults = (await api.appInfo()).expiry_defaults;
  setPathsHandler((paths) => (($("#create-dir") as HTMLInputElement).value = paths[0]));
  const roleRows = ROLES.map(
    (r) => `<tr><th>${r}</th>
      <td><input id="exp-${r}" type="number" min="1" value="${defaults[r] ?? ""}"/> days</td>
      <td><input id="thr-${r}" type="number" min="1" max="16" value="1"/></td>
      <td class="muted">${EXPIRY_HELP[r]}</td></tr>`,
  ).join("");
  app.innerHTML = `
    <section id="create">
      <h1>Create a repository</h1>
      <label>App name (letters, digits, _ and -)<input id="create-app" type="text" placeholder="my-app"/></label>
      ${pathField("create-dir", "Project folder (tufa.toml, repository/ and keys go here)", true)}
      <label>Where keys live
        <select id="create-store">
          <option value="keyring">OS keyring: safest on a desktop, nothing on disk</option>
          <option value="file">Key files in the project's keys/ folder: for CI and offline custodians</option>
        </select></label>
      <table class="roles"><thead><tr><th>Role</th><th>Expiry</th><th>Signatures needed</th><th></th></tr></thead><tbody>${roleRows}</tbody></table>
      <button id="create-btn" class="primary">Create repository</button>
    </section>`;
  wireBrowse();
  $("#create-btn").addEventListener("click", () =>
    guarded(async () => {
      const expires: Partial<Record<Role, number>> = {};
      const thresholds: Partial<Record<Role, number>> = {};
      for (const r of ROLES) {
        expires[r] = Number(val(`#exp-${r}`));
        thresholds[r] = Number(val(`#thr-${r}`));
      }
      enterProject(
        await api.createProject({ dir: val("#create-dir"), app: val("#create-app"), key_store: val("#create-store"), expires, thresholds }),
      );
    }),
  );
  setNav();
}

// ------------------------------------------------------------ dashboard

function enterProject(status: Status): void {
  current = status;
  renderDashboard(status);
}

async function refreshDashboard(): Promise<void> {
  await guarded(async () => enterProject(await api.status()));
}

function renderDashboard(s: Status): void {
  setPathsHandler(null);
  const roles = s.roles
    .map((r) => {
      const when = r.expires_in_secs > 0 ? `in ${duration(r.expires_in_secs)}` : `EXPIRED ${duration(r.expires_in_secs)} ago`;
      return `<tr class="role ${r.severity}" data-role="${r.role}" data-period="${r.period_days}"><th>${r.role}</th><td>v${r.version}</td>
        <td>${r.signatures}/${r.threshold}</td><td class="expiry">${when}</td><td class="muted">${h(r.expires)}</td>
        <td>${r.warning ? `<span class="warning">${h(r.warning)}</span>` : ""}</td></tr>`;
    })
    .join("");
  const releases = [...s.releases]
    .reverse()
    .map(
      (r) => `<tr class="release" data-version="${h(r.version)}"><td>${h(r.version)}</td><td class="muted">${h(r.published ?? "")}</td><td>${bytes(r.archive_size)}</td>
        <td>${r.patch ? bytes(r.patch.size) : "—"}</td><td>${r.required ? "required" : ""}</td><td>${r.channel}</td>
        <td class="muted">${h(r.notes ?? "")}</td></tr>`,
    )
    .join("");
  const keys = s.keys
    .map(
      (k) => `<tr><td>${h(k.name)}</td><td>${k.roles.join(", ")}</td><td class="mono">${k.keyid.slice(0, 12)}…</td>
        <td>${h(k.location)}</td><td>${k.available ? "at hand" : '<span class="warning">not here</span>'}</td></tr>`,
    )
    .join("");
  app.innerHTML = `
    <section id="dashboard">
      <h1 id="app-name">${h(s.app)}</h1>
      <p class="muted" id="repo-path">${h(s.repository)}</p>
      <h2>Roles <button id="refresh-timestamp">Refresh timestamp</button></h2>
      <div id="timeline">${expiryTimeline(s.roles)}</div>
      <table class="roles"><thead><tr><th>Role</th><th>Version</th><th>Signatures</th><th>Expires</th><th></th><th></th></tr></thead><tbody>${roles}</tbody></table>
      <h2>Releases <button id="dash-add" class="primary">Add release</button></h2>
      ${s.releases.length ? `<table id="releases"><thead><tr><th>Version</th><th>Published</th><th>Archive</th><th>Patch</th><th></th><th>Channel</th><th>Notes</th></tr></thead><tbody>${releases}</tbody></table>` : `<p class="muted" id="no-releases">No releases yet.</p>`}
      ${s.clients.length ? `<h3>What clients on older releases download now</h3><div id="dash-clients">${downloadsChart(s.clients, s.releases[s.releases.length - 1]?.archive_size ?? 0)}</div>` : ""}
      <h2>Keys</h2>
      <table><thead><tr><th>Name</th><th>Roles</th><th>Key id</th><th>Lives in</th><th></th></tr></thead><tbody>${keys}</tbody></table>
      <h2>Published copy</h2>
      <div class="row"><input id="publish-to" placeholder="s3://bucket/prefix or a folder" value="${h(s.publish_to ?? "")}"/>
        <input id="publish-endpoint" placeholder="S3 endpoint (MinIO, R2…), optional"/>
        <button id="upload-btn">Upload</button></div>
      <p id="upload-result" class="muted"></p>
      <div class="row"><input id="verify-url" placeholder="https://updates.example.com/ (metadata/ and targets/ below it)"/>
        <button id="verify-btn">Check as a client would</button></div>
      <div id="verify-result"></div>
      ${s.staged.length ? `<h2>Staged, not yet published</h2><ul id="staged">${s.staged.map((x) => `<li>${h(x)}</li>`).join("")}</ul>` : ""}
    </section>`;
  $("#refresh-timestamp").addEventListener("click", () =>
    guarded(async () => {
      await api.signRole("timestamp", null);
      enterProject(await api.status());
    }),
  );
  $("#dash-add").addEventListener("click", () => void showAdd());
  $("#upload-btn").addEventListener("click", () =>
    guarded(async () => {
      const r = await api.upload(val("#publish-to") || null, val("#publish-endpoint") || null);
      $("#upload-result").textContent = `Uploaded ${r.uploaded.length} file(s), ${bytes(r.bytes)}; ${r.skipped.length} already there; ${r.deleted.length} removed.${r.not_listed.length ? ` Not uploaded (not listed by the metadata): ${r.not_listed.join(", ")}.` : ""}`;
    }),
  );
  $("#verify-btn").addEventListener("click", () =>
    guarded(async () => {
      const r = await api.verifyPublished(val("#verify-url"));
      $("#verify-result").innerHTML = `
        <p id="verify-summary" class="${r.problems.length ? "warn" : "ok"}">${r.problems.length ? `${r.problems.length} problem(s): clients will fail` : "OK: clients can update from this repository"} (${r.targets_checked} files, ${bytes(r.bytes_checked)} checked)</p>
        <ul>${r.problems.map((p) => `<li class="problem">${h(p)}</li>`).join("")}${r.warnings.map((w) => `<li class="warning">${h(w)}</li>`).join("")}</ul>`;
    }),
  );
  setNav();
}

// ----------------------------------------------------------- add release

async function showAdd(): Promise<void> {
  const suggestion = await api.suggestVersion().catch(() => "1.0.0");
  app.innerHTML = `
    <section id="add">
      <h1>Add a release</h1>
      <div id="dropzone" class="dropzone">Drop the app's bundle folder here, or type or pick its path.</div>
      ${pathField("bundle-path", "Bundle folder", true)}
      <label>Version (PEP 440)<input id="version" type="text" value="${h(suggestion)}"/></label>
      <label class="check"><input id="required" type="checkbox"/> Required: clients install this release before any later one</label>
      <label>Release notes<textarea id="notes" rows="3"></textarea></label>
      <button id="preview-btn" class="primary">Preview</button>
      <div id="progress-box" hidden><progress id="progress" max="100" value="0"></progress> <span id="progress-label"></span>
        <button id="cancel-btn">Cancel</button></div>
      <div id="preview"></div>
    </section>`;
  wireBrowse();
  setPathsHandler((paths) => (($("#bundle-path") as HTMLInputElement).value = paths[0]));
  $("#preview-btn").addEventListener("click", () => void preview());
  $("#cancel-btn").addEventListener("click", () => void api.cancel());
  setNav();
}

function releaseArgs(): ReleaseArgs {
  return { bundle: val("#bundle-path"), version: val("#version"), required: ($("#required") as HTMLInputElement).checked, notes: val("#notes") };
}

async function withProgress<T>(f: () => Promise<T>): Promise<T> {
  const box = $("#progress-box");
  box.hidden = false;
  const unlisten = await listen<{ label: string; done: number; total: number | null; finished: boolean }>("progress", (e) => {
    const p = e.payload;
    const bar = document.getElementById("progress") as HTMLProgressElement | null;
    const label = document.getElementById("progress-label");
    if (bar) {
      if (p.total) bar.value = Math.round((100 * p.done) / p.total);
      else bar.removeAttribute("value");
    }
    if (label) label.textContent = `${p.label}${p.total ? ` ${bytes(p.done)} / ${bytes(p.total)}` : "…"}`;
  });
  try {
    return await f();
  } finally {
    unlisten();
    box.hidden = true;
  }
}

async function preview(): Promise<void> {
  await guarded(async () => {
    const args = releaseArgs();
    // A first answer in under a second; the exact figures replace it.
    const estimate = await api.estimateRelease(args.bundle).catch(() => null);
    $("#preview").innerHTML = estimate ? estimateView(estimate) : "";
    const plan = await withProgress(() => api.planRelease(args));
    const status = current ?? (await api.status());
    const signers = status.keys.filter((k) => k.roles.some((r) => r !== "root"));
    const versions = plan.metadata.map((v) => `<li>${v.role}: version ${v.from} → ${v.to}</li>`).join("");
    const files = [plan.archive.name, ...(plan.patch ? [plan.patch.name] : [])];
    $("#preview").innerHTML = `
      <h2>Preview</h2>
      <table class="facts">
        <tr><th>Archive</th><td id="preview-archive" data-bytes="${plan.archive.size}">${bytes(plan.archive.size)}</td></tr>
        <tr><th>Patch from ${h(plan.previous ?? "—")}</th><td id="preview-patch" data-bytes="${plan.patch?.size ?? ""}">${plan.patch ? `${bytes(plan.patch.size)} (${((plan.patch_ratio ?? 0) * 100).toFixed(1)}% of the archive)` : "none (first release)"}</td></tr>
        <tr><th>Bundle</th><td>${bytes(plan.bundle_bytes)} in a ${bytes(plan.tar_size)} tar</td></tr>
      </table>
      ${estimate ? estimateView(estimate) : ""}
      <h3>What clients on older releases download</h3>
      <div id="chart">${downloadsChart(plan.clients, plan.archive.size)}</div>
      <h2>Sign and publish</h2>
      <p>Files to write: <span id="plan-files">${files.map(h).join(", ")}</span>, then targets.json, snapshot.json, timestamp.json.</p>
      <ul id="plan-versions">${versions}</ul>
      <p>Keys that sign: ${signers.map((k) => `${h(k.name)} (${k.available ? "at hand" : "missing"})`).join(", ")}</p>
      <button id="publish-btn" class="primary">Sign and publish ${h(plan.version)}</button>`;
    $("#publish-btn").addEventListener("click", () => void publish());
  });
}

function estimateView(e: AddEstimate): string {
  const listed = [...e.changed, ...e.added].slice(0, 8);
  const rows = listed
    .map((c) => `<li>${h(c.path)}: ${c.old_size === null ? "new" : bytes(c.old_size)} → ${bytes(c.new_size ?? 0)}</li>`)
    .join("");
  const patch = e.previous
    ? `<tr><th>Patch</th><td id="estimate-patch" data-low="${e.patch_low}" data-high="${e.patch_high}">between ${bytes(e.patch_low)} and ${bytes(e.patch_high)}</td></tr>`
    : "";
  return `
    <section id="estimate">
      <h3>Estimate ${e.previous ? `against ${h(e.previous)}` : "(first release)"} <small>${(e.seconds * 1000).toFixed(0)} ms</small></h3>
      <table class="facts">
        <tr><th>Files</th><td id="estimate-files">${e.unchanged_files} unchanged, ${e.changed.length} changed (${bytes(e.changed_bytes)}), ${e.added.length} added (${bytes(e.added_bytes)}), ${e.removed.length} removed</td></tr>
        <tr><th>Archive</th><td>about ${bytes(e.archive_estimate)}</td></tr>
        ${patch}
      </table>
      ${bundleChangeBar({ unchangedBytes: e.unchanged_bytes, changedBytes: e.changed_bytes, addedBytes: e.added_bytes })}
      ${rows ? `<ul class="changes">${rows}</ul>` : ""}
    </section>`;
}

async function publish(): Promise<void> {
  await guarded(async () => {
    const result = await withProgress(() => api.addRelease(releaseArgs()));
    current = await api.status();
    const o = result.outcome;
    app.innerHTML = `
      <section id="result">
        <h1>${o.published ? `Published ${h(result.plan.version)}` : "Staged: signatures are missing"}</h1>
        ${o.published ? `<p>Written to <span id="result-repo">${h(result.repository)}</span>:</p><ul id="written">${o.written.map((w) => `<li class="written">${h(w)}</li>`).join("")}</ul>` : `<ul>${o.waiting.map((w) => `<li>${w.role}: ${w.signatures} of ${w.threshold} signatures; missing: ${h(w.missing.join("; "))}</li>`).join("")}</ul>`}
        <p>${o.versions.map((v) => `${v.role} ${v.from}→${v.to}`).join(", ")}</p>
        <button id="back-dashboard" class="primary">Back to the dashboard</button>
      </section>`;
    $("#back-dashboard").addEventListener("click", () => current && renderDashboard(current));
    setNav();
  });
}

// ------------------------------------------------------ keys and ceremony

function requestHtml(v: RequestView): string {
  const s = v.status;
  const miss = (t: { signatures: number; threshold: number; missing: string[] }) =>
    t.signatures >= t.threshold ? "" : `; missing: ${t.missing.map(h).join(", ")}`;
  return `
    <ul id="req-summary">${s.summary.map((l) => `<li>${h(l)}</li>`).join("")}</ul>
    <p>Fingerprint: <strong id="req-fingerprint" class="fingerprint">${h(s.fingerprint)}</strong></p>
    <p id="req-status" class="${s.complete ? "ok" : "warn"}">${s.new_root.signatures} of ${s.new_root.threshold} signatures from the new root${miss(s.new_root)}, ${s.old_root.signatures} of ${s.old_root.threshold} from the old${miss(s.old_root)}</p>
    ${s.invalid_signatures.length ? `<p class="warning">Signatures that do not verify (altered request?): ${s.invalid_signatures.map(h).join(", ")}</p>` : ""}
    <p class="muted">Request file: <span id="req-file">${h(v.path)}</span></p>`;
}

async function showKeys(): Promise<void> {
  const s = current ?? (await api.status());
  app.innerHTML = `
    <section id="keys">
      <h1>Keys and root</h1>
      <table><thead><tr><th>Name</th><th>Roles</th><th>Owner</th><th>Lives in</th><th></th><th></th></tr></thead><tbody>
      ${s.keys.map((k) => `<tr><td>${h(k.name)}</td><td>${k.roles.join(", ")}</td><td>${h(k.owner ?? "")}</td><td>${h(k.location)}</td><td>${k.available ? "at hand" : "not here"}</td>
        <td><button class="replace" data-name="${h(k.name)}">Rotate</button> <button class="revoke" data-name="${h(k.name)}">Revoke</button></td></tr>`).join("")}
      </tbody></table>
      <h2>Add a key</h2>
      <div class="row">
        <select id="key-role">${ROLES.map((r) => `<option>${r}</option>`).join("")}</select>
        <input id="key-name" placeholder="name (optional)"/>
        <input id="key-owner" placeholder="owner (optional)"/>
        <select id="key-store"><option value="keyring">OS keyring</option><option value="file">key file</option></select>
        <button id="key-add">Add key</button>
      </div>
      <h2>Root signing requests</h2>
      <p>Every root change becomes a request file that custodians sign offline; copies signed in parallel are merged here.</p>
      <button id="refresh-root">New request: refresh root expiry</button>
      ${pathField("req-paths", "Request file(s), separated by ;", false)}
      <button id="req-check">Check signatures</button> <button id="req-sign-here" title="Sign with the root keys of this project that are on this computer">Sign with this project's root keys</button> <button id="req-publish" class="primary">Publish</button>
      <div id="request"></div>
    </section>`;
  wireBrowse();
  const showRequest = (v: RequestView) => {
    ($("#req-paths") as HTMLInputElement).value = v.path;
    $("#request").innerHTML = requestHtml(v);
  };
  const paths = () => val("#req-paths").split(";").map((p) => p.trim()).filter(Boolean);
  $("#key-add").addEventListener("click", () =>
    guarded(async () =>
      showRequest(await api.rootChange({ kind: "add_key", role: val("#key-role"), name: val("#key-name") || null, key_store: val("#key-store"), owner: val("#key-owner") || null })),
    ),
  );
  app.querySelectorAll<HTMLButtonElement>("button.replace").forEach((b) =>
    b.addEventListener("click", () => guarded(async () => showRequest(await api.rootChange({ kind: "replace_key", name: b.dataset.name, key_store: "keyring" })))),
  );
  app.querySelectorAll<HTMLButtonElement>("button.revoke").forEach((b) =>
    b.addEventListener("click", () => guarded(async () => showRequest(await api.rootChange({ kind: "revoke_key", name: b.dataset.name })))),
  );
  $("#refresh-root").addEventListener("click", () => guarded(async () => showRequest(await api.rootChange({ kind: "refresh", expires_days: null }))));
  $("#req-check").addEventListener("click", () =>
    guarded(async () => {
      $("#request").innerHTML = requestHtml(await api.requestStatus(paths()));
    }),
  );
  // Two steps: the first click shows the change, the second signs exactly
  // that (the fingerprint ties the signature to what was on screen).
  let shownFingerprint = "";
  const signHere = $("#req-sign-here") as HTMLButtonElement;
  signHere.addEventListener("click", () =>
    guarded(async () => {
      if (!shownFingerprint) {
        const v = await api.requestStatus(paths().slice(0, 1));
        $("#request").innerHTML = requestHtml(v);
        shownFingerprint = v.status.fingerprint;
        signHere.textContent = `Confirm: sign the change above (${shownFingerprint})`;
        return;
      }
      const fp = shownFingerprint;
      shownFingerprint = "";
      signHere.textContent = "Sign with this project's root keys";
      showRequest(await api.signRequestHere(paths()[0], fp));
    }),
  );
  $("#req-publish").addEventListener("click", () =>
    guarded(async () => {
      const o = await api.publishRequest(paths());
      current = await api.status();
      $("#request").innerHTML = `<p id="req-published" class="ok">Published: ${o.versions.map((v) => `${v.role} ${v.from}→${v.to}`).join(", ")}</p>`;
    }),
  );
  setNav();
}

// ------------------------------------------------------------- custodian

function showCustodian(): void {
  app.innerHTML = `
    <section id="custodian">
      <h1>Custodian: review and sign a root change</h1>
      <p>Works offline, without the repository: only the request file and your key.</p>
      ${pathField("req-path", "Signing request file", false)}
      <button id="req-open" class="primary">Open</button>
      <div id="request"></div>
      <div id="sign-box" hidden>
        <h2>Sign</h2>
        ${pathField("key-file", "Key file (PEM, encrypted PEM, or tufup key file)", false)}
        <label>Passphrase (encrypted keys only)<input id="key-pass" type="password" autocomplete="off"/></label>
        <label>…or an OS keyring entry<input id="key-entry" type="text"/></label>
        <label class="confirm"><input id="sign-confirm" type="checkbox"/> I have read every change above, and the fingerprint matches the one the publisher gave me</label>
        <button id="sign-btn" class="primary" disabled>Sign and save</button>
        <p id="signed" class="ok" hidden></p>
      </div>
    </section>`;
  wireBrowse();
  setPathsHandler((paths) => (($("#req-path") as HTMLInputElement).value = paths[0]));
  // What the custodian reviewed: signing is refused if the file changed since.
  let reviewed = "";
  const confirmBox = $("#sign-confirm") as HTMLInputElement;
  const signBtn = $("#sign-btn") as HTMLButtonElement;
  confirmBox.addEventListener("change", () => (signBtn.disabled = !confirmBox.checked || !reviewed));
  $("#req-open").addEventListener("click", () =>
    guarded(async () => {
      const v = await api.requestStatus([val("#req-path")]);
      reviewed = v.status.fingerprint;
      confirmBox.checked = false;
      signBtn.disabled = true;
      $("#request").innerHTML = requestHtml(v);
      $("#sign-box").hidden = false;
    }),
  );
  signBtn.addEventListener("click", () =>
    guarded(async () => {
      if (!confirmBox.checked || !reviewed) return;
      const v = await api.custodianSign(val("#req-path"), val("#key-file") || null, val("#key-entry") || null, val("#key-pass") || null, reviewed);
      ($("#key-pass") as HTMLInputElement).value = "";
      $("#request").innerHTML = requestHtml(v);
      const done = $("#signed");
      done.hidden = false;
      done.textContent = `Signed and saved to ${v.path}. Return the file to the publisher.`;
    }),
  );
  setNav();
}

// ----------------------------------------------------------------- start

async function start(): Promise<void> {
  wireOpenLog();
  await listenForDrops();
  (window as unknown as { tufaOpenPaths: typeof openPaths }).tufaOpenPaths = openPaths;
  const info = await api.appInfo();
  if (info.project) {
    await guarded(async () => enterProject(await api.openProject(info.project ?? "")));
    if (current) return;
  }
  if (info.auto_demo) {
    await guarded(async () => enterProject(await api.createDemo()));
    if (current) return;
  }
  await showStart();
}

void start();
