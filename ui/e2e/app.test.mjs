// End-to-end tests of the desktop app in a real window (Xvfb), driven
// through tauri-driver and WebKitWebDriver. Engine results are checked
// against the `tufa` CLI on the same input.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { actions, appBin, freePort, root, startSession, tufaBin, waitPort } from "./support.mjs";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "tufa-e2e-"));
let browser;
let el, click, type, shot;

// The root key of the project the first test creates is an encrypted
// file (the wizard's default); the CLI gets its passphrase from the
// environment when a later test signs root with it.
const ROOT_PASS = "correct horse battery staple";

function tufa(...args) {
  return JSON.parse(
    execFileSync(tufaBin, ["--json", ...args], { encoding: "utf8", env: { ...process.env, TUFA_PASSPHRASE_ROOT: ROOT_PASS } }),
  );
}

function noise(seed, n) {
  const b = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

function bundle(name, version, edits) {
  const dir = path.join(work, name);
  fs.mkdirSync(path.join(dir, "lib"), { recursive: true });
  const bin = noise(7, 120_000);
  for (let i = 0; i < edits; i++) noise(100 + i, 300).copy(bin, 5000 * (i + 1));
  fs.writeFileSync(path.join(dir, "app.bin"), bin);
  fs.writeFileSync(path.join(dir, "VERSION"), version);
  fs.writeFileSync(path.join(dir, "lib", "notes.txt"), `release ${version}\n`);
  return dir;
}

function fingerprint(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (!e.name.startsWith(".tufa-lock")) out[path.relative(dir, p)] = fs.readFileSync(p).toString("base64");
    }
  };
  walk(dir);
  return out;
}

// S3 credentials come from the app (the OS keyring), not from whatever
// the test runner's environment holds.
function withoutAws(env) {
  const out = { ...env };
  for (const k of ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"]) delete out[k];
  return out;
}

let session;

before(async () => {
  assert.ok(fs.existsSync(appBin), `${appBin} missing: build the app first (scripts/test.sh does)`);
  session = await startSession(appBin, { ...withoutAws(process.env), TUFA_APP_DATA: path.join(work, "appdata") });
  browser = session.browser;
  ({ el, click, type, shot } = actions(browser));
});

after(async () => {
  await session?.stop();
});

test("create a repository, add two releases by typed path, preview equals the engine's plan, publish", async () => {
  await (await el("#open-btn")).waitForDisplayed({ timeout: 15000 });
  await shot("start");
  await click("#create-start");
  const proj = path.join(work, "proj");
  await type("#create-app", "e2eapp");
  await type("#create-dir", proj);
  await (await el("#create-store")).selectByAttribute("value", "file");
  // The root key: an encrypted file by default, its passphrase typed twice.
  assert.equal(await (await el("#root-encrypted")).isSelected(), true);
  await type("#create-root-pass", ROOT_PASS);
  await type("#create-root-pass2", "not the same");
  await shot("create");
  await click("#create-btn");
  const mismatch = await el('.feedback.error[data-for="create-btn"]');
  assert.equal(await mismatch.getAttribute("data-code"), "mismatch");
  assert.ok(!fs.existsSync(path.join(proj, "tufa.toml")), "nothing created on a mismatch");
  await type("#create-root-pass2", ROOT_PASS);
  await click("#create-btn");
  // Then the backup step: a copy on another drive, encrypted, that opens
  // with the same passphrase and is the same key.
  await el("#root-backup");
  assert.equal(await (await el("#backup-done")).getAttribute("disabled"), "true", "continue waits for the backup");
  const rootFile = path.join(proj, "keys", "root.pem");
  assert.match(fs.readFileSync(rootFile, "utf8"), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  const backup = path.join(work, "usb", "root-backup.pem");
  fs.mkdirSync(path.dirname(backup));
  await type("#backup-dest-root", backup);
  await shot("create-root-backup");
  await click("#backup-btn");
  await browser.waitUntil(async () => (await (await el("#backup-result")).getText()).includes(backup), { timeout: 15000 });
  assert.match(fs.readFileSync(backup, "utf8"), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  // The engine read the copy back with the passphrase (same key id); a
  // root request signed with the backup counts as root's signature.
  const rootKey = tufa("--project", proj, "status").keys.find((k) => k.name === "root");
  assert.match(await (await el("#backup-result")).getText(), new RegExp(`key id ${rootKey.keyid.slice(0, 12)}`));
  await click("#backup-done");
  await el("#overview");
  const custody = tufa("--project", proj, "status").keys.find((k) => k.name === "root");
  assert.equal(custody.custody, "encrypted_file");
  // The sidebar: the project, its health, the current section marked.
  assert.equal(await (await el("#project-name")).getText(), "e2eapp");
  assert.equal(await (await el("#nav-overview")).getAttribute("aria-current"), "page");
  assert.equal(await (await el("#app-name")).getText(), "e2eapp");
  assert.ok(fs.existsSync(path.join(proj, "tufa.toml")));

  for (const [name, version, edits] of [["b1", "1.0", 0], ["b2", "1.1", 3]]) {
    const dir = bundle(name, version, edits);
    await click("#nav-releases");
    await click("#new-release");
    await el("#add");
    if (version === "1.1") assert.equal(await (await el("#version")).getValue(), "1.0.1", "next patch version suggested");
    await type("#bundle-path", dir);
    await type("#version", version);
    await type("#notes", `Notes for ${version}`);
    await click("#preview-btn");
    const archive = await el("#preview-archive", 60000);
    // The pipeline: bundle and preview done, signing next.
    await el('#release-steps li[data-step="sign"][data-state="current"]');
    assert.equal(await (await el('#release-steps li[data-step="preview"]')).getAttribute("data-state"), "done");
    const plan = tufa("--project", proj, "add", dir, "--version", version, "--plan");
    assert.equal(Number(await archive.getAttribute("data-bytes")), plan.archive.size);
    const patch = await (await el("#preview-patch")).getAttribute("data-bytes");
    assert.equal(patch === "" ? null : Number(patch), plan.patch ? plan.patch.size : null);
    if (version === "1.1") {
      // The quick estimate matches what the CLI estimates and bounds the exact patch.
      const est = tufa("--project", proj, "add", dir, "--version", version, "--estimate");
      const files = await (await el("#estimate-files")).getText();
      assert.ok(files.startsWith(`${est.unchanged_files} unchanged, ${est.changed.length} changed`), files);
      assert.ok(est.changed.length + est.added.length > 0, JSON.stringify(est));
      const bounds = await el("#estimate-patch");
      assert.ok(Number(await bounds.getAttribute("data-high")) >= plan.patch.size, "upper bound holds");
      const note = await el('#chart text.note[data-from="1.0"]');
      assert.equal(await note.getAttribute("data-method"), plan.clients[0].method);
      await shot("add-release-preview");
    }
    await click("#publish-btn");
    await el("#result", 60000);
    // Local, not live: the result says the release is not uploaded yet.
    assert.match(await (await el("#result h1")).getText(), /into the local repository/);
    assert.match(await (await el("#unpublished-count")).getText(), /Not uploaded yet/);
    await el('#release-steps li[data-step="upload"][data-state="current"]');
    const written = [];
    for (const item of await browser.$$("li.written")) written.push(await item.getText());
    assert.ok(written.includes(`targets/e2eapp-${version}.tar.gz`), written.join(","));
    assert.ok(fs.existsSync(path.join(proj, "repository", "targets", `e2eapp-${version}.tar.gz`)));
    if (version === "1.1") await shot("published");
    await click("#back-overview");
    await el("#overview");
  }
  const targets = JSON.parse(fs.readFileSync(path.join(proj, "repository/metadata/targets.json"), "utf8"));
  assert.deepEqual(
    Object.keys(targets.signed.targets).sort(),
    ["e2eapp-1.0.tar.gz", "e2eapp-1.1.patch", "e2eapp-1.1.tar.gz"],
  );
  assert.equal(targets.signed.targets["e2eapp-1.1.tar.gz"].custom.user.notes, "Notes for 1.1");
  await click("#nav-releases");
  await el("#releases-screen");
  assert.equal((await browser.$$("tr.release")).length, 2);
  // Upload a copy (the destination is remembered), serve it, and check it.
  const www = path.join(work, "www");
  await click("#nav-publish");
  // The sidebar's health says what the banner says: local changes are not uploaded.
  await browser.waitUntil(async () => (await (await el("#health")).getText()) === "Not uploaded", { timeout: 15000, timeoutMsg: "health badge ignores changes not uploaded" });
  assert.equal(await (await el("#health")).getAttribute("data-level"), "warn");
  await type("#publish-to", www);
  await click("#upload-btn");
  // Counted the way the check counts: release files apart from metadata.
  await browser.waitUntil(async () => (await (await el("#upload-result")).getText()).startsWith("Uploaded 8 files (3 release files, 5 metadata files)"), { timeout: 15000 });
  await browser.waitUntil(async () => (await (await el("#health")).getText()) === "Healthy", { timeout: 15000, timeoutMsg: "health badge not back to Healthy after the upload" });
  assert.ok(fs.existsSync(path.join(www, "metadata", "timestamp.json")));
  assert.equal(await (await el("#publish-state")).getAttribute("data-changes"), "0");
  assert.ok(fs.readFileSync(path.join(proj, "tufa.toml"), "utf8").includes(`[publish]\nto = "${www}"`), "destination saved");
  // The check accepts the folder too.
  assert.equal(await (await el("#verify-url")).getValue(), www);
  // A long operation: the button is disabled and a progress bar shows at once.
  const busy = await browser.execute(() => {
    const b = document.querySelector("#verify-btn");
    b.click();
    return { disabled: b.disabled, bar: !document.querySelector("#verify-progress").hidden && !!document.querySelector("#verify-progress progress") };
  });
  assert.deepEqual(busy, { disabled: true, bar: true });
  const checked = await (await el("#verify-summary", 30000)).getText();
  assert.match(checked, /^OK: clients can update/);
  // The same three release files the upload counted.
  assert.match(checked, /\(checked 3 release files, /);
  assert.equal(await (await el("#verify-progress")).isDisplayed(), false);
  const port = await freePort();
  const server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", www], { stdio: "ignore" });
  try {
    await waitPort(port);
    await type("#verify-url", `http://127.0.0.1:${port}`);
    await click("#verify-btn");
    // The first check's summary is on screen until this one replaces it.
    await browser.waitUntil(async () => (await (await el("#verify-btn")).getAttribute("aria-busy")) === null, { timeout: 30000 });
    const summary = await el("#verify-summary", 30000);
    assert.match(await summary.getText(), /^OK: clients can update/);
    // What the app being updated needs, with this copy's address.
    await click("#client-setup summary");
    assert.equal(await (await el("#client-metadata-url")).getText(), `http://127.0.0.1:${port}/metadata/`);
    assert.equal(await (await el("#client-root")).getText(), path.join(proj, "repository", "metadata", "root.json"));
    assert.equal(JSON.parse(await (await el("#client-conf")).getText()).plugins.tufa.appName, "e2eapp");
    await (await el("#client-setup")).scrollIntoView();
    await shot("publish-client-setup");
    await click("#client-setup summary");
    fs.rmSync(path.join(www, "targets", "e2eapp-1.1.patch"));
    await click("#verify-btn");
    await browser.waitUntil(async () => (await browser.$$("li.problem")).length === 1, { timeout: 30000 });
    assert.match(await (await el("li.problem")).getText(), /e2eapp-1\.1\.patch: missing on the server/);
    await (await el("#verify-result")).scrollIntoView();
    await shot("verify");
  } finally {
    server.kill();
  }
  await browser.execute(() => window.scrollTo(0, 0));
  await shot("publish");
  // A timestamp refresh puts the local repository ahead of the server.
  await click("#nav-overview");
  await el("#overview");
  tufa("--project", proj, "sign", "timestamp");
  await click("#nav-overview");
  await browser.waitUntil(async () => (await (await el("#unpublished-count")).getText()) === "1 change not uploaded", { timeout: 15000 });
  await shot("overview");
  // Times read as local dates with how far away they are, never raw ISO.
  for (const section of ["overview", "releases", "publish"]) {
    await click(`#nav-${section}`);
    await el(`#nav-${section}[aria-current="page"]`);
    await browser.pause(300);
    const text = await browser.execute(() => document.querySelector("#app").innerText);
    assert.doesNotMatch(text, /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, `raw ISO time on ${section}`);
  }
  await click("#nav-overview");
  await el("#overview");
  assert.match(await (await el('tr.role[data-role="timestamp"] .expiry')).getText(), /^in \d+ (hours|minutes)/);
  // TUF terms explained where they appear.
  assert.ok((await (await el('tr.role[data-role="timestamp"] abbr.role-name')).getAttribute("title")).length > 20);
  await el("#overview details.explain");
  const uploading = await browser.execute(() => {
    const b = document.querySelector("#upload-now");
    b.click();
    return { disabled: b.disabled, bar: !document.querySelector("#upload-now-progress").hidden };
  });
  assert.deepEqual(uploading, { disabled: true, bar: true });
  await browser.waitUntil(async () => (await (await el("#publish-state")).getAttribute("data-changes")) === "0", { timeout: 15000 });
  assert.deepEqual(fs.readFileSync(path.join(www, "metadata", "timestamp.json")), fs.readFileSync(path.join(proj, "repository", "metadata", "timestamp.json")));
  const status = tufa("--project", proj, "status");
  assert.equal(status.roles[1].version, 3);
  await click("#nav-releases");
  await el("#releases-screen");
  await shot("releases");

  // A version not above the latest: a clear error, nothing changes.
  const before = fingerprint(path.join(proj, "repository"));
  await click("#new-release");
  await type("#bundle-path", path.join(work, "b2"));
  await type("#version", "1.0");
  // Enter in a field submits the form.
  await (await el("#version")).addValue("\uE007");
  // The error sits under the button that caused it.
  const error = await el('.feedback.error[data-for="preview-btn"]');
  assert.equal(await error.getAttribute("data-code"), "version_not_newer");
  assert.match(await error.getText(), /not above the latest release 1\.1/);
  await shot("error");
  assert.deepEqual(fingerprint(path.join(proj, "repository")), before);
});

test("custodian mode: open a signing request, review it, sign it with a key file", async () => {
  const proj = path.join(work, "ceremony");
  execFileSync(tufaBin, ["--project", proj, "init", "--app", "custody", "--key-store", "file"]);
  const req = tufa("--project", proj, "root", "request", "--no-sign", "--expires", "200");
  assert.equal(req.status.complete, false);
  await click("#nav-custodian");
  await type("#req-path", req.request);
  await click("#req-open");
  const st = await el("#req-status");
  assert.match(await st.getText(), /0 of 1 signatures from the new root; missing: root/);
  assert.match(await (await el("#req-summary")).getText(), /Root version 1 → 2/);
  // The fingerprint custodians compare by phone is the CLI's.
  assert.equal(await (await el("#req-fingerprint")).getText(), req.status.fingerprint);
  await type("#key-file", path.join(proj, "keys", "root.pem"));
  // Nothing is signed before the custodian confirms the review.
  assert.equal(await (await el("#sign-btn")).isEnabled(), false);
  await click("#sign-confirm");
  await shot("custodian");
  await click("#sign-btn");
  await el("#signed:not([hidden])");
  assert.match(await (await el("#req-status")).getText(), /1 of 1 signatures from the new root/);
  const after = tufa("--project", proj, "root", "status", req.request);
  assert.equal(after.complete, true);
});

// xdotool on the test's X display; returns "" when nothing matched.
function xdotool(...args) {
  try {
    return execFileSync("xdotool", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "";
  }
}

test("Browse opens a native dialog and the app stays responsive until it closes", async () => {
  await click("#nav-custodian");
  await type("#req-path", "/typed/before");
  await click('button.browse[data-target="req-path"]');
  // The GTK dialog is a real window on the display.
  let dialog = "";
  for (let i = 0; i < 50 && !dialog; i++) {
    dialog = xdotool("search", "--name", "Tufa: choose a file").split("\n")[0];
    if (!dialog) await browser.pause(200);
  }
  assert.ok(dialog, "the file dialog did not appear");
  // While it is open the page still runs: script executes and the DOM changes.
  const answer = await browser.execute(() => {
    const input = document.querySelector("#req-path");
    input.value = "/typed/while-open";
    return input.value;
  });
  assert.equal(answer, "/typed/while-open");
  // Cancel it from the keyboard, as a user would.
  xdotool("windowfocus", "--sync", dialog);
  xdotool("key", "--clearmodifiers", "Escape");
  for (let i = 0; i < 50 && xdotool("search", "--name", "Tufa: choose a file"); i++) await browser.pause(200);
  assert.equal(xdotool("search", "--name", "Tufa: choose a file"), "", "the dialog did not close");
  // A cancel changes nothing and shows no error; the app goes on working.
  assert.equal(await (await el("#req-path")).getValue(), "/typed/while-open");
  assert.equal(await (await el("#error")).isDisplayed(), false);
  await click("#nav-overview");
  await el("#overview");
});

test("Open log says where the app's log file is, and the engine's steps are in it", async () => {
  await click("#open-log");
  const shown = await (await el("#log-path")).getText();
  assert.ok(shown.startsWith(path.join(work, "appdata", "logs")), shown);
  assert.match(path.basename(shown), /^tufa-app\.\d{4}-\d{2}-\d{2}\.log$/);
  const log = fs.readFileSync(shown, "utf8");
  assert.match(log, /tufa-app started/);
  // The releases added by the first test left their trail.
  assert.match(log, /adding a release/);
  await click("#close-log-note");
  assert.equal(await (await el("#log-note")).isDisplayed(), false);
});

test("a staged change is signed with a key file and published without a terminal", async () => {
  const proj = path.join(work, "staged");
  execFileSync(tufaBin, ["--project", proj, "init", "--app", "stagedapp", "--key-store", "file", "--threshold", "targets=2"]);
  // The second targets key is a custodian's file, not in the project.
  const away = path.join(work, "custodian-targets-2.pem");
  fs.renameSync(path.join(proj, "keys", "targets-2.pem"), away);
  await click("#nav-start");
  await type("#open-path", proj);
  await click("#open-btn");
  await el("#overview");
  await click("#dash-add");
  await type("#bundle-path", bundle("s1", "1.0", 0));
  await type("#version", "1.0");
  await click("#preview-btn");
  await click("#publish-btn");
  assert.match(await (await el("#result h1", 60000)).getText(), /Staged: signatures are missing/);
  await click("#back-overview");
  const panel = await el("#staged-panel");
  assert.match(await panel.getText(), /targets version 2: 1 of 2 signatures; not yet signed by targets-2/);
  assert.equal(await (await el("#health")).getAttribute("data-level"), "warn");
  // A double click signs once: the button is disabled while busy.
  await type("#staged-key-file", away);
  await shot("staged");
  await browser.execute(() => {
    const b = document.querySelector("#sign-staged-btn");
    b.click();
    b.click();
  });
  const done = await el("#staged-published", 30000);
  assert.match(await done.getText(), /signed and in the local repository: targets 1→2/);
  assert.equal((await browser.$$("#staged-panel")).length, 0);
  assert.equal((await browser.$$(".feedback.error")).length, 0, "no lock error from a second click");
  const status = tufa("--project", proj, "status");
  assert.deepEqual(status.staged, []);
  const targets = JSON.parse(fs.readFileSync(path.join(proj, "repository/metadata/targets.json"), "utf8"));
  assert.equal(targets.signatures.length, 2);
  assert.ok(fs.existsSync(path.join(proj, "repository/targets/stagedapp-1.0.tar.gz")));
});

test("remove the latest release: its consequence is shown before confirming", async () => {
  const proj = path.join(work, "proj");
  await click("#nav-start");
  await type("#open-path", proj);
  await click("#open-btn");
  await el("#overview");
  await click("#nav-releases");
  await click("#remove-latest-btn");
  const confirm = await el(".feedback.confirm");
  const text = await confirm.getText();
  assert.match(text, /Removes 1\.1 \(2 files, /);
  assert.match(text, /Clients that installed 1\.1 keep it/);
  await shot("remove-latest-confirm");
  // Cancel: nothing changes.
  await click(".feedback.confirm .confirm-no");
  assert.equal((await browser.$$("tr.release")).length, 2);
});

const fits = async () => browser.execute(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);

test("layout: every screen in light and dark; none scrolls sideways at 1024x700", async () => {
  await browser.setWindowSize(1024, 700);
  const screens = [
    ["overview", "#overview"],
    ["releases", "#releases-screen"],
    ["publish", "#publish"],
    ["keys", "#keys-table"],
    ["ceremony", "#ceremony"],
    ["settings", "#settings"],
    ["custodian", "#custodian"],
    ["start", "#start"],
  ];
  for (const theme of ["light", "dark"]) {
    // The theme chosen in Settings, whatever the system says.
    await click("#nav-settings");
    await el("#settings");
    await (await el("#theme-select")).selectByAttribute("value", theme);
    const bg = await browser.execute(() => getComputedStyle(document.documentElement).backgroundColor);
    assert.equal(bg, theme === "dark" ? "rgb(13, 17, 23)" : "rgb(246, 248, 250)", `${theme} background`);
    assert.equal(await browser.execute(() => localStorage.getItem("tufa-theme")), theme);
    for (const [section, sel] of screens) {
      await click(`#nav-${section}`);
      await el(`#nav-${section}[aria-current="page"]`);
      await el(sel);
      await browser.pause(200);
      assert.equal(await fits(), true, `${section} scrolls sideways at 1024x700 (${theme})`);
      await shot(`${section}-${theme}`);
    }
    await click("#nav-releases");
    await click("#new-release");
    await el("#add");
    assert.equal(await fits(), true, `the new release screen scrolls sideways at 1024x700 (${theme})`);
    await shot(`add-${theme}`);
  }
  // Back to the system's theme (light under Xvfb): nothing stored.
  await click("#nav-settings");
  await (await el("#theme-select")).selectByAttribute("value", "system");
  assert.equal(await browser.execute(() => localStorage.getItem("tufa-theme")), null);
  assert.equal(await browser.execute(() => getComputedStyle(document.documentElement).backgroundColor), "rgb(246, 248, 250)");
});

test("layout: long key ids fit the keys table; overview headers never break inside a word; chart text is one size", async () => {
  const proj = path.join(work, "proj");
  await browser.setWindowSize(1024, 700);
  await click("#nav-keys");
  await el("#keys-table");
  // The key id is cut with an ellipsis, whole on hover.
  const keys = tufa("--project", proj, "status").keys;
  const title = await (await el(`tr[data-key="${keys[0].name}"] .ellipsis.keyid`)).getAttribute("title");
  assert.equal(title, keys[0].keyid);
  const table = await browser.execute(() => {
    const t = document.querySelector("#keys-table");
    return { table: t.scrollWidth, room: t.parentElement.clientWidth };
  });
  assert.ok(table.table <= table.room, `keys table ${table.table}px in ${table.room}px`);
  for (const width of [1024, 1200, 1280]) {
    await browser.setWindowSize(width, 800);
    await click("#nav-overview");
    await el("#overview");
    await el("#dash-clients svg.chart");
    await browser.pause(200);
    const wrapped = await browser.execute(() =>
      Array.from(document.querySelectorAll("#overview thead th, #overview abbr.role-name"))
        .filter((th) => th.textContent.trim())
        .filter((th) => {
          const r = document.createRange();
          r.selectNodeContents(th);
          return new Set(Array.from(r.getClientRects()).map((x) => Math.round(x.top))).size > 1;
        })
        .map((th) => th.textContent),
    );
    assert.deepEqual(wrapped, [], `headers wrap at ${width}px`);
    // What a reader sees: the font size times the chart's scale.
    const sizes = await browser.execute(() =>
      Array.from(document.querySelectorAll("#overview svg")).map((svg) => {
        const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
        const text = svg.querySelector("text");
        return Math.round(parseFloat(getComputedStyle(text).fontSize) * scale * 10) / 10;
      }),
    );
    assert.ok(sizes.length >= 2, "timeline and chart");
    for (const size of sizes) assert.equal(size, 12, `chart text ${sizes.join(", ")} px at ${width}px`);
  }
  await browser.setWindowSize(1280, 800);
  await click("#nav-ceremony");
  await el("#ceremony");
  // The threshold form starts at each role's current threshold (the
  // engine's), not at 1: give targets a second key and a threshold of 2.
  const p2 = path.join(work, "proj");
  tufa("--project", p2, "key", "add", "targets", "--name", "targets-2", "--key-store", "file");
  const thr = tufa("--project", p2, "threshold", "targets", "2");
  tufa("--project", p2, "root", "publish", thr.request);
  await click("#nav-overview");
  await el("#overview");
  await click("#nav-ceremony");
  await el("#ceremony");
  const st = tufa("--project", p2, "status");
  assert.equal(st.roles.find((r) => r.role === "targets").threshold, 2);
  for (const role of ["root", "targets"]) {
    await (await el("#thr-role")).selectByVisibleText(role);
    const want = String(st.roles.find((r) => r.role === role).threshold);
    assert.equal(await (await el("#thr-value")).getValue(), want, `${role} threshold field`);
  }
  await shot("ceremony");
  await click("#nav-settings");
  await el("#settings");
  await shot("settings");
  // Role names stay whole beside their explanations.
  await browser.setWindowSize(1024, 700);
  await browser.pause(200);
  const broken = await browser.execute(() =>
    Array.from(document.querySelectorAll("#settings abbr.role-name")).filter((a) => a.getClientRects().length > 1 || a.getBoundingClientRect().height > 30).map((a) => a.textContent),
  );
  assert.deepEqual(broken, [], "role names broken inside the word");
  await browser.setWindowSize(1280, 800);
});

test("a root request from Keys: Continue in Ceremony opens it, extra signatures never read '2 of 1'; Choose where to upload leads to the field", async () => {
  const proj = path.join(work, "cer2");
  execFileSync(tufaBin, ["--project", proj, "init", "--app", "cer2", "--key-store", "file"]);
  // Two root keys, one signature needed: both sign what follows.
  const add = tufa("--project", proj, "key", "add", "root", "--name", "root-2", "--key-store", "file");
  tufa("--project", proj, "root", "publish", add.request);
  await click("#nav-start");
  await type("#open-path", proj);
  await click("#open-btn");
  await el("#overview");
  // No destination saved: the banner's button takes the cursor to the field.
  await click("#setup-publish");
  await el("#publish");
  await browser.waitUntil(async () => (await browser.execute(() => document.activeElement?.id)) === "publish-to", { timeout: 5000, timeoutMsg: "Choose where to upload… did not lead to the destination field" });
  await browser.execute(() => document.activeElement.blur());
  await click("#setup-publish");
  assert.equal(await browser.execute(() => document.activeElement?.id), "publish-to");
  await click("#nav-keys");
  await (await el("#key-role")).selectByVisibleText("snapshot");
  await (await el("#key-store")).selectByAttribute("value", "file");
  await click("#key-add");
  const status = await (await el("#key-request #req-status", 30000)).getText();
  assert.match(status, /2 signatures \(1 needed\) from the new root/);
  for (const [, have, need] of status.matchAll(/(\d+) of (\d+)/g)) assert.ok(Number(have) <= Number(need), status);
  const file = await (await el("#key-request #req-file")).getText();
  assert.doesNotMatch(await (await el("#key-request #req-summary")).getText(), /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, "raw ISO time in the request");
  await shot("keys-request");
  await click("#continue-ceremony");
  await el("#ceremony");
  assert.equal(await (await el("#req-paths")).getValue(), file);
  assert.equal(await (await el("#request #req-file")).getText(), file);
  await shot("ceremony-request");
});

test("rollout: set 25%, pause and pull a release (the CLI agrees); an identical bundle is flagged in the preview", async () => {
  const proj = path.join(work, "rollout");
  execFileSync(tufaBin, ["--project", proj, "init", "--app", "rollapp", "--key-store", "file"]);
  const b1 = bundle("r1", "1.0", 0);
  const b2 = bundle("r2", "1.1", 3);
  tufa("--project", proj, "add", b1, "--version", "1.0");
  tufa("--project", proj, "add", b2, "--version", "1.1");
  // A platform of its own: the list groups by platform.
  tufa("--project", proj, "add", b1, "--version", "1.0", "--platform", "linux-x86_64");
  await click("#nav-start");
  await type("#open-path", proj);
  await click("#open-btn");
  await el("#overview");
  await click("#nav-releases");
  await el("#releases-screen");
  await el('h2.platform-group[data-platform="linux-x86_64"]');
  await el("#releases-linux-x86_64");
  const row = 'tr.rollout-row[data-version="1.1"][data-platform=""]';
  const state = '#releases tr.release[data-version="1.1"] .rollout-state';
  assert.match(await (await el(state)).getText(), /all installs/);
  // Pull is offered only where the engine has a release to send clients
  // back to: not on the oldest.
  await el('tr.rollout-row[data-version="1.1"][data-platform=""] .rollout-pull');
  assert.equal((await browser.$$('tr.rollout-row[data-version="1.0"][data-platform=""] .rollout-pull')).length, 0, "Pull offered on the oldest release");
  await el('tr.rollout-row[data-version="1.0"][data-platform=""] .no-pull');
  const latest = () => tufa("--project", proj, "status").releases.find((r) => r.version === "1.1");
  const waitDone = async (re) => {
    await browser.waitUntil(async () => {
      const e = await browser.$("#rollout-done");
      return (await e.isExisting()) && re.test(await e.getText());
    }, { timeout: 30000, timeoutMsg: `no ${re}` });
  };

  // The slider and the number move together.
  await browser.execute((sel) => {
    const r = document.querySelector(`${sel} .rollout-range`);
    r.value = "40";
    r.dispatchEvent(new Event("input"));
  }, row);
  assert.equal(await (await el(`${row} .rollout-percent`)).getValue(), "40");
  await type(`${row} .rollout-percent`, "25");
  await click(`${row} .rollout-set`);
  await waitDone(/rolling out to 25% of installs/);
  assert.match(await (await el(state)).getText(), /rolling out 25%/);
  // It was out to every install before: the record keeps that.
  assert.deepEqual(latest().rollout, { percent: 25, state: "rolling", reached: 100 });
  await shot("releases-rollout");

  await click(`${row} .rollout-pause`);
  await waitDone(/1\.1 without a platform is paused/);
  assert.match(await (await el(state)).getText(), /paused at 25%/);
  // The platform's 1.0 was not touched by the platform-less row's button.
  assert.match(await (await el('#releases-linux-x86_64 tr.release[data-version="1.0"] .rollout-state')).getText(), /all installs/);
  assert.match(await (await el(`${row} .rollout-resume`)).getText(), /Resume at 25%/);
  assert.deepEqual(latest().rollout, { percent: 25, state: "paused", reached: 100 });

  // Pull: the confirmation says how many buckets and where clients go.
  await click(`${row} .rollout-pull`);
  const confirm = await el(".feedback.confirm");
  const text = await confirm.getText();
  // Every install may have it (it was out to all before 25%).
  assert.match(text, /affects installs in 100 of 100 buckets/);
  assert.match(text, /clients already on 1\.1 go back to 1\.0/);
  await shot("releases-pull-confirm");
  await click(".feedback.confirm .confirm-yes");
  await waitDone(/pulled/);
  assert.match(await (await el(state)).getText(), /pulled\s+clients go back to 1\.0/);
  assert.match(await (await el('#releases tr.release[data-version="1.0"] .rollout-state')).getText(), /rollback target/);
  const pulled = latest();
  assert.deepEqual(pulled.rollout, { percent: 25, state: "pulled", reached: 100 });
  assert.equal(pulled.rollback_to, "1.0");
  assert.equal((await browser.$$(row)).length, 0, "a pulled release has no controls");

  // The release × platform matrix: which platform has which release, and its state.
  const cell = (v, p) => el(`#release-matrix tr[data-version="${v}"] td.matrix-cell[data-platform="${p}"]`);
  assert.equal(await (await cell("1.1", "linux-x86_64")).getText(), "—");
  assert.match(await (await cell("1.0", "linux-x86_64")).getText(), /all installs/);
  assert.match(await (await cell("1.1", "")).getText(), /pulled/);
  assert.match(await (await cell("1.0", "")).getText(), /rollback target/);
  // The Overview: each stream's newest release, and the releases not out to every install.
  await click("#nav-overview");
  assert.match(await (await el('#latest-releases li[data-platform="linux-x86_64"]')).getText(), /linux-x86_64: 1\.0 .*all installs/);
  assert.match(await (await el('#latest-releases li[data-platform=""]')).getText(), /^without platform: 1\.1 .*pulled.*new installs get 1\.0/);
  assert.match(await (await el('#rollout-states li[data-version="1.1"]')).getText(), /pulled\s+clients go back to 1\.0/);
  await click("#nav-releases");
  // Remove the latest release of one platform: the other stream keeps its releases.
  await (await el("#remove-latest-platform")).selectByAttribute("value", "linux-x86_64");
  await click("#remove-latest-btn");
  const removal = await (await el(".feedback.confirm")).getText();
  assert.match(removal, /Removes 1\.0 on linux-x86_64 \(1 file, /);
  // Its only release: installs that set no platform follow the
  // platform-less stream, whose 1.1 is pulled, so nothing yet.
  assert.match(removal, /linux-x86_64 has no release left: its installs that do not set a platform follow the releases without a platform from then on \(the next one offered to them, by full archive\): get nothing yet\./);
  assert.match(removal, /Remove 1\.0 of linux-x86_64/);
  await click(".feedback.confirm .confirm-yes");
  await el("#removed");
  const after = tufa("--project", proj, "status");
  assert.equal(after.platforms, undefined, "linux-x86_64 still has releases");
  assert.deepEqual(after.releases.map((r) => r.version), ["1.0", "1.1"]);
  assert.equal((await browser.$$("#release-matrix")).length, 0, "a matrix without platforms");

  // The version field takes the bundle's VERSION file (the engine's
  // suggestion) until a version is typed.
  await click("#new-release");
  await el("#add");
  await type("#bundle-path", bundle("r2-next", "7.0", 1));
  await click("#notes");
  await browser.waitUntil(async () => (await (await el("#version")).getValue()) === "7.0", {
    timeout: 15000,
    timeoutMsg: "the version was not taken from the bundle's VERSION file",
  });

  // The same files again as 1.2: the preview warns before signing.
  await click("#nav-releases");
  await click("#new-release");
  await el("#add");
  await type("#bundle-path", bundle("r2-again", "1.1", 3));
  await type("#version", "1.2");
  await click("#preview-btn");
  const warning = await el('#plan-warnings .plan-warning[data-kind="identical_to_previous"]', 60000);
  assert.match(await warning.getText(), /identical to release 1\.1/);
  const plan = tufa("--project", proj, "add", bundle("r2-again", "1.1", 3), "--version", "1.2", "--plan");
  assert.deepEqual(plan.warnings.map((w) => w.kind), ["identical_to_previous"]);
  await shot("add-release-warning");
});

test("upload to S3 (moto): no credentials leads to the form, saved in the keyring, Test connection, upload, then the check", async () => {
  const venv = path.join(root, ".venv", "bin");
  assert.ok(fs.existsSync(path.join(venv, "moto_server")), "moto_server missing: run scripts/setup.sh");
  const port = await freePort();
  const moto = spawn(path.join(venv, "moto_server"), ["-H", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
  try {
    await waitPort(port);
    const endpoint = `http://127.0.0.1:${port}`;
    // A bucket anyone may read, as an operator serving updates sets it.
    const policy = JSON.stringify({
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::tufa-e2e/*" }],
    });
    const script = [
      "import sys, boto3",
      "s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='x', aws_secret_access_key='y', region_name='us-east-1')",
      "s3.create_bucket(Bucket=sys.argv[2])",
      "s3.put_bucket_policy(Bucket=sys.argv[2], Policy=sys.argv[3])",
    ].join("\n");
    execFileSync(path.join(venv, "python"), ["-c", script, endpoint, "tufa-e2e", policy]);
    const proj = path.join(work, "proj");
    await click("#nav-start");
    await type("#open-path", proj);
    await click("#open-btn");
    await el("#overview");
    await click("#nav-publish");
    await type("#publish-to", "s3://tufa-e2e/updates");
    await type("#publish-endpoint", endpoint);
    await type("#publish-region", "us-east-1");
    // Test connection without credentials: says so, and leads to the form.
    await click("#test-dest");
    const first = await el("#test-summary", 30000);
    assert.equal(await first.getAttribute("data-kind"), "no_credentials");
    await el('#cred-status[data-source="missing"]');
    await click("#test-remedy");
    assert.equal(await browser.execute(() => document.activeElement?.id), "cred-key-id");
    await type("#cred-key-id", "tufa-e2e-key");
    await type("#cred-secret", "tufa-e2e-secret");
    await click("#cred-save");
    const saved = await el('#cred-status[data-source="keyring"]', 15000);
    assert.match(await saved.getText(), /saved in the OS keyring/);
    assert.equal(await (await el("#cred-secret")).getValue(), "", "the secret stays in the field");
    await click("#test-dest");
    await browser.waitUntil(async () => (await (await el("#test-summary")).getAttribute("data-kind")) === "ok", { timeout: 30000, timeoutMsg: "Test connection did not succeed" });
    await click("#upload-btn");
    await browser.waitUntil(async () => /^Uploaded \d+ files \(3 release files, /.test(await (await el("#upload-result")).getText()), { timeout: 30000, timeoutMsg: "no S3 upload" });
    const toml = fs.readFileSync(path.join(proj, "tufa.toml"), "utf8");
    assert.ok(toml.includes('to = "s3://tufa-e2e/updates"'), "destination saved");
    assert.ok(!toml.includes("tufa-e2e-secret") && !toml.includes("tufa-e2e-key"), "credentials in tufa.toml");
    // The copy clients read, checked as a client would.
    await type("#verify-url", `${endpoint}/tufa-e2e/updates`);
    await click("#verify-btn");
    const summary = await el("#verify-summary", 30000);
    assert.match(await summary.getText(), /^OK: clients can update from this repository \(checked 3 release files, /);
    assert.doesNotMatch(await (await el("#verify-result")).getText(), /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, "raw ISO time in the check");
    await shot("publish-s3");
  } finally {
    moto.kill();
  }
});

test("Settings: a role's period is changed, refused out of bounds, and applied at once with Re-sign now", async () => {
  const proj = path.join(work, "periods");
  execFileSync(tufaBin, ["--project", proj, "init", "--app", "periods", "--key-store", "file"]);
  await click("#nav-start");
  await type("#open-path", proj);
  await click("#open-btn");
  await el("#overview");
  await click("#nav-settings");
  await el("#settings");
  assert.equal(await (await el("#period-snapshot")).getValue(), "7");
  // Out of bounds: the engine's words beside the button, nothing saved.
  await type("#period-snapshot", "5000");
  await click("#period-save-snapshot");
  const refused = await el(".feedback.error", 10000);
  assert.match(await refused.getText(), /at most 365 days/);
  assert.equal(tufa("--project", proj, "status").roles.find((r) => r.role === "snapshot").period_days, 7);
  await type("#period-snapshot", "14");
  await click("#period-save-snapshot");
  const note = await el("#period-note .message", 10000);
  assert.match(await note.getText(), /7 days → 14 days/);
  assert.doesNotMatch(await note.getText(), /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/, "raw ISO time in the note");
  await click("#period-resign");
  await browser.waitUntil(async () => /re-signed/.test(await (await el("#period-note")).getText()), { timeout: 30000, timeoutMsg: "no re-sign" });
  const snap = tufa("--project", proj, "status").roles.find((r) => r.role === "snapshot");
  assert.equal(snap.period_days, 14);
  assert.ok(snap.expires_in_secs > 13 * 86400, `snapshot expires in ${snap.expires_in_secs} s`);
});

test("Automate: from Settings and the Overview, the workflow's secrets (never root) and the systemd units, saved to a typed folder", async () => {
  const proj = path.join(work, "automate");
  execFileSync(tufaBin, ["--project", proj, "init", "--app", "autoapp", "--key-store", "file"]);
  fs.appendFileSync(path.join(proj, "tufa.toml"), '\n[publish]\nto = "s3://updates/autoapp"\n');
  await click("#nav-start");
  await type("#open-path", proj);
  await click("#open-btn");
  await el("#overview");
  await click("#overview-automate");
  await el("#automate");
  await click("#nav-settings");
  await click("#settings-automate");
  const github = await el("#automate-github");
  const secrets = await (await el("#secrets-github")).getText();
  for (const name of ["TUFA_KEY_TIMESTAMP", "TUFA_KEY_SNAPSHOT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]) assert.match(secrets, new RegExp(name));
  assert.doesNotMatch(await github.getText(), /TUFA_KEY_ROOT/);
  assert.match(await (await el("#file-github-0")).getText(), /run: tufa refresh/);
  await shot("automate");
  const out = path.join(work, "automate-units");
  await type("#save-to-systemd", out);
  await (await el("#save-dir-systemd")).scrollIntoView();
  await click("#save-dir-systemd");
  const saved = await el("#saved-systemd .note", 15000);
  assert.match(await saved.getText(), /tufa-refresh-autoapp\.timer/);
  const service = fs.readFileSync(path.join(out, "tufa-refresh-autoapp.service"), "utf8");
  assert.match(service, /\nExecStart=\S+ --project \S+ refresh\n/);
  assert.ok(fs.existsSync(path.join(out, "tufa-refresh-autoapp.timer")));
  assert.doesNotMatch(service, /PRIVATE KEY/);
});

test("a two-custodian root ceremony in the app: Bob creates his own key, the publisher adds its public key, copies signed in custodian mode are merged back, published", async () => {
  const proj = path.join(work, "two-custodians");
  execFileSync(tufaBin, ["--project", proj, "init", "--app", "twocust", "--key-store", "file"]);
  // Alice holds the root key, away from the project.
  const alice = path.join(work, "alice");
  fs.mkdirSync(alice);
  fs.renameSync(path.join(proj, "keys", "root.pem"), path.join(alice, "root.pem"));
  // Bob creates his key on his computer, in custodian mode.
  const bob = path.join(work, "bob");
  fs.mkdirSync(bob);
  await click("#nav-custodian");
  await click("#create-held summary");
  await type("#held-path", path.join(bob, "bob.pem"));
  await type("#held-pass", "bob's passphrase");
  await type("#held-pass2", "bob's passphrase");
  await click("#held-create");
  await browser.waitUntil(async () => (await (await el("#held-result")).getText()).includes("bob.pub.json"), { timeout: 15000 });
  await shot("custodian-create-key");
  assert.match(fs.readFileSync(path.join(bob, "bob.pem"), "utf8"), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
  const bobKey = JSON.parse(fs.readFileSync(path.join(bob, "bob.pub.json"), "utf8"));
  assert.equal(bobKey.keytype, "ed25519");
  // The publisher adds Bob's public key and asks for two root signatures.
  await click("#nav-start");
  await type("#open-path", proj);
  await click("#open-btn");
  await el("#overview");
  await click("#nav-keys");
  await (await el("#key-role")).selectByVisibleText("root");
  await type("#key-name", "bob");
  await type("#key-owner", "Bob");
  await (await el("#key-store")).selectByAttribute("value", "custodian");
  await type("#key-public", path.join(bob, "bob.pub.json"));
  await click("#key-add");
  await el("#continue-ceremony");
  assert.ok(!fs.existsSync(path.join(proj, "keys", "bob.pem")), "Bob's key is not made here");
  await click("#continue-ceremony");
  await el("#ceremony");
  await (await el("#thr-role")).selectByVisibleText("root");
  await type("#thr-value", "2");
  await click("#thr-btn");
  const request = await (await el("#req-paths")).getValue();
  await browser.waitUntil(async () => /Changes the root threshold from 1 to 2/.test(await (await el("#request")).getText()), { timeout: 15000 });
  assert.equal(await (await el("#req-publish")).isEnabled(), false, "nothing to publish before the signatures");
  const fingerprint = tufa("--project", proj, "root", "status", request).fingerprint;
  for (const [who, key, pass] of [["alice", "root.pem", ""], ["bob", "bob.pem", "bob's passphrase"]]) {
    // The publisher saves a copy for the custodian…
    const copy = path.join(work, `for-${who}.json`);
    await type("#copy-dest", copy);
    await click("#copy-save");
    await browser.waitUntil(async () => (await (await el("#copy-result")).getText()).includes(copy), { timeout: 15000 });
    // …who signs it in custodian mode with their key file…
    await click("#nav-custodian");
    await type("#req-path", copy);
    await click("#req-open");
    assert.equal(await (await el("#req-fingerprint")).getText(), fingerprint);
    await type("#key-file", path.join(work, who, key));
    if (pass) await type("#key-pass", pass);
    await click("#sign-confirm");
    await click("#sign-btn");
    await el("#signed:not([hidden])");
    // …and the publisher merges the copy that came back.
    await click("#nav-ceremony");
    await type("#copy-returned", copy);
    await click("#copy-merge");
    await browser.waitUntil(async () => /Merged 1 new signature/.test(await (await el("#copy-result")).getText()), {
      timeout: 15000,
      timeoutMsg: `${who}'s copy was not merged`,
    });
  }
  assert.match(await (await el("#copy-result")).getText(), /every signature it needs/);
  // The same copy again adds nothing.
  await click("#copy-merge");
  await browser.waitUntil(async () => /no signature the request does not already have/.test(await (await el("#copy-result")).getText()), { timeout: 15000 });
  await shot("ceremony-merged");
  await click("#req-publish");
  await click(".feedback.confirm button.confirm-yes");
  await el("#req-published", 30000);
  const root2 = JSON.parse(fs.readFileSync(path.join(proj, "repository", "metadata", "2.root.json"), "utf8"));
  assert.equal(root2.signed.roles.root.threshold, 2);
  assert.equal(root2.signed.roles.root.keyids.length, 2);
  assert.equal(root2.signatures.length, 2);
  // Keys: Bob's key is with its custodian.
  await click("#nav-keys");
  assert.equal(await (await el('tr[data-key="bob"] .custody')).getAttribute("data-custody"), "custodian");
});
