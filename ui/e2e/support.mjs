// What the end-to-end test files share: where the built binaries are,
// free ports, and the WebDriver session on the app through tauri-driver.
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { remote } from "webdriverio";

// Every wait in these tests is measured on a monotonic clock. WebdriverIO's
// waitUntil and waitFor* compare Date.now(), so a wall clock stepped forward
// while a wait is in flight fails it early: CI saw a 15 s wait time out in a
// test that ran 6 s in all, and every later test that needed its project.
const epoch = Date.now() - performance.now();
Date.now = () => Math.floor(epoch + performance.now());

export const root = path.resolve(import.meta.dirname, "../..");
const target = process.env.CARGO_TARGET_DIR ?? path.join(root, "target");
export const appBin = path.join(target, "debug", "tufa-app");
export const tufaBin = path.join(target, "debug", "tufa");
export const shots = path.join(root, "docs", "screenshots");

export function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function waitPort(port, ms = 20000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((r) => {
      const c = net.connect(port, "127.0.0.1", () => (c.end(), r(true)));
      c.on("error", () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`port ${port} never opened`);
}

/** tauri-driver in its own process group (the driver, WebKitWebDriver and
 *  the app are all stopped by `session.stop()`, even when the app does not
 *  quit with the session), and a WebDriver session on `application`. */
export async function startSession(application, env) {
  const port = await freePort();
  const native = await freePort();
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(native)], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
    detached: true,
  });
  await waitPort(port);
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "error",
    connectionRetryTimeout: 60000,
    capabilities: { "tauri:options": { application } },
  });
  const killGroup = (signal) => {
    try {
      process.kill(-driver.pid, signal);
    } catch {
      // Already gone.
    }
  };
  return {
    browser,
    async stop() {
      await browser.deleteSession().catch(() => {});
      killGroup("SIGTERM");
      await new Promise((r) => setTimeout(r, 1000));
      killGroup("SIGKILL");
    },
  };
}

/** Helpers bound to one session: find, click, type, screenshot. */
export function actions(browser) {
  const el = async (sel, timeout = 15000) => {
    // A screen that re-renders between finding and using an element makes
    // it stale: find it again rather than fail on the app's own redraw.
    for (let attempt = 0; ; attempt++) {
      try {
        const e = await browser.$(sel);
        await e.waitForExist({ timeout });
        return e;
      } catch (err) {
        if (attempt >= 3 || !/stale element/i.test(String(err?.name) + String(err?.message))) throw err;
        await browser.pause(200);
      }
    }
  };
  return {
    el,
    async click(sel) {
      await (await el(sel)).click();
    },
    async type(sel, value) {
      const e = await el(sel);
      await e.clearValue();
      await e.setValue(value);
    },
    async shot(name) {
      fs.mkdirSync(shots, { recursive: true });
      // Let WebKit paint what the last step rendered.
      await browser.pause(400);
      await browser.saveScreenshot(path.join(shots, `${name}.png`));
    },
  };
}
