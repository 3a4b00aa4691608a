// Keys: where each key lives and whether it is at hand; export an
// encrypted copy, move between keyring and file, add a key (a root change).
import { api, ROLES } from "../api";
import { requestHtml } from "../components";
import { $, app, input, on, onEach, pathField, required, val, wireBrowse } from "../dom";
import { confirmAt } from "../feedback";
import { html, render } from "../html";
import { go } from "../router";
import { setNav } from "../shell";
import { reloadStatus } from "../state";
import { custodyName, glossary, roleName } from "../words";

/** A long value cut with an ellipsis: whole on hover, and a button copies it. */
function longValue(cls: string, value: string) {
  return html`<span class="long"><span class="ellipsis ${cls}" title="${value}">${value}</span><button class="link copy" data-copy="${value}" title="Copy">Copy</button></span>`;
}

export async function showKeys(): Promise<void> {
  const s = await reloadStatus();
  render(
    app(),
    html`
    <section id="keys">
      <h1>Keys</h1>
      <div class="table-wrap"><table id="keys-table"><colgroup><col class="c-name"/><col class="c-roles"/><col class="c-where"/><col class="c-here"/><col class="c-act"/></colgroup>
      <thead><tr><th>Name</th><th>Signs for</th><th>Lives in</th><th></th><th></th></tr></thead><tbody>
      ${s.keys.map(
        (k) => html`<tr data-key="${k.name}"><td><strong>${k.name}</strong>${k.owner && html`<br/><span class="muted">${k.owner}</span>`}
          <br/>${longValue("keyid", k.keyid)}</td>
        <td>${k.roles.map((r, i) => html`${i > 0 && ", "}${roleName(r)}`)}</td><td class="location"><span class="custody" data-custody="${k.custody}">${custodyName(k.custody)}</span><br/>${longValue("where", k.location)}</td>
        <td>${
          k.available
            ? html`<span class="badge ok">at hand</span>`
            : k.custody === "custodian"
              ? html`<span class="badge">with custodian</span>`
              : html`<span class="badge warn">not here</span>`
        }</td>
        <td class="actions-cell"><button class="key-tool" id="export-${k.name}" data-name="${k.name}" data-tool="export">Export…</button>
          <button class="key-tool" id="move-${k.name}" data-name="${k.name}" data-tool="move">Move…</button></td></tr>`,
      )}
      </tbody></table></div>
      ${glossary()}
      <div id="key-tool"></div>
      <div class="panel"><h2>Add a key</h2>
        <p class="muted">A new key, and any change to root, becomes a signing request that the root keys sign (in Ceremony).</p>
        <div class="row" data-enter="key-add">
          <select id="key-role">${ROLES.map((r) => html`<option>${r}</option>`)}</select>
          <input id="key-name" placeholder="name (optional)"/>
          <input id="key-owner" placeholder="owner (optional)"/>
          <select id="key-store"><option value="keyring">new key: OS keyring</option><option value="file">new key: key file</option>
            <option value="custodian">a custodian's public key (they keep the key)</option></select>
          <button id="key-add">Add key</button>
        </div>
        <div id="key-public-box" hidden data-enter="key-add">${pathField("key-public", "The custodian's public key file (NAME.pub.json, made with I hold a key → Create your key)", false)}</div>
        <div id="key-request"></div>
      </div>
    </section>`,
  );
  app()
    .querySelectorAll<HTMLButtonElement>("button.copy")
    .forEach((b) =>
      b.addEventListener("click", () => {
        const text = b.dataset.copy ?? "";
        void navigator.clipboard?.writeText(text).then(
          () => (b.textContent = "Copied"),
          () => (b.textContent = "Select to copy"),
        );
      }),
    );
  app()
    .querySelectorAll<HTMLButtonElement>("button.key-tool")
    .forEach((b) =>
      b.addEventListener("click", () => {
        const name = b.dataset.name ?? "";
        const locked = s.keys.find((k) => k.name === name)?.custody === "encrypted_file";
        const tool = $("#key-tool");
        if (b.dataset.tool === "export") {
          render(
            tool,
            html`<div class="panel" data-enter="export-btn"><h2>Export an encrypted copy of ${name}</h2>
            <p class="muted">A backup, or a key file to hand to a custodian. The copy is encrypted with the passphrase.</p>
            ${pathField("export-dest", "Save to (file)", false, `${name}-backup.pem`)}
            ${locked && html`<label>Passphrase of ${name} (its key file is encrypted)<input id="export-key-pass" type="password" autocomplete="current-password"/></label>`}
            <label>Passphrase for the copy<input id="export-pass" type="password" autocomplete="new-password"/></label>
            <label>Passphrase again<input id="export-pass2" type="password" autocomplete="new-password"/></label>
            <div class="actions"><button id="export-btn" class="primary">Export</button></div><p id="export-result" class="ok"></p></div>`,
          );
          wireBrowse();
          on("#export-btn", async () => {
            if (val("#export-pass") !== val("#export-pass2")) throw { code: "mismatch", message: "The two passphrases differ." };
            const where = await api.exportKey(
              name,
              required("#export-dest", "where to save the copy"),
              val("#export-pass"),
              locked ? val("#export-key-pass") : null,
            );
            if (locked) input("#export-key-pass").value = "";
            input("#export-pass").value = "";
            input("#export-pass2").value = "";
            $("#export-result").textContent = `Saved an encrypted copy to ${where}. Keep it offline, apart from this computer.`;
          });
        } else {
          render(
            tool,
            html`<div class="panel" data-enter="move-btn"><h2>Move ${name}</h2>
            <label>To<select id="move-to"><option value="file">a key file in the project's keys folder</option><option value="keyring">the OS keyring</option></select></label>
            <label>Passphrase for a key file (optional; encrypts it)<input id="move-pass" type="password" autocomplete="new-password"/></label>
            <div class="actions"><button id="move-btn" class="primary">Move</button></div><p id="move-result" class="ok"></p></div>`,
          );
          on("#move-btn", async (mb) => {
            const ok = await confirmAt(mb, html`Move ${name}? The old copy is deleted once the new one reads back as the same key.`, "Move");
            if (!ok) return;
            const where = await api.moveKey(name, val("#move-to"), val("#move-pass") || null);
            await showKeys();
            render($("#key-tool"), html`<p class="note" id="move-result">${name} now lives in ${where}.</p>`);
          });
        }
        tool.scrollIntoView({ block: "nearest" });
      }),
    );
  wireBrowse();
  $("#key-store").addEventListener("change", () => ($("#key-public-box").hidden = val("#key-store") !== "custodian"));
  on("#key-add", async () => {
    const fromCustodian = val("#key-store") === "custodian";
    const v = await api.rootChange({
      kind: "add_key",
      role: val("#key-role"),
      name: val("#key-name") || null,
      key_store: fromCustodian ? "file" : val("#key-store"),
      owner: val("#key-owner") || null,
      public_key: fromCustodian ? required("#key-public", "the custodian's public key file") : null,
    });
    render(
      $("#key-request"),
      html`${requestHtml(v)}<p>Custodians sign the request, then you publish it.</p>
        <div class="actions"><button id="continue-ceremony" class="primary" data-request="${v.path}">Continue in Ceremony</button></div>`,
    );
    onEach("#continue-ceremony", async (b) => go("ceremony", { request: b.dataset.request }));
  });
  setNav("keys");
}
