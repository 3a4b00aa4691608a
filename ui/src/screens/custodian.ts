// Custodian mode: review a signing request and sign it with a key file or
// keyring entry, offline, without the repository.
import { api } from "../api";
import { requestHtml } from "../components";
import { $, app, button, input, on, pathField, required, val, wireBrowse } from "../dom";
import { runAction } from "../feedback";
import { html, render } from "../html";
import { setPathsHandler } from "../paths";
import { setNav } from "../shell";

export function showCustodian(): void {
  render(
    app(),
    html`
    <section id="custodian">
      <h1>I hold a key: review and sign a root change</h1>
      <p>Works offline, without the repository: only the request file and your key.</p>
      <div data-enter="req-open">${pathField("req-path", "Signing request file", false)}</div>
      <div class="actions"><button id="req-open" class="primary">Open</button></div>
      <div id="request"></div>
      <div id="sign-box" hidden>
        <h2>Sign</h2>
        ${pathField("key-file", "Key file (PEM, encrypted PEM, or tufup key file)", false)}
        <label>Passphrase (encrypted keys only)<input id="key-pass" type="password" autocomplete="off"/></label>
        <label>…or an OS keyring entry<input id="key-entry" type="text"/></label>
        <label class="confirm check"><input id="sign-confirm" type="checkbox"/> I have read every change above, and the fingerprint matches the one the publisher gave me</label>
        <div class="actions"><button id="sign-btn" class="primary" disabled>Sign and save</button></div>
        <p id="signed" class="ok" hidden></p>
      </div>
      <details id="create-held" class="panel explain"><summary>New custodian? Create your key</summary>
        <p class="muted">On your own computer, once: your key stays here (encrypted with your passphrase); you send only its public key to the publisher, who adds it to root. Later you sign root changes here with this key file.</p>
        <div data-enter="held-create">${pathField("held-path", "Keep my key in (file, e.g. on a USB stick)", false)}
        <label>Passphrase<input id="held-pass" type="password" autocomplete="new-password"/></label>
        <label>Passphrase again<input id="held-pass2" type="password" autocomplete="new-password"/></label></div>
        <div class="actions"><button id="held-create">Create my key</button></div>
        <p id="held-result" class="ok"></p>
      </details>
    </section>`,
  );
  wireBrowse();
  setPathsHandler((paths) => (input("#req-path").value = paths[0]));
  // What the custodian reviewed: signing is refused if the file changed since.
  let reviewed = "";
  const confirmBox = input("#sign-confirm");
  const signBtn = button("#sign-btn");
  confirmBox.addEventListener("change", () => (signBtn.disabled = !confirmBox.checked || !reviewed));
  on("#req-open", async () => {
    const v = await api.requestStatus([required("#req-path", "the request file")]);
    reviewed = v.status.fingerprint;
    confirmBox.checked = false;
    signBtn.disabled = true;
    render($("#request"), requestHtml(v));
    $("#sign-box").hidden = false;
  });
  signBtn.addEventListener("click", () =>
    runAction(signBtn, async () => {
      if (!confirmBox.checked || !reviewed) return;
      const v = await api.custodianSign(val("#req-path"), val("#key-file") || null, val("#key-entry") || null, val("#key-pass") || null, reviewed);
      input("#key-pass").value = "";
      render($("#request"), requestHtml(v));
      const done = $("#signed");
      done.hidden = false;
      done.textContent = `Signed and saved to ${v.path}. Return the file to the publisher.`;
    }).then(() => (signBtn.disabled = !confirmBox.checked || !reviewed)),
  );
  on("#held-create", async () => {
    if (val("#held-pass") !== val("#held-pass2")) throw { code: "mismatch", message: "The two passphrases differ." };
    const made = await api.createHeldKey(required("#held-path", "where to keep your key"), val("#held-pass"));
    input("#held-pass").value = "";
    input("#held-pass2").value = "";
    $("#held-result").textContent = `Created your key (key id ${made.keyid.slice(0, 12)}…) in ${made.private_key}. Send ${made.public_key} to the publisher; keep the key file and its passphrase yourself.`;
  });
  setNav("custodian");
}
