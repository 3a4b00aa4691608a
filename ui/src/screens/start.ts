// Start: open, create (also a demo), adopt a tufup project, or go to
// custodian mode.
import { api, ROLES, type Role, type Status } from "../api";
import { $, app, input, on, pathField, required, val, wireBrowse } from "../dom";
import { runAction } from "../feedback";
import { html, render } from "../html";
import { setPathsHandler } from "../paths";
import { go } from "../router";
import { setNav } from "../shell";
import { setCurrent } from "../state";
import { glossary, roleName, ROLE_HELP } from "../words";

/** Opens `status`'s project on the Overview. */
export function enterProject(status: Status): Promise<void> {
  setCurrent(status);
  return go("overview");
}

export async function showStart(): Promise<void> {
  setPathsHandler((paths) => (input("#open-path").value = paths[0]));
  const info = await api.appInfo();
  render(
    app(),
    html`
    <section id="start">
      <h1>Secure updates for your app</h1>
      <div class="cards">
        <div class="card">
          <h2>Open a repository</h2>
          <div data-enter="open-btn">${pathField("open-path", "Project folder (holds tufa.toml)", true)}</div>
          <div class="actions"><button id="open-btn" class="primary">Open</button></div>
          ${info.recent.length > 0 &&
          html`<h3>Recent</h3><ul id="recent">${info.recent.map(
            (r, i) => html`<li><button id="recent-${i}" class="link recent" data-path="${r}">${r}</button></li>`,
          )}</ul>`}
        </div>
        <div class="card">
          <h2>Create a repository</h2>
          <p>A new project: keys for every role, signed empty metadata.</p>
          <div class="actions"><button id="create-start" class="primary">Create…</button></div>
          <h2>New here?</h2>
          <p>A demo repository with sample releases, to see the workflow in a minute.</p>
          <div class="actions"><button id="demo-btn">Create demo repository</button></div>
        </div>
        <div class="card">
          <h2>I hold a key</h2>
          <p>Review and sign a root change a publisher sent you. Works offline, without the repository.</p>
          <div class="actions"><button id="custodian-start">Review a signing request…</button></div>
          <h2>Adopt a tufup project</h2>
          <div data-enter="adopt-btn">${pathField("adopt-path", "tufup project folder (holds .tufup-repo-config)", true)}
          <label>Key files folder (empty: OS keyring)<input id="adopt-keys" type="text" value="tufa-keys"/></label></div>
          <div class="actions"><button id="adopt-btn">Adopt</button></div>
        </div>
      </div>
    </section>`,
  );
  wireBrowse();
  on("#open-btn", async () => enterProject(await api.openProject(required("#open-path", "the project folder"))));
  app()
    .querySelectorAll<HTMLButtonElement>("button.recent")
    .forEach((b) => b.addEventListener("click", () => runAction(b, async () => enterProject(await api.openProject(b.dataset.path ?? "")))));
  on("#create-start", async () => go("create"));
  on("#demo-btn", async () => enterProject(await api.createDemo()));
  on("#custodian-start", async () => go("custodian"));
  on("#adopt-btn", async () => enterProject(await api.adoptTufup(required("#adopt-path", "the tufup project folder"), val("#adopt-keys") || null)));
  setNav("start");
}

export async function showCreate(): Promise<void> {
  // The engine's default periods, not a copy of them.
  const defaults = (await api.appInfo()).expiry_defaults;
  setPathsHandler((paths) => (input("#create-dir").value = paths[0]));
  render(
    app(),
    html`
    <section id="create" data-enter="create-btn">
      <h1>Create a repository</h1>
      <label>App name (letters, digits, _ and -)<input id="create-app" type="text" placeholder="my-app"/></label>
      ${pathField("create-dir", "Project folder (tufa.toml, repository/ and keys go here)", true)}
      <label>Where keys live
        <select id="create-store">
          <option value="keyring">OS keyring: safest on a desktop, nothing on disk</option>
          <option value="file">Key files in the project's keys/ folder: for CI and offline custodians</option>
        </select></label>
      <fieldset id="root-custody"><legend>The root key</legend>
        <p class="muted">Root signs every change of keys: whoever holds it controls what your users trust. Keep it apart from the keys that sign releases.</p>
        <label class="check"><input type="radio" name="root-custody" id="root-encrypted" value="encrypted" checked/>
          An encrypted key file, to back up and then keep offline (recommended)</label>
        <label class="check"><input type="radio" name="root-custody" id="root-with-others" value="with-others"/>
          With the other keys (as chosen above)</label>
        <div id="root-pass-fields">
          <label>Passphrase for the root key<input id="create-root-pass" type="password" autocomplete="new-password"/></label>
          <label>Passphrase again<input id="create-root-pass2" type="password" autocomplete="new-password"/></label>
          <p class="muted">Tufa asks for it whenever root signs. Nobody can recover it for you: keep it with the backup.</p>
        </div>
      </fieldset>
      <div class="table-wrap"><table class="roles"><thead><tr><th>Role</th><th>Valid for</th><th>Signatures needed</th><th>What it is</th></tr></thead><tbody>${ROLES.map(
        (r) => html`<tr><th>${roleName(r)}</th>
          <td><input id="exp-${r}" type="number" min="1" value="${defaults[r] ?? ""}"/> days</td>
          <td><input id="thr-${r}" type="number" min="1" max="16" value="1"/></td>
          <td class="muted">${ROLE_HELP[r]}</td></tr>`,
      )}</tbody></table></div>
      ${glossary()}
      <div class="actions"><button id="create-btn" class="primary">Create repository</button></div>
    </section>`,
  );
  wireBrowse();
  const encrypted = () => input("#root-encrypted").checked;
  for (const id of ["#root-encrypted", "#root-with-others"]) {
    input(id).addEventListener("change", () => ($("#root-pass-fields").hidden = !encrypted()));
  }
  on("#create-btn", async () => {
    let rootPassphrase: string | null = null;
    if (encrypted()) {
      rootPassphrase = val("#create-root-pass");
      if (!rootPassphrase) throw { code: "missing_input", message: "Choose a passphrase for the root key, or keep it with the other keys." };
      if (rootPassphrase !== val("#create-root-pass2")) throw { code: "mismatch", message: "The two root passphrases differ." };
    }
    const expires: Partial<Record<Role, number>> = {};
    const thresholds: Partial<Record<Role, number>> = {};
    for (const r of ROLES) {
      expires[r] = Number(val(`#exp-${r}`));
      thresholds[r] = Number(val(`#thr-${r}`));
    }
    const status = await api.createProject({
      dir: required("#create-dir", "a project folder"),
      app: val("#create-app"),
      key_store: val("#create-store"),
      expires,
      thresholds,
      root_passphrase: rootPassphrase,
    });
    input("#create-root-pass").value = "";
    input("#create-root-pass2").value = "";
    if (rootPassphrase === null) return enterProject(status);
    showRootBackup(status, rootPassphrase);
  });
  setNav("start");
}

/** After creating with an encrypted root key: save a backup copy, then
 *  take the key offline. The passphrase typed at creation opens the key
 *  for the copy and is forgotten when this step ends. */
function showRootBackup(status: Status, passphrase: string): void {
  const roots = status.keys.filter((k) => k.roles.includes("root"));
  render(
    app(),
    html`
    <section id="root-backup" data-enter="backup-btn">
      <h1>Back up the root key</h1>
      <p>The repository is created. Its root key is an encrypted file:</p>
      <ul>${roots.map((k) => html`<li><strong>${k.name}</strong>: <span class="root-key-file">${k.location}</span></li>`)}</ul>
      <h2>1. Save a backup copy</h2>
      <p class="muted">On a drive you keep somewhere else (a USB stick in a drawer, a safe). The copy is encrypted with the same passphrase.</p>
      ${roots.map((k) => pathField(`backup-dest-${k.name}`, `Backup of ${k.name} (file)`, false, ""))}
      <div class="actions"><button id="backup-btn" class="primary">Save backup copy</button></div>
      <p id="backup-result" class="ok"></p>
      <h2>2. Take the key offline</h2>
      <p class="muted">Releases do not need root: move the key file (above) to the drive you keep offline once the backup is saved.
        When root must sign (a new key, a threshold change), Ceremony asks for the file and its passphrase.</p>
      <div class="actions"><button id="backup-done" class="primary" disabled>Continue to the project</button>
        <button id="backup-skip" class="link">Skip the backup for now</button></div>
    </section>`,
  );
  wireBrowse();
  let done = false;
  on("#backup-btn", async () => {
    const saved: string[] = [];
    for (const k of roots) {
      const where = await api.exportKey(k.name, required(`#backup-dest-${k.name}`, `where to save the backup of ${k.name}`), passphrase, passphrase);
      saved.push(`${where} (key id ${k.keyid.slice(0, 12)}…)`);
    }
    done = true;
    $("#backup-result").textContent = `Saved and checked: ${saved.join(", ")} opens with the root passphrase and holds the same key.`;
    ($("#backup-done") as HTMLButtonElement).disabled = false;
  });
  const leave = async () => {
    passphrase = "";
    await enterProject(status);
  };
  on("#backup-done", async () => {
    if (done) await leave();
  });
  on("#backup-skip", leave);
  setNav("start");
}
