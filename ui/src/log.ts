// "Open log" in the top bar: says where the app's log file is, with the
// path to copy (what to attach to a bug report) and a button that shows
// the folder in the file manager.
import { invoke } from "@tauri-apps/api/core";
import { errorText } from "./api";
import { html, render } from "./html";

/** Where the log is (the `log_location` command). */
export interface LogLocation {
  dir: string;
  file: string | null;
}

export function wireOpenLog(): void {
  const button = document.getElementById("open-log");
  const note = document.getElementById("log-note");
  if (!button || !note) return;
  button.addEventListener("click", async () => {
    note.hidden = false;
    try {
      const log = await invoke<LogLocation>("log_location");
      const path = log.file ?? log.dir;
      render(
        note,
        html`Log: <code id="log-path">${path}</code>
        <button id="copy-log-path" class="link">Copy path</button>
        <button id="reveal-log" class="link">Show folder</button>
        <button id="close-log-note" class="link">Close</button>
        <span id="log-status"></span>`,
      );
      const status = document.getElementById("log-status") as HTMLElement;
      document.getElementById("copy-log-path")?.addEventListener("click", () =>
        navigator.clipboard?.writeText(path).then(
          () => (status.textContent = "copied"),
          () => (status.textContent = "select the path to copy it"),
        ),
      );
      document.getElementById("reveal-log")?.addEventListener("click", async () => {
        try {
          const opened = await invoke<boolean>("reveal_log");
          status.textContent = opened ? "" : "no file manager found: the folder is " + log.dir;
        } catch (e) {
          status.textContent = errorText(e);
        }
      });
      document.getElementById("close-log-note")?.addEventListener("click", () => (note.hidden = true));
    } catch (e) {
      note.textContent = errorText(e);
    }
  });
}
