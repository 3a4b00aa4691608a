// Settings: the project's facts, each role's period and threshold, and
// the app's colour theme.
import { api, type PeriodChange, type Role } from "../api";
import { $, app, input, on, onEach } from "../dom";
import { count, localizeTimes } from "../format";
import { html, render } from "../html";
import { go } from "../router";
import { setNav } from "../shell";
import { reloadStatus } from "../state";
import { setTheme, storedTheme, type Theme } from "../theme";
import { glossary, roleName, ROLE_HELP } from "../words";

export async function showSettings(): Promise<void> {
  const s = await reloadStatus();
  const theme = storedTheme();
  const option = (v: Theme, label: string) => html`<option value="${v}" ${v === theme && html`selected`}>${label}</option>`;
  render(
    app(),
    html`
    <section id="settings">
      <h1>Settings</h1>
      <div class="table-wrap"><table class="facts">
        <tr><th>App</th><td>${s.app}</td></tr>
        <tr><th>Repository</th><td id="settings-repo">${s.repository}</td></tr>
        <tr><th>Destination</th><td id="settings-dest">${s.publish_to ? s.publish_to : html`<span class="muted">none saved</span>`} <button id="settings-publish" class="link">Change…</button></td></tr>
      </table></div>
      <h2>Expiry periods</h2>
      <div class="table-wrap"><table id="periods"><thead><tr><th>Role</th><th>Re-signed every</th><th>Signatures needed</th><th>What it is</th></tr></thead><tbody>
        ${s.roles.map(
          (r) => html`<tr data-role="${r.role}"><th>${roleName(r.role)}</th><td class="period"><span class="row" data-enter="period-save-${r.role}"><input id="period-${r.role}" type="number" min="1" step="1" value="${r.period_days}" style="width:5.5rem" aria-label="${r.role}: days"/> days
            <button id="period-save-${r.role}" class="period-save" data-role="${r.role}">Save</button></span></td><td>${r.threshold}</td><td class="muted">${ROLE_HELP[r.role]}</td></tr>`,
        )}
      </tbody></table></div>
      <div id="period-note"></div>
      <p class="muted">Re-signing and uploading on a schedule instead of by hand: <button id="settings-automate" class="link" data-go="automate">Automate…</button></p>
      <p class="muted">A new period applies from the role's next signing (a release, a refresh, or Re-sign now); the version clients have keeps its expiry. Thresholds change through a root signing request that the root keys sign: <button id="settings-ceremony" class="link">open Ceremony</button>.</p>
      ${glossary()}
      <h2>Tufa itself</h2>
      <p>Tufa's version, and updates of Tufa: <button id="settings-updates" class="link" data-go="about">Check for updates…</button></p>
      <h2>Appearance</h2>
      <label>Theme<select id="theme-select">${option("system", "Follow the system")}${option("light", "Light")}${option("dark", "Dark")}</select></label>
    </section>`,
  );
  onEach("button.period-save", async (b) => {
    const role = b.dataset.role as Role;
    const change = await api.setExpiryPeriod(role, Number(input(`#period-${role}`).value));
    showPeriodChange(change);
  });
  on("#settings-publish", async () => go("publish", { focus: "#publish-to" }));
  on("#settings-ceremony", async () => go("ceremony"));
  input("#theme-select").addEventListener("change", () => setTheme(input("#theme-select").value as Theme));
  setNav("settings");
}

/** What the engine said about a new period, with its re-sign offer. */
function showPeriodChange(c: PeriodChange): void {
  const box = $("#period-note");
  box.className = "feedback note";
  render(
    box,
    html`<span class="message">${roleName(c.role)}: ${count(c.previous_days, "day")} → ${count(c.days, "day")}. ${localizeTimes(c.note)}.</span>${
      c.remedy && html` <button id="period-resign" data-role="${c.role}">Re-sign ${roleName(c.role)} now</button>`
    }`,
  );
  if (c.remedy) {
    on("#period-resign", async () => {
      await api.signRole(c.role, null);
      await showSettings();
      const note = $("#period-note");
      note.className = "feedback note";
      note.textContent = `${c.role} re-signed: it now expires ${count(c.days, "day")} from now. Upload to publish it.`;
    });
  }
}
