// Tufa's desktop front end: a sidebar shell (shell.ts), one module per
// screen (screens/), markup through one escaping template (html.ts), and
// every decision in the engine: the screens word and draw what it returns.
import "./style.css";
import { api, type Status } from "./api";
import { setRemedyHandlers, showGlobalError } from "./feedback";
import { wireOpenLog } from "./log";
import { listenForDrops, openPaths } from "./paths";
import { go, register, show, type Section } from "./router";
import { showAbout } from "./screens/about";
import { showAdd } from "./screens/add";
import { showAutomate } from "./screens/automate";
import { showCeremony } from "./screens/ceremony";
import { showCustodian } from "./screens/custodian";
import { showKeys } from "./screens/keys";
import { showOverview } from "./screens/overview";
import { showPublish } from "./screens/publish";
import { showReleases } from "./screens/releases";
import { showSettings } from "./screens/settings";
import { enterProject, showCreate, showStart } from "./screens/start";
import { current } from "./state";
import { applyTheme } from "./theme";

register({
  start: showStart,
  create: showCreate,
  overview: showOverview,
  releases: showReleases,
  add: showAdd,
  publish: showPublish,
  keys: showKeys,
  ceremony: showCeremony,
  settings: showSettings,
  automate: showAutomate,
  custodian: showCustodian,
  about: showAbout,
});

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

/** A link button anywhere (`data-go="section"`) opens that section: screens
 * owned by others link to one with a line of markup, no wiring. */
function wireGoLinks(): void {
  document.addEventListener("click", (e) => {
    const b = (e.target as HTMLElement | null)?.closest<HTMLButtonElement>("button[data-go]");
    if (b && !b.disabled) void go(b.dataset.go as Section);
  });
}

/** Ctrl/Cmd+O open, Ctrl/Cmd+N new release, Ctrl/Cmd+Shift+U publish. */
function wireShortcuts(): void {
  document.addEventListener("keydown", (e) => {
    if (!(e.ctrlKey || e.metaKey)) return;
    const k = e.key.toLowerCase();
    if (k === "o") void go("start");
    else if (k === "n" && current) void go("add");
    else if (k === "u" && e.shiftKey && current) void go("publish");
    else return;
    e.preventDefault();
  });
}

async function start(): Promise<void> {
  applyTheme();
  wireOpenLog();
  wireEnter();
  wireShortcuts();
  wireGoLinks();
  // What the app does when an error's remedy is a button.
  setRemedyHandlers({
    refresh_role: async (r) => {
      if (r.kind === "refresh_role") await api.signRole(r.role, null);
      await show("overview");
    },
    sign_staged: async () => {
      await show("overview");
      document.getElementById("staged-panel")?.scrollIntoView();
    },
    discard_staged: async () => {
      await show("overview");
      document.getElementById("discard-staged-btn")?.scrollIntoView();
    },
    open_project: () => show("start"),
    init_project: () => show("create"),
    new_signing_request: () => show("ceremony"),
    // An upload without S3 credentials: the form that saves them.
    save_credentials: () => show("publish", { focus: "#cred-key-id" }),
    edit_destination: () => show("publish", { focus: "#publish-to" }),
  });
  await listenForDrops();
  (window as unknown as { tufaOpenPaths: typeof openPaths }).tufaOpenPaths = openPaths;
  const info = await api.appInfo();
  const attempt = async (f: () => Promise<Status>) => {
    try {
      await enterProject(await f());
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
  await go("start");
}

void start();
