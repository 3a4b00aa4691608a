// Automate: the schedules the engine writes for the open project (a GitHub
// Actions workflow and a systemd service + timer, both running the
// refresh), with where to put each and which secrets to create. Shown,
// copied, or saved into a folder picked in the non-blocking dialog.
import { api, type Automation, type AutomationKind } from "../api";
import { $, app, input, onEach } from "../dom";
import { html, render, type Html } from "../html";
import { setNav } from "../shell";
import { reloadStatus } from "../state";
import { roleName } from "../words";

const TITLES: Record<AutomationKind, string> = {
  github: "GitHub Actions workflow",
  systemd: "systemd timer on a machine with the online keys",
};

function panel(a: Automation): Html {
  const k = a.kind;
  return html`<div class="card automation" id="automate-${k}" data-kind="${k}">
    <h2>${TITLES[k]}</h2>
    <p class="muted">Re-signs ${a.roles.map((r, i) => html`${i > 0 ? ", " : ""}${roleName(r)}`)} when close to expiry, every ${a.every_hours === 24 ? "day" : `${a.every_hours} hours`}, and uploads. The root key is never part of it.</p>
    ${a.warnings.map((w) => html`<p class="warning">${w}</p>`)}
    <ol class="steps">${a.steps.map((s) => html`<li>${s}</li>`)}</ol>
    ${
      a.secrets.length > 0 &&
      html`<h3>Secrets to create</h3><div class="table-wrap"><table class="secrets" id="secrets-${k}"><thead><tr><th>Name</th><th>What to put in it</th></tr></thead><tbody>
        ${a.secrets.map((s) => html`<tr><th><code>${s.name}</code></th><td>${s.what}</td></tr>`)}
      </tbody></table></div>`
    }
    ${a.files.map(
      (f, i) => html`<h3>${f.name}</h3><p class="muted">Goes in ${f.place}.</p>
        <pre class="file" id="file-${k}-${i}">${f.contents}</pre>
        <div class="actions"><button class="copy-file" id="copy-${k}-${i}" data-kind="${k}" data-index="${i}">Copy</button></div>`,
    )}
    <div class="actions row" data-enter="save-dir-${k}">
      <button class="save-dialog" id="save-${k}" data-kind="${k}">Save…</button>
      <input id="save-to-${k}" type="text" spellcheck="false" placeholder="or type a folder" aria-label="Folder to save the files in"/>
      <button class="save-typed" id="save-dir-${k}" data-kind="${k}">Save to folder</button>
    </div>
    <div class="saved" id="saved-${k}"></div>
  </div>`;
}

export async function showAutomate(): Promise<void> {
  await reloadStatus();
  const kinds: AutomationKind[] = ["github", "systemd"];
  const all = await Promise.all(kinds.map((k) => api.automation(k)));
  const byKind = new Map(all.map((a) => [a.kind, a]));
  render(
    app(),
    html`<section id="automate">
      <h1>Automate</h1>
      <p>Short-lived metadata (the timestamp lasts a day) must be re-signed and uploaded before it expires. Instead of doing it by hand, let a schedule do it with the online keys: pick one of these.</p>
      ${all.map(panel)}
    </section>`,
  );
  onEach("button.copy-file", async (b) => {
    const file = byKind.get(b.dataset.kind as AutomationKind)?.files[Number(b.dataset.index)];
    if (!file) return;
    try {
      await navigator.clipboard.writeText(file.contents);
      b.textContent = "Copied";
    } catch {
      b.textContent = "Select the text to copy";
    }
  });
  const saved = (kind: AutomationKind, paths: string[]) =>
    render($(`#saved-${kind}`), html`<p class="note">Saved ${paths.map((p, i) => html`${i > 0 ? ", " : ""}<code>${p}</code>`)}.</p>`);
  onEach("button.save-dialog", async (b) => {
    const kind = b.dataset.kind as AutomationKind;
    const dir = await api.pickPath(true);
    if (!dir) return;
    saved(kind, await api.saveAutomation(kind, dir));
  });
  onEach("button.save-typed", async (b) => {
    const kind = b.dataset.kind as AutomationKind;
    const dir = input(`#save-to-${kind}`).value.trim();
    if (!dir) throw { code: "missing_input", message: "Type a folder first, or use Save…" };
    saved(kind, await api.saveAutomation(kind, dir));
  });
  setNav("automate");
}
