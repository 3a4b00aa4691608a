// Ceremony: root changes as signing requests (rotate, revoke, threshold,
// refresh), the pending request's signatures, signing here, publishing.
import { api, isAppError, ROLES, type RequestView } from "../api";
import { requestHtml } from "../components";
import { $, app, input, on, onEach, pathField, val, wireBrowse } from "../dom";
import { confirmAt } from "../feedback";
import { html, join, render } from "../html";
import type { Params } from "../router";
import { setNav } from "../shell";
import { reloadStatus } from "../state";
import { glossary, roleName } from "../words";

export async function showCeremony(params: Params = {}): Promise<void> {
  const s = await reloadStatus();
  const thresholdOf = (role: string) => s.roles.find((r) => r.role === role)?.threshold ?? 1;
  render(
    app(),
    html`
    <section id="ceremony">
      <h1>Root ceremony</h1>
      <p>Every root change becomes a request file that custodians sign offline; a second change joins the pending request; copies signed in parallel are merged here.</p>
      <div class="grid2">
        <div class="panel"><h2>Keys of root's roles</h2>
          <div class="table-wrap"><table><thead><tr><th>Name</th><th>Signs for</th><th></th></tr></thead><tbody>
          ${s.keys.map(
            (k) => html`<tr><td>${k.name}</td><td>${k.roles.map((r, i) => html`${i > 0 && ", "}${roleName(r)}`)}</td>
            <td class="actions-cell"><button class="replace" id="replace-${k.name}" data-name="${k.name}" title="A new key replaces it, kept the same way (keyring, file or encrypted file)">Rotate</button> <button class="revoke danger" id="revoke-${k.name}" data-name="${k.name}">Revoke…</button></td></tr>`,
          )}
          </tbody></table></div>
          <div id="rotate-pass" hidden></div>
          <h3>Signatures needed (threshold)</h3>
          <p class="muted help">How many of a role's keys must sign before clients accept its file. Above one, no single lost or stolen key can sign alone.</p>
          <div class="row" data-enter="thr-btn"><select id="thr-role">${ROLES.map((r) => html`<option>${r}</option>`)}</select>
            <input id="thr-value" type="number" min="1" max="16" value="${thresholdOf(ROLES[0])}" style="width:5rem"/>
            <button id="thr-btn">Change threshold</button> <span id="thr-now" class="muted">now ${thresholdOf(ROLES[0])}</span></div>
          <div class="actions"><button id="refresh-root">New request: refresh root expiry</button></div>
          ${glossary()}
        </div>
        <div class="panel"><h2>Pending request</h2>
          <div data-enter="req-check">${pathField("req-paths", "Request file(s), separated by ;", false, params.request ?? s.pending_request ?? "")}</div>
          <div class="actions"><button id="req-check">Check signatures</button> <button id="req-sign-here" title="Sign with the root keys of this project that are on this computer">Sign with this project's root keys</button> <button id="req-publish" class="primary">Publish…</button></div>
          <div id="request"></div>
          <h3>Custodians elsewhere</h3>
          <p class="muted help">Give each custodian a copy (a USB stick, an attachment); they sign it with "I hold a key" and send it back; merge what comes back here.</p>
          <div data-enter="copy-save">${pathField("copy-dest", "Save a copy for custodians to (file)", false, "")}</div>
          <div class="actions"><button id="copy-save">Save copy</button></div>
          <div data-enter="copy-merge">${pathField("copy-returned", "A signed copy sent back (file)", false, "")}</div>
          <div class="actions"><button id="copy-merge">Merge returned copy</button></div>
          <p id="copy-result" class="ok"></p>
        </div>
      </div>
    </section>`,
  );
  wireBrowse();
  // Publishing waits for every signature: the button says so.
  const showStatus = (v: RequestView) => {
    render($("#request"), requestHtml(v));
    const publish = $("#req-publish") as HTMLButtonElement;
    publish.disabled = !v.status.complete;
    publish.title = v.status.complete ? "" : "Waiting for signatures: see what is missing above";
  };
  const showRequest = (v: RequestView) => {
    input("#req-paths").value = v.path;
    showStatus(v);
  };
  const paths = () => {
    const p = val("#req-paths").split(";").map((x) => x.trim()).filter(Boolean);
    if (!p.length) throw { code: "missing_input", message: "Choose the request file first." };
    return p;
  };
  // The engine keeps the rotated key's custody; an encrypted key file's
  // replacement needs the passphrase that opens it, asked for here.
  const askPassphrase = (name: string) => {
    const box = $("#rotate-pass");
    box.hidden = false;
    render(
      box,
      html`<p>Key ${name} is kept in an encrypted file, so its replacement is too, with the same passphrase.</p>
      <div class="row" data-enter="rotate-pass-btn"><input id="rotate-pass-input" type="password" autocomplete="off" placeholder="Passphrase of ${name}"/>
        <button id="rotate-pass-btn" data-name="${name}">Rotate ${name}</button></div>`,
    );
    on("#rotate-pass-btn", async () => {
      showRequest(await api.rootChange({ kind: "replace_key", name, passphrase: val("#rotate-pass-input") }));
      box.hidden = true;
      render(box, html``);
    });
    input("#rotate-pass-input").focus();
  };
  onEach("button.replace", async (b) => {
    const name = b.dataset.name ?? "";
    try {
      showRequest(await api.rootChange({ kind: "replace_key", name }));
    } catch (e) {
      if (isAppError(e) && e.code === "need_passphrase") return askPassphrase(name);
      throw e;
    }
  });
  onEach("button.revoke", async (b) => {
    if (!(await confirmAt(b, html`Revoke ${b.dataset.name ?? ""}? Signatures by this key stop counting once the new root is published.`, "Revoke"))) return;
    showRequest(await api.rootChange({ kind: "revoke_key", name: b.dataset.name }));
  });
  // The field starts at the role's current threshold, never at a default
  // that could lower it by accident.
  $("#thr-role").addEventListener("change", () => {
    const now = thresholdOf(val("#thr-role"));
    input("#thr-value").value = String(now);
    $("#thr-now").textContent = `now ${now}`;
  });
  on("#thr-btn", async () => showRequest(await api.rootChange({ kind: "threshold", role: val("#thr-role"), threshold: Number(val("#thr-value")) })));
  on("#refresh-root", async () => showRequest(await api.rootChange({ kind: "refresh", expires_days: null })));
  on("#req-check", async () => showStatus(await api.requestStatus(paths())));
  // Two steps: the first click shows the change, the second signs exactly
  // that (the fingerprint ties the signature to what was on screen).
  let shownFingerprint = "";
  on("#req-sign-here", async (signHere) => {
    if (!shownFingerprint) {
      const v = await api.requestStatus(paths().slice(0, 1));
      render($("#request"), requestHtml(v));
      shownFingerprint = v.status.fingerprint;
      signHere.textContent = `Confirm: sign the change above (${shownFingerprint})`;
      return;
    }
    const fp = shownFingerprint;
    shownFingerprint = "";
    signHere.textContent = "Sign with this project's root keys";
    showRequest(await api.signRequestHere(paths()[0], fp));
  });
  on("#req-publish", async (b) => {
    const v = await api.requestStatus(paths());
    render($("#request"), requestHtml(v));
    if (!(await confirmAt(b, html`Publish the new root (fingerprint <strong>${v.status.fingerprint}</strong>)? Clients trust its keys from their next update.`, "Publish root"))) return;
    const o = await api.publishRequest(paths());
    // The keys and thresholds shown above change with the new root.
    await showCeremony();
    render(
      $("#request"),
      html`<p id="req-published" class="ok">Published into the local repository: ${join(
        o.versions.map((x) => `${x.role} ${x.from}→${x.to}`),
        ", ",
      )}. Upload to publish it to clients.</p>`,
    );
  });
  on("#copy-save", async () => {
    const where = await api.saveRequestCopy(paths()[0], val("#copy-dest"));
    $("#copy-result").textContent = `Saved a copy to ${where}: custodians sign it and send it back.`;
  });
  on("#copy-merge", async () => {
    const m = await api.mergeRequestCopy(paths()[0], val("#copy-returned"));
    showRequest(m.view);
    const need = [...new Set([...m.view.status.old_root.missing, ...m.view.status.new_root.missing])];
    $("#copy-result").textContent =
      m.added === 0
        ? "That copy holds no signature the request does not already have."
        : `Merged ${m.added} new signature${m.added > 1 ? "s" : ""} into ${m.view.path}${
            m.view.status.complete ? ": the request has every signature it needs; publish it." : `; root still needs ${need.join(", ")}.`
          }`;
  });
  // Opened from elsewhere with a request, or one is pending: show where
  // it stands.
  const pending = params.request ?? s.pending_request;
  if (pending) showStatus(await api.requestStatus([pending]));
  setNav("ceremony");
}
