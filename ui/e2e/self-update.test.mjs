// Tufa updating itself, end to end in a real window (Xvfb): two bundles of
// the app (the same binary, different VERSION) are published with the
// `tufa` CLI and served on 127.0.0.1; version 1.0 is installed into a
// folder by the Tufa client; the app started from that folder finds 1.1
// through "Check for updates" (its notes, a patch and its size),
// downloads it with progress, installs it and restarts. The restarted
// process must be 1.1 running from the folder, and the folder must equal
// bundle 1.1 byte for byte.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile, execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { actions, appBin as builtApp, startSession, tufaBin } from "./support.mjs";

const work = fs.mkdtempSync(path.join(os.tmpdir(), "tufa-self-update-"));
const proj = path.join(work, "proj");
const inst = path.join(work, "Tufa");
const appData = path.join(work, "appdata");
const cache = path.join(appData, "self-update");
const NOTES = "Faster previews and a clearer key ceremony.";
let session;
let browser;
let el, click, shot;
let server;
let restartedPid;
let enginePlan;



function tufa(...args) {
  return JSON.parse(execFileSync(tufaBin, ["--json", ...args], { encoding: "utf8" }));
}

/** `tufa` without blocking this process, which serves the repository. */
async function tufaAsync(...args) {
  const { stdout } = await promisify(execFile)(tufaBin, ["--json", ...args], { encoding: "utf8" });
  return JSON.parse(stdout);
}

/** Serves `dir` read-only over HTTP on 127.0.0.1. */
function serve(dir) {
  return new Promise((resolve) => {
    const s = http.createServer((req, res) => {
      const rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
      const file = path.join(dir, path.normalize(rel));
      if (!file.startsWith(dir + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { "content-length": fs.statSync(file).size });
      fs.createReadStream(file).pipe(res);
    });
    s.listen(0, "127.0.0.1", () => resolve(s));
  });
}

/** Every file below `dir` by relative path, as sha256 and mode. */
function fingerprint(dir) {
  const out = {};
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const hash = crypto.createHash("sha256").update(fs.readFileSync(p)).digest("hex");
        out[path.relative(dir, p)] = `${hash} ${(fs.statSync(p).mode & 0o111) !== 0 ? "x" : "-"}`;
      }
    }
  };
  walk(dir);
  return out;
}

/** A bundle of the app: its binary, VERSION and the repository's root. */
function bundle(name, version) {
  const dir = path.join(work, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(builtApp, path.join(dir, "tufa-app"));
  fs.chmodSync(path.join(dir, "tufa-app"), 0o755);
  fs.writeFileSync(path.join(dir, "VERSION"), `${version}\n`);
  fs.copyFileSync(path.join(proj, "repository", "metadata", "root.json"), path.join(dir, "update-root.json"));
  return dir;
}


function logText() {
  const dir = path.join(appData, "logs");
  if (!fs.existsSync(dir)) return "";
  return fs
    .readdirSync(dir)
    .map((f) => fs.readFileSync(path.join(dir, f), "utf8"))
    .join("\n");
}

async function until(what, f, ms = 60000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n--- app log ---\n${logText()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}


before(async () => {
  assert.ok(fs.existsSync(builtApp), `${builtApp} missing: build the app first (scripts/test.sh does)`);
  execFileSync(tufaBin, ["--project", proj, "init", "--app", "tufa", "--key-store", "file"]);
  const a = bundle("bundle-1.0", "1.0");
  tufa("--project", proj, "add", a, "--version", "1.0");
  server = await serve(path.join(proj, "repository"));
  const url = `http://127.0.0.1:${server.address().port}`;

  // Version 1.0 installed by the Tufa client, which keeps its archive in
  // the app's update cache: the next update can be a patch.
  fs.mkdirSync(path.join(cache, "metadata"), { recursive: true });
  fs.copyFileSync(path.join(a, "update-root.json"), path.join(cache, "metadata", "root.json"));
  fs.mkdirSync(inst);
  const client = (current, ...more) =>
    tufaAsync(
      "update", "--app", "tufa", "--current-version", current, "--install-dir", inst,
      "--metadata-dir", path.join(cache, "metadata"), "--cache-dir", cache,
      "--metadata-url", `${url}/metadata/`, "--targets-url", `${url}/targets/`, ...more,
    );
  const installed = await client("0.0.1");
  assert.equal(installed.installed_version, "1.0", JSON.stringify(installed));
  assert.deepEqual(fingerprint(inst), fingerprint(a), "1.0 installed as published");

  // Then 1.1 is published: the same binary, another VERSION, with notes.
  const b = bundle("bundle-1.1", "1.1");
  tufa("--project", proj, "add", b, "--version", "1.1", "--meta", JSON.stringify({ notes: NOTES }));
  // What the engine plans for this install, for the app to show.
  enginePlan = (await client("1.0", "--check-only")).update;
  assert.equal(String(enginePlan.method).toLowerCase(), "patch", JSON.stringify(enginePlan));

  session = await startSession(path.join(inst, "tufa-app"), { ...process.env, TUFA_APP_DATA: appData });
  browser = session.browser;
  ({ el, click, shot } = actions(browser));
  browser.repositoryUrl = url;
});

after(async () => {
  await session?.stop();
  // The restarted app belongs to the helper's process group, not the
  // driver's.
  if (restartedPid) {
    try {
      process.kill(restartedPid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  server?.close();
});

test("the app checks, downloads a patch, installs and restarts into the new version", async () => {
  await click("#nav-about");
  assert.equal(await (await el("#about-version")).getText(), "1.0");
  assert.equal(await (await el("#about-dir")).getText(), inst);
  assert.ok(await (await el("#update-check")).getAttribute("disabled") !== null, "no repository yet: nothing to check");
  const urlField = await el("#update-url");
  // A password in the address would be stored and logged in clear: refused.
  await urlField.setValue("https://alice:S3cretPass@127.0.0.1/tufa");
  await click("#update-url-save");
  const refused = await el('.feedback.error[data-for="update-url-save"]');
  assert.equal(await refused.getAttribute("data-code"), "invalid_url");
  assert.match(await refused.getText(), /user name or password/);
  assert.doesNotMatch(logText(), /S3cretPass/);
  await urlField.clearValue();
  await urlField.setValue(browser.repositoryUrl);
  await click("#update-url-save");
  await browser.waitUntil(async () => (await (await el("#update-check")).getAttribute("disabled")) === null, {
    timeout: 15000,
    timeoutMsg: "Check for updates stayed disabled after saving the repository",
  });
  await click("#update-check");
  assert.equal(await (await el("#update-version")).getText(), "Tufa 1.1 is available");
  assert.equal(await (await el("#update-notes")).getText(), NOTES);
  // The engine's plan for this install: the patch, by its size.
  const size = await el("#update-size");
  assert.equal(Number(await size.getAttribute("data-bytes")), enginePlan.total_bytes);
  assert.match(await size.getText(), /^Download: .+, a patch from your version\.$/);
  const archive = fs.statSync(path.join(proj, "repository", "targets", "tufa-1.1.tar.gz")).size;
  assert.ok(enginePlan.total_bytes < archive / 10, `the patch (${enginePlan.total_bytes} B) is small beside the archive (${archive} B)`);
  await shot("about-update-available");
  await click("#update-download");
  await el("#update-downloaded", 120000);
  const downloaded = await (await el("#update-downloaded")).getText();
  assert.match(downloaded, /Tufa 1\.1 is downloaded and verified/);
  assert.doesNotMatch(downloaded, /full archive/, "the patch applied");
  await shot("about-update-downloaded");
  const before = logText();
  await click("#update-restart");

  // The app exits; the helper swaps 1.1 in and starts it again. The
  // session is gone with the old process: from here on, files and logs.
  const started = await until("the restarted app", () => {
    const fresh = logText().slice(before.length);
    return fresh.match(/tufa-app started version=1\.1 pid=(\d+)/);
  }, 120000);
  restartedPid = Number(started[1]);
  assert.equal(fs.readlinkSync(`/proc/${restartedPid}/exe`), path.join(inst, "tufa-app"), "1.1 runs from the install folder");
  assert.equal(fs.readFileSync(path.join(inst, "VERSION"), "utf8").trim(), "1.1");
  assert.deepEqual(fingerprint(inst), fingerprint(path.join(work, "bundle-1.1")), "the folder is bundle 1.1");
  const beside = fs.readdirSync(work).filter((n) => n.startsWith("Tufa."));
  assert.deepEqual(beside.filter((n) => !n.endsWith(".tufa-handover.log")), [], "nothing staged or old is left beside the folder");
});
