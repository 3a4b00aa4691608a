// Which screen is shown: each screen module registers its function here,
// and every link and button goes through `go`.
import { showGlobalError } from "./feedback";
import { setPathsHandler } from "./paths";

export type Section =
  | "start"
  | "create"
  | "overview"
  | "releases"
  | "add"
  | "publish"
  | "keys"
  | "ceremony"
  | "settings"
  | "automate"
  | "custodian"
  | "about";

/** What a screen can be opened with. */
export interface Params {
  /** Ceremony: the pending request file to show. */
  request?: string;
  /** Publish: the field to put the cursor in. */
  focus?: string;
}

export type Screen = (params: Params) => Promise<void> | void;

const screens: Partial<Record<Section, Screen>> = {};

export function register(all: Record<Section, Screen>): void {
  Object.assign(screens, all);
}

function clearError(): void {
  const box = document.getElementById("error");
  if (!box) return;
  box.hidden = true;
  box.textContent = "";
  delete box.dataset.code;
}

/** Shows `section`; errors propagate (for actions that report them beside their button). */
export async function show(section: Section, params: Params = {}): Promise<void> {
  clearError();
  // Dropped paths go to a screen only while it asks for them.
  setPathsHandler(null);
  const screen = screens[section];
  if (!screen) throw new Error(`no screen ${section}`);
  // A new screen starts at its top, not where the last one was scrolled
  // (a screen may then scroll to the field it focuses).
  window.scrollTo(0, 0);
  document.getElementById("content")?.scrollTo?.(0, 0);
  await screen(params);
}

/** Shows `section`; an error goes to the page's error box. */
export function go(section: Section, params: Params = {}): Promise<void> {
  return show(section, params).catch(showGlobalError);
}
