// "Open log" in the top bar: the app shows its log folder in the file
// manager where it can, and always says where the log is, with the path to
// copy (what to attach to a bug report).
import { invoke } from "@tauri-apps/api/core";
import { errorText } from "./api";
import { escapeHtml as h } from "./format";

/** Where the log is (the `open_log` command). */
export interface LogLocation {
  dir: string;
  file: string | null;
  opened: boolean;
}

export function wireOpenLog(): void {
  const button = document.getElementById("open-log");
  const note = document.getElementById("log-note");
  if (!button || !note) return;
  button.addEventListener("click", async () => {
    note.hidden = false;
    try {
      const log = await invoke<LogLocation>("open_log");
      const path = log.file ?? log.dir;
      note.innerHTML = `${log.opened ? "Log folder opened: " : "Log: "}<code id="log-path">${h(path)}</code>
        <button id="copy-log-path" class="link">Copy path</button>
        <button id="close-log-note" class="link">Close</button>`;
      document.getElementById("copy-log-path")?.addEventListener("click", () => void navigator.clipboard?.writeText(path));
      document.getElementById("close-log-note")?.addEventListener("click", () => (note.hidden = true));
    } catch (e) {
      note.textContent = errorText(e);
    }
  });
}
