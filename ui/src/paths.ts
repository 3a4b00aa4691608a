// One entry point for paths, whether typed, dropped onto the window or
// picked in a dialog: tests drive it through typed input and emitted
// drop events, since WebDriver cannot drop files.
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

export type PathsHandler = (paths: string[]) => void;

let handler: PathsHandler | null = null;

/** Routes paths to the current screen's handler (e.g. the release form). */
export function setPathsHandler(h: PathsHandler | null): void {
  handler = h;
}

export function openPaths(paths: string[]): boolean {
  const clean = paths.map((p) => p.trim()).filter((p) => p.length > 0);
  if (clean.length === 0 || handler === null) return false;
  handler(clean);
  return true;
}

interface DragDropPayload {
  paths: string[];
}

/** Listens for files dropped onto the window. */
export function listenForDrops(): Promise<UnlistenFn> {
  return listen<DragDropPayload>("tauri://drag-drop", (event) => {
    openPaths(event.payload.paths ?? []);
  });
}
