// Tufa's screens. Plain TypeScript and the DOM: a sidebar with the open
// project and its sections, one function per screen, and every byte of
// logic in the engine (the app words and draws what the engine decided).
import "./style.css";
import { listen } from "@tauri-apps/api/event";
import {
  api,
  ROLES,
  type AddEstimate,
  type PublishedState,
  type PullPreview,
  type Release,
  type Role,
  type ReleaseArgs,
  type RequestView,
  type Status,
} from "./api";
import { bundleChangeBar, downloadsChart, expiryTimeline } from "./chart";
import { consequenceHtml } from "./consequence";
import { confirmAt, health, runAction, setRemedyHandlers, showGlobalError } from "./feedback";
import { bytes, count, duration, escapeHtml as h } from "./format";
import { listenForDrops, openPaths, setPathsHandler } from "./paths";
import { wireOpenLog } from "./log";

const app = document.getElementById("app") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const projectCard = document.getElementById("project-card") as HTMLElement;
const errorBox = document.getElementById("error") as HTMLElement;

const EXPIRY_HELP: Record<Role, string> = {
  root: "the root of trust; re-signed offline, so give it long",
  targets: "lists your releases; re-signed with every release",
  snapshot: "pins the targets version; re-signed with every release",
  timestamp: "proves freshness; short, so a frozen server is noticed",
};

type Section = "start" | "overview" | "releases" | "publish" | "keys" | "ceremony" | "settings" | "custodian";

let current: Status | null = null;

function $(sel: string): HTMLElement {
  const el = app.querySelector(sel) ?? document.querySelector(sel);
  if (!el) throw new Error(`missing ${sel}`);
  return el as HTMLElement;
}

function val(sel: string): string {
  return ($(sel) as HTMLInputElement).value;
}

function button(sel: string): HTMLButtonElement {
  return $(sel) as HTMLButtonElement;
}

/** Wires `sel` to run `f` with busy state and feedback beside it. */
function on(sel: string, f: (b: HTMLButtonElement) => Promise<void>): void {
  const b = button(sel);
  b.addEventListener("click", () => void runAction(b, () => f(b)));
}

/** A path the action needs: asked for in words, never sent empty. */
function required(sel: string, what: string): string {
  const v = val(sel).trim();
  if (!v) throw { code: "missing_input", message: `Choose ${what} first.` };
  return v;
}

function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = "";
  delete errorBox.dataset.code;
}

// ------------------------------------------------------------- the shell

const SECTIONS: [Section, string][] = [
  ["overview", "Overview"],
  ["releases", "Releases"],
  ["publish", "Publish"],
  ["keys", "Keys"],
  ["ceremony", "Ceremony"],
  ["settings", "Settings"],
];

function go(section: Section): void {
  clearError();
  const screens: Record<Section, () => Promise<void> | void> = {
    start: showStart,
    overview: showOverview,
    releases: showReleases,
    publish: showPublish,
    keys: showKeys,
    ceremony: showCeremony,
    settings: showSettings,
    custodian: showCustodian,
  };
  void Promise.resolve(screens[section]()).catch(showGlobalError);
}

function setNav(section: Section): void {
  const items: [Section, string][] = current ? [...SECTIONS] : [];
  const extra: [Section, string][] = [
    ["start", current ? "Open another project" : "Start"],
    ["custodian", "I hold a key"],
  ];
  const btn = ([id, label]: [Section, string]) =>
    `<button id="nav-${id}"${id === section ? ' aria-current="page"' : ""}>${label}</button>`;
  nav.innerHTML = items.map(btn).join("") + `<div class="group">More</div>` + extra.map(btn).join("");
  for (const [id] of [...items, ...extra]) document.getElementById(`nav-${id}`)?.addEventListener("click", () => go(id));
  if (current) {
    const hl = health(current.roles, current.staged.length);
    projectCard.hidden = false;
    projectCard.innerHTML = `<span class="name" id="project-name">${h(current.app)}</span>
      <span id="health" class="badge ${hl.level}" data-level="${hl.level}">${hl.label}</span>`;
  } else {
    projectCard.hidden = true;
  }
}

function pathField(id: string, label: string, folder: boolean, value = ""): string {
  return `<label>${label}<span class="row"><input id="${id}" type="text" value="${h(value)}" spellcheck="false"/>
    <button class="browse" id="browse-${id}" data-target="${id}" data-folder="${folder}">Browse…</button></span></label>`;
}

function wireBrowse(): void {
  app.querySelectorAll<HTMLButtonElement>("button.browse").forEach((b) =>
    b.addEventListener("click", () =>
      runAction(b, async () => {
        const picked = await api.pickPath(b.dataset.folder === "true");
        if (picked) {
          const input = $(`#${b.dataset.target}`) as HTMLInputElement;
          input.value = picked;
          input.dispatchEvent(new Event("change"));
        }
      }),
    ),
  );
}

/** Enter in a text field presses its form's main button (`data-enter`). */
function wireEnter(): void {
  document.addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || e.isComposing) return;
    const t = e.target as HTMLElement | null;
    if (!t || t.tagName !== "INPUT" || (t as HTMLInputElement).type === "checkbox") return;
    const form = t.closest<HTMLElement>("[data-enter]");
    const target = form ? document.getElementById(form.dataset.enter ?? "") : null;
    if (target instanceof HTMLButtonElement && !target.disabled) {
      e.preventDefault();
      target.click();
    }
  });
}

/** Ctrl/Cmd+O open, Ctrl/Cmd+N new release, Ctrl/Cmd+Shift+U publish. */
function wireShortcuts(): void {
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey)) return;
    const k = e.key.toLowerCase();
    if (k === "o") go("start");
    else if (k === "n" && current) void showAdd();
    else if (k === "u" && e.shiftKey && current) go("publish");
    else return;
    e.preventDefault();
  });
}

async function reloadStatus(): Promise<Status> {
  current = await api.status();
  return current;
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
          <div data-enter="open-btn">${pathField("open-path", "Project folder (holds tufa.toml)", true)}</div>
          <div class="actions"><button id="open-btn" class="primary">Open</button></div>
          ${info.recent.length ? `<h3>Recent</h3><ul id="recent">${info.recent.map((r, i) => `<li><button id="recent-${i}" class="link recent" data-path="${h(r)}">${h(r)}</button></li>`).join("")}</ul>` : ""}
        </div>
        <div class="card">
          <h2>Create a repository</h2>
          <p>A new project: keys for every role, signed empty metadata.</p>
          <div class="actions"><button id="create-start" class="primary">Create…</button></div>
          <h2>New here?</h2>
          <p>A demo repository with sample releases, to see the workflow in a minute.</p>
          <div class="actions"><button id="demo-btn">Create demo repository</button></div>
        </div>
        <div class="card">
          <h2>I hold a key</h2>
          <p>Review and sign a root change a publisher sent you. Works offline, without the repository.</p>
          <div class="actions"><button id="custodian-start">Review a signing request…</button></div>
          <h2>Adopt a tufup project</h2>
          <div data-enter="adopt-btn">${pathField("adopt-path", "tufup project folder (holds .tufup-repo-config)", true)}
          <label>Key files folder (empty: OS keyring)<input id="adopt-keys" type="text" value="tufa-keys"/></label></div>
          <div class="actions"><button id="adopt-btn">Adopt</button></div>
        </div>
      </div>
    </section>`;
  wireBrowse();
  on("#open-btn", async () => enterProject(await api.openProject(required("#open-path", "the project folder"))));
  app.querySelectorAll<HTMLButtonElement>("button.recent").forEach((b) =>
    b.addEventListener("click", () => runAction(b, async () => enterProject(await api.openProject(b.dataset.path ?? "")))),
  );
  on("#create-start", showCreate);
  on("#demo-btn", async () => enterProject(await api.createDemo()));
  on("#custodian-start", async () => showCustodian());
  on("#adopt-btn", async () =>
    enterProject(await api.adoptTufup(required("#adopt-path", "the tufup project folder"), val("#adopt-keys") || null)),
  );
  setNav("start");
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
    <section id="create" data-enter="create-btn">
      <h1>Create a repository</h1>
      <label>App name (letters, digits, _ and -)<input id="create-app" type="text" placeholder="my-app"/></label>
      ${pathField("create-dir", "Project folder (tufa.toml, repository/ and keys go here)", true)}
      <label>Where keys live
        <select id="create-store">
          <option value="keyring">OS keyring: safest on a desktop, nothing on disk</option>
          <option value="file">Key files in the project's keys/ folder: for CI and offline custodians</option>
        </select></label>
      <table class="roles"><thead><tr><th>Role</th><th>Expiry</th><th>Signatures needed</th><th></th></tr></thead><tbody>${roleRows}</tbody></table>
      <div class="actions"><button id="create-btn" class="primary">Create repository</button></div>
    </section>`;
  wireBrowse();
  on("#create-btn", async () => {
    const expires: Partial<Record<Role, number>> = {};
    const thresholds: Partial<Record<Role, number>> = {};
    for (const r of ROLES) {
      expires[r] = Number(val(`#exp-${r}`));
      thresholds[r] = Number(val(`#thr-${r}`));
    }
    enterProject(
      await api.createProject({ dir: required("#create-dir", "a project folder"), app: val("#create-app"), key_store: val("#create-store"), expires, thresholds }),
    );
  });
  setNav("start");
}

function enterProject(status: Status): void {
  current = status;
  void showOverview();
}

// ------------------------------------------------------------- overview

/** "3 changes not uploaded — Upload now", or that the copy is current. */
function publishBanner(p: PublishedState): string {
  const n = p.not_uploaded.length + p.to_remove.length;
  if (n === 0 && p.last_upload) {
    return `<div id="publish-state" class="banner ok" data-changes="0"><span>The published copy at <strong>${h(p.last_destination ?? "")}</strong> is up to date (uploaded ${h(p.last_upload)}).</span></div>`;
  }
  const where = p.destination
    ? `<button id="upload-now" class="primary">Upload now</button> <span class="muted">to ${h(p.destination)}</span>`
    : `<button id="setup-publish" class="primary">Choose where to upload…</button>`;
  const what = p.last_upload
    ? `<strong id="unpublished-count">${count(n, "change")} not uploaded</strong>: clients still see the copy uploaded ${h(p.last_upload)}.`
    : `<strong id="unpublished-count">Not uploaded yet</strong>: releases exist only in the local repository.`;
  return `<div id="publish-state" class="banner warn" data-changes="${n}"><span>${what}</span> ${where}</div>`;
}

function wirePublishBanner(after: () => Promise<void>): void {
  document.getElementById("setup-publish")?.addEventListener("click", () => go("publish"));
  if (document.getElementById("upload-now")) {
    on("#upload-now", async () => {
      await api.upload(null, null);
      await after();
    });
  }
}

async function showOverview(): Promise<void> {
  setPathsHandler(null);
  const s = await reloadStatus();
  const [published, staged] = await Promise.all([api.publishedState(), api.stagedChange()]);
  const roles = s.roles
    .map((r) => {
      const when = r.expires_in_secs > 0 ? `in ${duration(r.expires_in_secs)}` : `EXPIRED ${duration(r.expires_in_secs)} ago`;
      return `<tr class="role ${r.severity}" data-role="${r.role}" data-period="${r.period_days}"><th>${r.role}</th><td>v${r.version}</td>
        <td>${r.signatures}/${r.threshold}</td><td class="expiry">${when} <span class="muted">of ${count(r.period_days, "day")}</span></td>
        <td>${r.warning ? `<span class="warning">${h(r.warning)}</span>` : ""}</td></tr>`;
    })
    .join("");
  const latest = s.releases[s.releases.length - 1];
  const stagedHtml = staged.roles.length
    ? `<div class="panel" id="staged-panel">
        <h2>A change is waiting for signatures</h2>
        <ul id="staged">${staged.roles
          .map((r) => `<li data-role="${r.role}">${r.role} version ${r.version}: ${r.signatures} of ${r.threshold} signatures${r.unsigned_keys.length ? `; not yet signed by ${r.unsigned_keys.map(h).join(", ")}` : ""}</li>`)
          .join("")}${staged.files.map((f) => `<li>new file ${h(f)}</li>`).join("")}</ul>
        <p class="muted">Sign with the keys on this computer, and with a key someone brings (a key file or an OS keyring entry).</p>
        <div data-enter="sign-staged-btn">
          ${pathField("staged-key-file", "Key file (optional)", false)}
          <label>Passphrase (encrypted key files only)<input id="staged-key-pass" type="password" autocomplete="off"/></label>
          <label>…or an OS keyring entry (optional)<input id="staged-key-entry" type="text"/></label>
        </div>
        <div class="actions"><button id="sign-staged-btn" class="primary">Sign and publish</button>
          <button id="discard-staged-btn" class="danger">Discard the change…</button></div>
      </div>`
    : "";
  app.innerHTML = `
    <section id="overview">
      <h1 id="app-name">${h(s.app)}</h1>
      <p class="muted" id="repo-path">${h(s.repository)}</p>
      ${publishBanner(published)}
      ${stagedHtml}
      <div class="grid2">
        <div class="panel">
          <h2>Expiry</h2>
          <div id="timeline">${expiryTimeline(s.roles)}</div>
          <table class="roles"><thead><tr><th>Role</th><th>Version</th><th>Signatures</th><th>Expires</th><th></th></tr></thead><tbody>${roles}</tbody></table>
          <div class="actions"><button id="refresh-expiring">Refresh expiring metadata</button></div>
          <div id="refresh-result"></div>
        </div>
        <div class="panel">
          <h2>Latest release</h2>
          ${latest ? `<p id="latest-release"><strong>${h(latest.version)}</strong> ${latest.required ? '<span class="badge required">required</span>' : ""} ${latest.channel !== "stable" ? `<span class="badge channel">${h(latest.channel)}</span>` : ""} — ${bytes(latest.archive_size)}${latest.patch ? `, patch ${bytes(latest.patch.size)}` : ""}</p>` : `<p class="muted" id="no-releases">No releases yet.</p>`}
          <div class="actions"><button id="dash-add" class="primary">New release</button> <button id="dash-releases">All releases</button></div>
          ${s.clients.length ? `<h3>What clients on older releases download now</h3>${chartLegend()}<div id="dash-clients">${downloadsChart(s.clients, latest?.archive_size ?? 0)}</div>` : ""}
        </div>
      </div>
    </section>`;
  wirePublishBanner(showOverview);
  on("#refresh-expiring", async () => {
    const r = await api.refreshMetadata();
    const signed = r.refresh.signed.length ? `Re-signed ${r.refresh.signed.join(", ")}.` : "Nothing was due.";
    const skipped = r.refresh.skipped.map((k) => `<li class="warning">${k.role}: ${h(k.reason)}</li>`).join("");
    const up = r.upload ? ` Uploaded ${count(r.upload.uploaded.length, "file")} to ${h(r.to ?? "")}.` : r.to ? "" : " Not uploaded: no destination saved.";
    await showOverview();
    $("#refresh-result").innerHTML = `<p class="note" id="refresh-summary">${signed}${up}</p>${skipped ? `<ul>${skipped}</ul>` : ""}`;
  });
  on("#dash-add", showAdd);
  on("#dash-releases", showReleases);
  if (staged.roles.length) {
    wireBrowse();
    on("#sign-staged-btn", async () => {
      const o = await api.signStaged(val("#staged-key-file").trim() || null, val("#staged-key-entry").trim() || null, val("#staged-key-pass") || null);
      ($("#staged-key-pass") as HTMLInputElement).value = "";
      if (!o.published) {
        const waiting = o.waiting.map((w) => `${w.role}: ${w.signatures} of ${w.threshold} signatures`).join("; ");
        throw { code: "still_waiting", message: `Signed, still waiting: ${waiting}. Bring another key of the role.` };
      }
      await showOverview();
      $("#refresh-result").innerHTML = `<p class="note" id="staged-published">The staged change is signed and in the local repository: ${o.versions.map((v) => `${v.role} ${v.from}→${v.to}`).join(", ")}.</p>`;
    });
    on("#discard-staged-btn", async (b) => {
      const ok = await confirmAt(b, `Throw the staged change away? ${count(staged.files.length, "new file")} and the unsigned metadata are deleted; the repository stays as it is.`, "Discard");
      if (!ok) return;
      await api.discardStaged();
      await showOverview();
    });
  }
  setNav("overview");
}

function chartLegend(): string {
  return `<div class="legend"><span><i style="background:var(--bar-full-chosen)"></i>full archive</span>
    <span><i style="background:var(--bar-patch-chosen)"></i>patch chain</span>
    <span>lighter bar: not chosen</span>
    <span><i style="background:var(--bad);height:2px"></i>patch limit (0.8 × the archive): a longer chain downloads the archive instead</span></div>`;
}

// ------------------------------------------------------------- releases

/** A release's rollout in words: rolling N%, paused, pulled, or out to everyone. */
function rolloutBadge(r: Release, rollbackTargets: Set<string>): string {
  const back = rollbackTargets.has(r.version) ? ' <span class="badge rollback" title="Clients of a pulled release go back to it">rollback target</span>' : "";
  const o = r.rollout;
  if (!o) return `<span class="badge rollout-all">all installs</span>${back}`;
  switch (o.state) {
    case "rolling":
      return `<span class="badge rollout-rolling">rolling out ${o.percent}%</span>${back}`;
    case "paused":
      return `<span class="badge rollout-paused">paused at ${o.percent}%</span>${back}`;
    case "pulled":
      return `<span class="badge rollout-pulled">pulled</span>${r.rollback_to ? ` <span class="muted">clients go back to ${h(r.rollback_to)}</span>` : ""}${back}`;
  }
}

/** One stream's releases (a platform's, or the platform-less ones), newest first, with rollout controls. */
function releasesTable(releases: Release[], platform: string | null): string {
  const backTargets = new Set(releases.flatMap((r) => (r.rollout?.state === "pulled" && r.rollback_to ? [r.rollback_to] : [])));
  const rows = [...releases]
    .reverse()
    .map((r) => {
      const key = `data-version="${h(r.version)}" data-platform="${h(platform ?? "")}"`;
      const percent = r.rollout?.percent ?? 100;
      // Controls in a row of their own under the release: the table stays narrow.
      const controls =
        r.rollout?.state === "pulled"
          ? ""
          : `<tr class="rollout-row" ${key}><td colspan="7"><div class="rollout-controls row">
              <label class="check">Offer to <input class="rollout-range" type="range" min="0" max="100" step="1" value="${percent}" aria-label="Rollout percentage of ${h(r.version)}"/>
              <input class="rollout-percent" type="number" min="0" max="100" value="${percent}" style="width:4.5rem"/> % of installs</label>
              <button class="rollout-set" ${key}>Set</button>
              ${r.rollout?.state === "paused" ? "" : `<button class="rollout-pause" ${key}>Pause</button>`}
              <button class="rollout-pull danger" ${key}>Pull…</button></div></td></tr>`;
      return `<tr class="release" ${key}><td><strong>${h(r.version)}</strong></td><td class="muted">${h(r.published ?? "")}</td><td>${bytes(r.archive_size)}</td>
        <td>${r.patch ? bytes(r.patch.size) : "—"}</td><td>${r.required ? '<span class="badge required">required</span>' : ""} <span class="badge channel">${r.channel}</span></td>
        <td class="rollout-state">${rolloutBadge(r, backTargets)}</td>
        <td class="muted">${h(r.notes ?? "")}</td></tr>${controls}`;
    })
    .join("");
  const id = platform === null ? "releases" : `releases-${platform}`;
  return `<table id="${h(id)}" class="releases"><thead><tr><th>Version</th><th>Added</th><th>Archive</th><th>Patch</th><th></th><th>Rollout</th><th>Notes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The confirmation of a pull, from the engine's preview. */
function pullHtml(previews: PullPreview[]): string {
  const lines = previews.map((p) => {
    const on = p.platform ? ` on ${h(p.platform)}` : "";
    const back = p.rollback_to
      ? `clients already on ${h(p.version)} go back to ${h(p.rollback_to)} (a signed downgrade, by full archive)`
      : `no good release precedes it: clients already on ${h(p.version)} stay on it`;
    return `<li>Pulling ${h(p.version)}${on} affects installs in <strong class="pull-buckets">${p.buckets} of 100</strong> buckets: ${back}; no other install gets ${h(p.version)}.</li>`;
  });
  lines.push("<li>Clients see this after the next upload.</li>");
  return `<ul class="consequence">${lines.join("")}</ul>`;
}

/** Wires the rollout controls of every release row. */
function wireRollout(): void {
  for (const row of Array.from(app.querySelectorAll<HTMLElement>("tr.rollout-row"))) {
    const range = row.querySelector<HTMLInputElement>(".rollout-range");
    const number = row.querySelector<HTMLInputElement>(".rollout-percent");
    if (!range || !number) continue;
    range.addEventListener("input", () => (number.value = range.value));
    number.addEventListener("input", () => (range.value = number.value));
    const version = row.dataset.version ?? "";
    const platform = row.dataset.platform || null;
    const done = async (words: string) => {
      await showReleases();
      $("#rollout-result").innerHTML = `<p class="note" id="rollout-done">${words} Upload to publish the change.</p>`;
    };
    const act = (sel: string, f: (b: HTMLButtonElement) => Promise<void>) => {
      const b = row.querySelector<HTMLButtonElement>(sel);
      if (b) b.addEventListener("click", () => void runAction(b, () => f(b)));
    };
    act(".rollout-set", async () => {
      const percent = Number(number.value);
      if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
        throw { code: "invalid_setting", message: "A rollout percentage is a whole number from 0 to 100." };
      }
      await api.setRollout(version, platform, { kind: "percent", percent });
      await done(percent === 100 ? `${h(version)} is offered to every install.` : `${h(version)} is rolling out to ${percent}% of installs.`);
    });
    act(".rollout-pause", async () => {
      await api.setRollout(version, platform, { kind: "pause" });
      await done(`${h(version)} is paused: no new installs get it.`);
    });
    act(".rollout-pull", async (b) => {
      const previews = await api.previewPull(version, platform);
      if (!(await confirmAt(b, pullHtml(previews), `Pull ${version}`))) return;
      await api.setRollout(version, platform, { kind: "pull" });
      await done(`${h(version)} is pulled.`);
    });
  }
}

async function showReleases(): Promise<void> {
  setPathsHandler(null);
  const s = await reloadStatus();
  const platforms = s.platforms ?? [];
  const any = s.releases.length > 0 || platforms.some((p) => p.releases.length > 0);
  // With platforms, one group per platform (and the platform-less releases first, when there are any).
  const tables = platforms.length
    ? (s.releases.length ? `<h2 class="platform-group">Without platform</h2>${releasesTable(s.releases, null)}` : "") +
      platforms.map((p) => `<h2 class="platform-group" data-platform="${h(p.platform)}">${h(p.platform)}</h2>${releasesTable(p.releases, p.platform)}`).join("")
    : releasesTable(s.releases, null);
  app.innerHTML = `
    <section id="releases-screen">
      <h1>Releases</h1>
      <div class="actions"><button id="new-release" class="primary">New release</button></div>
      ${any ? `${tables}<p class="muted">Rollout: each install falls in one of 100 buckets (from a random id it keeps); a release rolling out to N% reaches the buckets below N. Pause stops new installs; pull withdraws it and sends its clients back to the release before.</p><div id="rollout-result"></div>` : `<p class="muted" id="no-releases">No releases yet.</p>`}
      ${s.clients.length ? `<h2>What clients on older releases download now</h2>${chartLegend()}<div id="release-clients">${downloadsChart(s.clients, s.releases[s.releases.length - 1]?.archive_size ?? 0)}</div>` : ""}
      ${s.releases.length ? `<div class="panel"><h2>Take releases back</h2>
        <p class="muted">You see what clients will download before anything is removed.</p>
        <div class="actions"><button id="remove-latest-btn" class="danger">Remove the latest release…</button></div>
        <div class="row" data-enter="prune-btn"><label class="check">Keep the newest <input id="prune-keep" type="number" min="1" value="${Math.max(1, Math.min(3, s.releases.length - 1))}" style="width:5rem"/> releases</label>
          <button id="prune-btn" class="danger">Prune older releases…</button></div>
        <div id="removal-result"></div></div>` : ""}
    </section>`;
  on("#new-release", showAdd);
  wireRollout();
  if (s.releases.length) {
    const remove = async (b: HTMLButtonElement, removal: { kind: "latest" } | { kind: "prune"; keep: number }) => {
      const preview = await api.previewRemoval(removal);
      const ok = await confirmAt(b, consequenceHtml(preview), `Remove ${preview.removed.join(", ")}`);
      if (!ok) return;
      const o = await api.removeReleases(removal);
      await showReleases();
      $("#removal-result").innerHTML = `<p class="note" id="removed">Removed ${preview.removed.map(h).join(", ")} from the local repository (${count(o.removed.length, "file")}). Upload to publish the change.</p>`;
    };
    on("#remove-latest-btn", (b) => remove(b, { kind: "latest" }));
    on("#prune-btn", (b) => remove(b, { kind: "prune", keep: Number(val("#prune-keep")) }));
  }
  setNav("releases");
}

async function showAdd(): Promise<void> {
  const suggestion = await api.suggestVersion().catch(() => "1.0.0");
  app.innerHTML = `
    <section id="add">
      <h1>New release</h1>
      <div id="dropzone" class="dropzone">Drop the app's bundle folder here, or type or pick its path.</div>
      <div data-enter="preview-btn">
        ${pathField("bundle-path", "Bundle folder", true)}
        <label>Version (PEP 440)<input id="version" type="text" value="${h(suggestion)}"/></label>
      </div>
      <label class="check"><input id="required" type="checkbox"/> Required: clients install this release before any later one</label>
      <label>Release notes<textarea id="notes" rows="3"></textarea></label>
      <div class="actions"><button id="preview-btn" class="primary">Preview</button></div>
      <div id="progress-box" hidden><progress id="progress" max="100" value="0"></progress> <span id="progress-label"></span>
        <button id="cancel-btn">Cancel</button></div>
      <div id="preview"></div>
    </section>`;
  wireBrowse();
  // The engine suggests the version (the bundle's VERSION file, else the
  // next patch version) until the user types one.
  const versionBox = $("#version") as HTMLInputElement;
  const bundleBox = $("#bundle-path") as HTMLInputElement;
  let versionTyped = false;
  const stale = () => ($("#preview").innerHTML = "");
  versionBox.addEventListener("input", () => {
    versionTyped = true;
    stale();
  });
  const bundleChanged = async () => {
    stale();
    if (versionTyped || !bundleBox.value.trim()) return;
    const suggested = await api.suggestVersion(bundleBox.value).catch(() => null);
    // The user may have typed a version while the engine answered.
    if (suggested && !versionTyped) versionBox.value = suggested;
  };
  bundleBox.addEventListener("change", () => void bundleChanged());
  setPathsHandler((paths) => {
    bundleBox.value = paths[0];
    void bundleChanged();
  });
  on("#preview-btn", preview);
  $("#cancel-btn").addEventListener("click", () => void api.cancel());
  setNav("releases");
}

function releaseArgs(): ReleaseArgs {
  return { bundle: required("#bundle-path", "the bundle folder"), version: val("#version"), required: ($("#required") as HTMLInputElement).checked, notes: val("#notes") };
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
  const args = releaseArgs();
  // A first answer in under a second; the exact figures replace it.
  const estimate = await api.estimateRelease(args.bundle).catch(() => null);
  $("#preview").innerHTML = estimate ? estimateView(estimate) : "";
  const plan = await withProgress(() => api.planRelease(args));
  // Keys checked now, not from the status of when the screen opened.
  const status = await reloadStatus();
  const signers = status.keys.filter((k) => k.roles.some((r) => r !== "root"));
  const versions = plan.metadata.map((v) => `<li>${v.role}: version ${v.from} → ${v.to}</li>`).join("");
  const files = [plan.archive.name, ...(plan.patch ? [plan.patch.name] : [])];
  const warnings = plan.warnings.length
    ? `<div id="plan-warnings" class="note warnings">${plan.warnings.map((w) => `<p class="warning plan-warning" data-kind="${h(w.kind)}">${h(w.text)}</p>`).join("")}</div>`
    : "";
  $("#preview").innerHTML = `
    <h2>Preview</h2>
    ${warnings}
    <table class="facts">
      <tr><th>Archive</th><td id="preview-archive" data-bytes="${plan.archive.size}">${bytes(plan.archive.size)}</td></tr>
      <tr><th>Patch from ${h(plan.previous ?? "—")}</th><td id="preview-patch" data-bytes="${plan.patch?.size ?? ""}">${plan.patch ? `${bytes(plan.patch.size)} (${((plan.patch_ratio ?? 0) * 100).toFixed(1)}% of the archive)` : "none (first release)"}</td></tr>
      <tr><th>Bundle</th><td>${bytes(plan.bundle_bytes)} in a ${bytes(plan.tar_size)} tar</td></tr>
    </table>
    <details><summary>What changed in the bundle</summary>${estimate ? estimateView(estimate) : ""}</details>
    <h3>What clients on older releases download</h3>
    ${chartLegend()}
    <div id="chart">${downloadsChart(plan.clients, plan.archive.size)}</div>
    <h2>Sign</h2>
    <p>Files to write: <span id="plan-files">${files.map(h).join(", ")}</span>, then targets.json, snapshot.json, timestamp.json, into the local repository.</p>
    <ul id="plan-versions">${versions}</ul>
    <p>Keys that sign: ${signers.map((k) => `${h(k.name)} (${k.available ? "at hand" : '<span class="warning">missing</span>'})`).join(", ")}</p>
    <div class="actions"><button id="publish-btn" class="primary">Sign ${h(plan.version)}</button></div>`;
  on("#publish-btn", publish);
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
  const result = await withProgress(() => api.addRelease(releaseArgs()));
  await reloadStatus();
  const published = await api.publishedState();
  const o = result.outcome;
  app.innerHTML = `
    <section id="result">
      <h1>${o.published ? `Signed ${h(result.plan.version)} into the local repository` : "Staged: signatures are missing"}</h1>
      ${o.published ? `<p>Written to <span id="result-repo">${h(result.repository)}</span>:</p><ul id="written">${o.written.map((w) => `<li class="written">${h(w)}</li>`).join("")}</ul>` : `<ul>${o.waiting.map((w) => `<li>${w.role}: ${w.signatures} of ${w.threshold} signatures; missing: ${h(w.missing.join("; "))}</li>`).join("")}</ul><p>Sign it from the Overview, with the missing key.</p>`}
      <p>${o.versions.map((v) => `${v.role} ${v.from}→${v.to}`).join(", ")}</p>
      ${o.published ? publishBanner(published) : ""}
      <div class="actions"><button id="back-overview">Back to the overview</button></div>
    </section>`;
  wirePublishBanner(showOverview);
  $("#back-overview").addEventListener("click", () => go("overview"));
  setNav("releases");
}

// -------------------------------------------------------------- publish

async function showPublish(): Promise<void> {
  setPathsHandler(null);
  const s = await reloadStatus();
  const published = await api.publishedState();
  const saved = s.publish_to ?? "";
  const checkDefault = saved && !saved.includes("://") ? saved : "";
  app.innerHTML = `
    <section id="publish">
      <h1>Publish</h1>
      ${publishBanner(published)}
      <div class="grid2">
        <div class="panel">
          <h2>Upload</h2>
          <div data-enter="upload-btn">
            <label>Destination: a folder (served by your web server) or s3://bucket/prefix
              <input id="publish-to" type="text" placeholder="s3://bucket/prefix or a folder" value="${h(saved)}" spellcheck="false"/></label>
            <label>S3 endpoint (MinIO, R2…), optional<input id="publish-endpoint" type="text"/></label>
            <label>S3 region, optional<input id="publish-region" type="text"/></label>
          </div>
          <label class="check"><input id="remember-dest" type="checkbox" checked/> Remember as this project's destination</label>
          <div class="actions"><button id="upload-btn" class="primary">Upload</button></div>
          <p id="upload-result" class="muted"></p>
        </div>
        <div class="panel">
          <h2>Check the published copy</h2>
          <p class="muted">Reads it as a client would: every signature, every file's hash.</p>
          <div data-enter="verify-btn"><label>Address clients use, or the folder you uploaded to
            <input id="verify-url" type="text" placeholder="https://updates.example.com/ or a folder" value="${h(checkDefault)}" spellcheck="false"/></label></div>
          <div class="actions"><button id="verify-btn">Check as a client would</button></div>
          <div id="verify-result"></div>
        </div>
      </div>
    </section>`;
  wirePublishBanner(showPublish);
  on("#upload-btn", async () => {
    const to = required("#publish-to", "a destination");
    const endpoint = val("#publish-endpoint").trim() || null;
    const region = val("#publish-region").trim() || null;
    if (($("#remember-dest") as HTMLInputElement).checked) await api.saveDestination(to, endpoint, region);
    const r = await api.upload(to, endpoint);
    const state = await api.publishedState();
    $("#publish-state").outerHTML = publishBanner(state);
    wirePublishBanner(showPublish);
    $("#upload-result").textContent = `Uploaded ${r.uploaded.length} file(s), ${bytes(r.bytes)}; ${r.skipped.length} already there; ${r.deleted.length} removed.${r.not_listed.length ? ` Not uploaded (not listed by the metadata): ${r.not_listed.join(", ")}.` : ""}`;
    const check = $("#verify-url") as HTMLInputElement;
    if (!check.value && !to.includes("://")) check.value = to;
  });
  on("#verify-btn", async () => {
    const r = await api.verifyPublished(required("#verify-url", "the address or folder to check"));
    $("#verify-result").innerHTML = `
      <p id="verify-summary" class="${r.problems.length ? "warn" : "ok"}">${r.problems.length ? `${r.problems.length} problem(s): clients will fail` : "OK: clients can update from this repository"} (${r.targets_checked} files, ${bytes(r.bytes_checked)} checked)</p>
      <ul>${r.problems.map((p) => `<li class="problem">${h(p)}</li>`).join("")}${r.warnings.map((w) => `<li class="warning">${h(w)}</li>`).join("")}</ul>`;
  });
  setNav("publish");
}

// ------------------------------------------------------------------ keys

/** The key store a location string names, so rotating keeps custody. */
function storeOf(location: string): "file" | "keyring" {
  return location.startsWith("OS keyring") ? "keyring" : "file";
}

async function showKeys(): Promise<void> {
  const s = await reloadStatus();
  app.innerHTML = `
    <section id="keys">
      <h1>Keys</h1>
      <table id="keys-table"><thead><tr><th>Name</th><th>Roles</th><th>Lives in</th><th></th><th></th></tr></thead><tbody>
      ${s.keys.map((k) => `<tr data-key="${h(k.name)}"><td><strong>${h(k.name)}</strong>${k.owner ? `<br/><span class="muted">${h(k.owner)}</span>` : ""}</td><td>${k.roles.join(", ")}</td><td>${h(k.location)}</td>
        <td>${k.available ? '<span class="badge ok">at hand</span>' : '<span class="badge warn">not here</span>'}</td>
        <td class="actions-cell"><button class="key-tool" id="export-${h(k.name)}" data-name="${h(k.name)}" data-tool="export">Export…</button>
          <button class="key-tool" id="move-${h(k.name)}" data-name="${h(k.name)}" data-tool="move">Move…</button></td></tr>`).join("")}
      </tbody></table>
      <div id="key-tool"></div>
      <div class="panel"><h2>Add a key</h2>
        <p class="muted">Keys of root and changes of root go through a signing request (Ceremony).</p>
        <div class="row" data-enter="key-add">
          <select id="key-role">${ROLES.map((r) => `<option>${r}</option>`).join("")}</select>
          <input id="key-name" placeholder="name (optional)"/>
          <input id="key-owner" placeholder="owner (optional)"/>
          <select id="key-store"><option value="keyring">OS keyring</option><option value="file">key file</option></select>
          <button id="key-add">Add key</button>
        </div>
        <div id="key-request"></div>
      </div>
    </section>`;
  app.querySelectorAll<HTMLButtonElement>("button.key-tool").forEach((b) =>
    b.addEventListener("click", () => {
      const name = b.dataset.name ?? "";
      const tool = $("#key-tool");
      if (b.dataset.tool === "export") {
        tool.innerHTML = `<div class="panel" data-enter="export-btn"><h2>Export an encrypted copy of ${h(name)}</h2>
          <p class="muted">A backup, or a key file to hand to a custodian. The copy is encrypted with the passphrase.</p>
          ${pathField("export-dest", "Save to (file)", false, `${name}-backup.pem`)}
          <label>Passphrase<input id="export-pass" type="password" autocomplete="new-password"/></label>
          <label>Passphrase again<input id="export-pass2" type="password" autocomplete="new-password"/></label>
          <div class="actions"><button id="export-btn" class="primary">Export</button></div><p id="export-result" class="ok"></p></div>`;
        wireBrowse();
        on("#export-btn", async () => {
          if (val("#export-pass") !== val("#export-pass2")) throw { code: "mismatch", message: "The two passphrases differ." };
          const where = await api.exportKey(name, required("#export-dest", "where to save the copy"), val("#export-pass"));
          ($("#export-pass") as HTMLInputElement).value = "";
          ($("#export-pass2") as HTMLInputElement).value = "";
          $("#export-result").textContent = `Saved an encrypted copy to ${where}. Keep it offline, apart from this computer.`;
        });
      } else {
        tool.innerHTML = `<div class="panel" data-enter="move-btn"><h2>Move ${h(name)}</h2>
          <label>To<select id="move-to"><option value="file">a key file in the project's keys folder</option><option value="keyring">the OS keyring</option></select></label>
          <label>Passphrase for a key file (optional; encrypts it)<input id="move-pass" type="password" autocomplete="new-password"/></label>
          <div class="actions"><button id="move-btn" class="primary">Move</button></div><p id="move-result" class="ok"></p></div>`;
        on("#move-btn", async (mb) => {
          const ok = await confirmAt(mb, `Move ${h(name)}? The old copy is deleted once the new one reads back as the same key.`, "Move");
          if (!ok) return;
          const where = await api.moveKey(name, val("#move-to"), val("#move-pass") || null);
          await showKeys();
          $("#key-tool").innerHTML = `<p class="note" id="move-result">${h(name)} now lives in ${h(where)}.</p>`;
        });
      }
      tool.scrollIntoView({ block: "nearest" });
    }),
  );
  on("#key-add", async () => {
    const v = await api.rootChange({ kind: "add_key", role: val("#key-role"), name: val("#key-name") || null, key_store: val("#key-store"), owner: val("#key-owner") || null });
    $("#key-request").innerHTML = `${requestHtml(v)}<p>Continue in Ceremony: custodians sign the request, then publish it.</p>`;
  });
  setNav("keys");
}

// -------------------------------------------------------------- ceremony

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

async function showCeremony(): Promise<void> {
  const s = await reloadStatus();
  app.innerHTML = `
    <section id="ceremony">
      <h1>Root ceremony</h1>
      <p>Every root change becomes a request file that custodians sign offline; a second change joins the pending request; copies signed in parallel are merged here.</p>
      <div class="grid2">
        <div class="panel"><h2>Keys of root's roles</h2>
          <table><thead><tr><th>Name</th><th>Roles</th><th></th></tr></thead><tbody>
          ${s.keys.map((k) => `<tr><td>${h(k.name)}</td><td>${k.roles.join(", ")}</td>
            <td class="actions-cell"><button class="replace" id="replace-${h(k.name)}" data-name="${h(k.name)}" data-store="${storeOf(k.location)}">Rotate</button> <button class="revoke danger" id="revoke-${h(k.name)}" data-name="${h(k.name)}">Revoke…</button></td></tr>`).join("")}
          </tbody></table>
          <h3>Signatures needed</h3>
          <div class="row" data-enter="thr-btn"><select id="thr-role">${ROLES.map((r) => `<option>${r}</option>`).join("")}</select>
            <input id="thr-value" type="number" min="1" max="16" value="${s.roles.find((r) => r.role === ROLES[0])?.threshold ?? 1}" style="width:5rem"/>
            <button id="thr-btn">Change threshold</button> <span id="thr-now" class="muted">now ${s.roles.find((r) => r.role === ROLES[0])?.threshold ?? 1}</span></div>
          <div class="actions"><button id="refresh-root">New request: refresh root expiry</button></div>
        </div>
        <div class="panel"><h2>Pending request</h2>
          <div data-enter="req-check">${pathField("req-paths", "Request file(s), separated by ;", false)}</div>
          <div class="actions"><button id="req-check">Check signatures</button> <button id="req-sign-here" title="Sign with the root keys of this project that are on this computer">Sign with this project's root keys</button> <button id="req-publish" class="primary">Publish…</button></div>
          <div id="request"></div>
        </div>
      </div>
    </section>`;
  wireBrowse();
  const showRequest = (v: RequestView) => {
    ($("#req-paths") as HTMLInputElement).value = v.path;
    $("#request").innerHTML = requestHtml(v);
  };
  const paths = () => {
    const p = val("#req-paths").split(";").map((x) => x.trim()).filter(Boolean);
    if (!p.length) throw { code: "missing_input", message: "Choose the request file first." };
    return p;
  };
  app.querySelectorAll<HTMLButtonElement>("button.replace").forEach((b) =>
    b.addEventListener("click", () => runAction(b, async () => showRequest(await api.rootChange({ kind: "replace_key", name: b.dataset.name, key_store: b.dataset.store })))),
  );
  app.querySelectorAll<HTMLButtonElement>("button.revoke").forEach((b) =>
    b.addEventListener("click", () =>
      runAction(b, async () => {
        if (!(await confirmAt(b, `Revoke ${h(b.dataset.name ?? "")}? Signatures by this key stop counting once the new root is published.`, "Revoke"))) return;
        showRequest(await api.rootChange({ kind: "revoke_key", name: b.dataset.name }));
      }),
    ),
  );
  // The field starts at the role's current threshold, never at a default
  // that could lower it by accident.
  $("#thr-role").addEventListener("change", () => {
    const now = s.roles.find((r) => r.role === val("#thr-role"))?.threshold ?? 1;
    ($("#thr-value") as HTMLInputElement).value = String(now);
    $("#thr-now").textContent = `now ${now}`;
  });
  on("#thr-btn", async () => showRequest(await api.rootChange({ kind: "threshold", role: val("#thr-role"), threshold: Number(val("#thr-value")) })));
  on("#refresh-root", async () => showRequest(await api.rootChange({ kind: "refresh", expires_days: null })));
  on("#req-check", async () => {
    $("#request").innerHTML = requestHtml(await api.requestStatus(paths()));
  });
  // Two steps: the first click shows the change, the second signs exactly
  // that (the fingerprint ties the signature to what was on screen).
  let shownFingerprint = "";
  on("#req-sign-here", async (signHere) => {
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
  });
  on("#req-publish", async (b) => {
    const v = await api.requestStatus(paths());
    $("#request").innerHTML = requestHtml(v);
    if (!(await confirmAt(b, `Publish the new root (fingerprint <strong>${h(v.status.fingerprint)}</strong>)? Clients trust its keys from their next update.`, "Publish root"))) return;
    const o = await api.publishRequest(paths());
    await reloadStatus();
    $("#request").innerHTML = `<p id="req-published" class="ok">Published into the local repository: ${o.versions.map((v) => `${v.role} ${v.from}→${v.to}`).join(", ")}. Upload to publish it to clients.</p>`;
  });
  setNav("ceremony");
}

// -------------------------------------------------------------- settings

async function showSettings(): Promise<void> {
  const s = await reloadStatus();
  app.innerHTML = `
    <section id="settings">
      <h1>Settings</h1>
      <table class="facts">
        <tr><th>App</th><td>${h(s.app)}</td></tr>
        <tr><th>Repository</th><td id="settings-repo">${h(s.repository)}</td></tr>
        <tr><th>Destination</th><td id="settings-dest">${s.publish_to ? h(s.publish_to) : '<span class="muted">none saved</span>'} <button id="settings-publish" class="link">Change…</button></td></tr>
      </table>
      <h2>Expiry periods</h2>
      <table><thead><tr><th>Role</th><th>Re-signed every</th><th>Signatures needed</th><th></th></tr></thead><tbody>
        ${s.roles.map((r) => `<tr><th>${r.role}</th><td>${count(r.period_days, "day")}</td><td>${r.threshold}</td><td class="muted">${EXPIRY_HELP[r.role]}</td></tr>`).join("")}
      </tbody></table>
      <p class="muted">Periods live in tufa.toml; thresholds change through a root signing request (Ceremony).</p>
    </section>`;
  $("#settings-publish").addEventListener("click", () => go("publish"));
  setNav("settings");
}

// ------------------------------------------------------------- custodian

function showCustodian(): void {
  app.innerHTML = `
    <section id="custodian">
      <h1>I hold a key: review and sign a root change</h1>
      <p>Works offline, without the repository: only the request file and your key.</p>
      <div data-enter="req-open">${pathField("req-path", "Signing request file", false)}</div>
      <div class="actions"><button id="req-open" class="primary">Open</button></div>
      <div id="request"></div>
      <div id="sign-box" hidden>
        <h2>Sign</h2>
        ${pathField("key-file", "Key file (PEM, encrypted PEM, or tufup key file)", false)}
        <label>Passphrase (encrypted keys only)<input id="key-pass" type="password" autocomplete="off"/></label>
        <label>…or an OS keyring entry<input id="key-entry" type="text"/></label>
        <label class="confirm check"><input id="sign-confirm" type="checkbox"/> I have read every change above, and the fingerprint matches the one the publisher gave me</label>
        <div class="actions"><button id="sign-btn" class="primary" disabled>Sign and save</button></div>
        <p id="signed" class="ok" hidden></p>
      </div>
    </section>`;
  wireBrowse();
  setPathsHandler((paths) => (($("#req-path") as HTMLInputElement).value = paths[0]));
  // What the custodian reviewed: signing is refused if the file changed since.
  let reviewed = "";
  const confirmBox = $("#sign-confirm") as HTMLInputElement;
  const signBtn = button("#sign-btn");
  confirmBox.addEventListener("change", () => (signBtn.disabled = !confirmBox.checked || !reviewed));
  on("#req-open", async () => {
    const v = await api.requestStatus([required("#req-path", "the request file")]);
    reviewed = v.status.fingerprint;
    confirmBox.checked = false;
    signBtn.disabled = true;
    $("#request").innerHTML = requestHtml(v);
    $("#sign-box").hidden = false;
  });
  signBtn.addEventListener("click", () =>
    runAction(signBtn, async () => {
      if (!confirmBox.checked || !reviewed) return;
      const v = await api.custodianSign(val("#req-path"), val("#key-file") || null, val("#key-entry") || null, val("#key-pass") || null, reviewed);
      ($("#key-pass") as HTMLInputElement).value = "";
      $("#request").innerHTML = requestHtml(v);
      const done = $("#signed");
      done.hidden = false;
      done.textContent = `Signed and saved to ${v.path}. Return the file to the publisher.`;
    }).then(() => (signBtn.disabled = !confirmBox.checked || !reviewed)),
  );
  setNav("custodian");
}

// ----------------------------------------------------------------- start

async function start(): Promise<void> {
  wireOpenLog();
  wireEnter();
  wireShortcuts();
  // What the app does when an error's remedy is a button.
  setRemedyHandlers({
    refresh_role: async (r) => {
      if (r.kind === "refresh_role") await api.signRole(r.role, null);
      await showOverview();
    },
    sign_staged: async () => {
      await showOverview();
      document.getElementById("staged-panel")?.scrollIntoView();
    },
    discard_staged: async () => {
      await showOverview();
      document.getElementById("discard-staged-btn")?.scrollIntoView();
    },
    open_project: showStart,
    init_project: showCreate,
    new_signing_request: showCeremony,
  });
  await listenForDrops();
  (window as unknown as { tufaOpenPaths: typeof openPaths }).tufaOpenPaths = openPaths;
  const info = await api.appInfo();
  const attempt = async (f: () => Promise<Status>) => {
    try {
      enterProject(await f());
    } catch (e) {
      showGlobalError(e);
    }
  };
  if (info.project) {
    await attempt(() => api.openProject(info.project ?? ""));
    if (current) return;
  }
  if (info.auto_demo) {
    await attempt(() => api.createDemo());
    if (current) return;
  }
  await showStart();
}

void start();
