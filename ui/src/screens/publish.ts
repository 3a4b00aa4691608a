// Publish: upload the local repository to a folder or S3-compatible
// storage, then check the published copy as a client would.
import { api, type CredentialStatus, type DestinationArgs } from "../api";
import { progressBox, publishBanner, uploadSummary, verifySummary, wirePublishBanner, withProgress } from "../components";
import { $, app, focusField, input, on, required, val } from "../dom";
import { confirmAt } from "../feedback";
import { localizeTimes } from "../format";
import { html, render } from "../html";
import type { Params } from "../router";
import { setNav } from "../shell";
import { reloadStatus } from "../state";

export async function showPublish(params: Params = {}): Promise<void> {
  const s = await reloadStatus();
  const published = await api.publishedState();
  const saved = s.publish_to ?? "";
  const checkDefault = saved && !saved.includes("://") ? saved : "";
  render(
    app(),
    html`
    <section id="publish">
      <h1>Publish</h1>
      ${publishBanner(published)}
      <div class="grid2">
        <div class="panel">
          <h2>Upload</h2>
          <div data-enter="upload-btn">
            <label>Destination: a folder (served by your web server) or s3://bucket/prefix
              <input id="publish-to" type="text" placeholder="s3://bucket/prefix or a folder" value="${saved}" spellcheck="false"/></label>
            <label>S3 endpoint (MinIO, R2…), optional<input id="publish-endpoint" type="text"/></label>
            <label>S3 region, optional<input id="publish-region" type="text"/></label>
          </div>
          <div id="credentials" hidden>
            <h3>S3 credentials</h3>
            <p id="cred-status"></p>
            <div data-enter="cred-save">
              <label>Access key id<input id="cred-key-id" type="text" autocomplete="off" spellcheck="false"/></label>
              <label>Secret access key<input id="cred-secret" type="password" autocomplete="off"/></label>
            </div>
            <p class="muted help">Kept in this computer's OS keyring for this bucket and endpoint, never in tufa.toml.</p>
            <div class="actions"><button id="cred-save">Save in the keyring</button> <button id="cred-forget" class="danger">Forget…</button></div>
          </div>
          <label class="check"><input id="remember-dest" type="checkbox" checked/> Remember as this project's destination</label>
          <div class="actions"><button id="upload-btn" class="primary">Upload</button> <button id="test-dest">Test connection</button></div>
          ${progressBox("upload-progress")}
          <div id="test-result"></div>
          <p id="upload-result" class="muted"></p>
        </div>
        <div class="panel">
          <h2>Check the published copy</h2>
          <p class="muted">Reads it as a client would: every signature, every file's hash.</p>
          <div data-enter="verify-btn"><label>Address clients use, or the folder you uploaded to
            <input id="verify-url" type="text" placeholder="https://updates.example.com/ or a folder" value="${checkDefault}" spellcheck="false"/></label></div>
          <div class="actions"><button id="verify-btn">Check as a client would</button></div>
          ${progressBox("verify-progress")}
          <div id="verify-result"></div>
        </div>
      </div>
      <details id="client-setup" class="panel explain"><summary>Set up your app to update from here</summary>
        <div id="client-setup-body"></div>
      </details>
    </section>`,
  );
  // What the app being updated needs, with this project's values; the
  // address follows the check field (the one clients use).
  const drawClientSetup = () => {
    const url = val("#verify-url").trim().replace(/\/+$/, "");
    const web = /^https?:\/\//.test(url);
    const base = web ? url : "https://updates.example.com/" + s.app;
    const conf = JSON.stringify({ plugins: { tufa: { metadataUrl: `${base}/metadata/`, targetsUrl: `${base}/targets/`, appName: s.app } } }, null, 2);
    render(
      $("#client-setup-body"),
      html`<ol>
        <li>Ship the trusted root with your app: <strong id="client-root">${s.repository}/metadata/root.json</strong>. Your app trusts only what this root's keys sign; later roots are fetched and checked by the client itself.</li>
        <li>Your app asks two addresses: <strong id="client-metadata-url">${base}/metadata/</strong> and <strong id="client-targets-url">${base}/targets/</strong>${
          !web && html` <span class="muted">(put the address clients use in the check field above to see yours)</span>`
        }.</li>
        <li>A Tauri app: <em>tauri-plugin-tufa</em> with this in tauri.conf.json, and the root compiled in:<pre id="client-conf">${conf}</pre>
          A Rust app: <em>tufa::client::Updater</em> with the same addresses. Apps on Python's tufup keep working: give its client the same root and addresses, and the app name <strong>${s.app}</strong>.</li>
        <li>Patches from the first update: install your app with the Tufa client (it keeps the release's archive in the app's update cache). A copy unpacked by hand downloads the full archive once, then patches.</li>
      </ol>`,
    );
  };
  drawClientSetup();
  input("#verify-url").addEventListener("input", drawClientSetup);
  wirePublishBanner(() => showPublish());
  const dest = (): DestinationArgs => ({
    to: val("#publish-to").trim() || null,
    endpoint: val("#publish-endpoint").trim() || null,
    region: val("#publish-region").trim() || null,
  });
  const showCredentials = (c: CredentialStatus | null) => {
    const box = $("#credentials");
    box.hidden = c === null || c.source === "not_needed";
    if (!c || box.hidden) return;
    const key = c.access_key_id ? ` (access key ${c.access_key_id})` : "";
    const words: Record<CredentialStatus["source"], string> = {
      environment: `Credentials come from this program's environment${key}.`,
      keyring: `Credentials are saved in the OS keyring${key}${c.keyring_entry ? `, entry ${c.keyring_entry}` : ""}.`,
      missing: "No credentials for this bucket yet: enter the access key below.",
      not_needed: "",
    };
    const status = $("#cred-status");
    status.className = c.source === "missing" ? "warning" : "ok";
    status.dataset.source = c.source;
    render(status, html`${words[c.source]}${c.keyring_problem && html` <span class="warning">The keyring could not be read: ${c.keyring_problem}</span>`}`);
    $("#cred-forget").hidden = !c.saved;
  };
  const refreshCredentials = async () => {
    const d = dest();
    if (!d.to && !s.publish_to) return showCredentials(null);
    showCredentials(await api.destinationCredentials(d).catch(() => null));
  };
  for (const sel of ["#publish-to", "#publish-endpoint", "#publish-region"]) $(sel).addEventListener("change", () => void refreshCredentials());
  await refreshCredentials();
  on("#cred-save", async () => {
    const c = await api.saveCredentials(dest(), required("#cred-key-id", "the access key id"), required("#cred-secret", "the secret access key"));
    input("#cred-secret").value = "";
    input("#cred-key-id").value = "";
    showCredentials(c);
  });
  on("#cred-forget", async (b) => {
    if (!(await confirmAt(b, html`Remove the saved credentials for this bucket from the OS keyring?`, "Forget"))) return;
    showCredentials(await api.forgetCredentials(dest()));
  });
  on("#test-dest", async () => {
    const t = await withProgress("upload-progress", "Testing the connection", () => api.testDestination(dest()));
    const remedy = t.remedy?.kind === "save_credentials" ? ["#cred-key-id", "Enter the access key"] : t.remedy?.kind === "edit_destination" ? ["#publish-to", "Check the address"] : null;
    render(
      $("#test-result"),
      html`<p id="test-summary" class="${t.ok ? "ok" : "warning"}" data-kind="${t.outcome.kind}">${t.summary}${remedy && html` <button id="test-remedy" class="link">${remedy[1]}</button>`}</p>`,
    );
    if (remedy) $("#test-remedy").addEventListener("click", () => focusField(remedy[0]));
    await refreshCredentials();
  });
  on("#upload-btn", async () => {
    const to = required("#publish-to", "a destination");
    const endpoint = val("#publish-endpoint").trim() || null;
    const region = val("#publish-region").trim() || null;
    if (input("#remember-dest").checked) await api.saveDestination(to, endpoint, region);
    const r = await withProgress("upload-progress", "Uploading", () => api.upload(to, endpoint));
    $("#test-result").innerHTML = "";
    const state = await api.publishedState();
    $("#publish-state").outerHTML = publishBanner(state).html;
    wirePublishBanner(() => showPublish());
    $("#upload-result").textContent = uploadSummary(r);
    setNav("publish");
    const check = input("#verify-url");
    if (!check.value && !to.includes("://")) check.value = to;
  });
  on("#verify-btn", async () => {
    const r = await withProgress("verify-progress", "Checking", () => api.verifyPublished(required("#verify-url", "the address or folder to check")));
    render(
      $("#verify-result"),
      html`
      <p id="verify-summary" class="${r.problems.length ? "warn" : "ok"}" data-release-files="${r.targets_checked}">${verifySummary(r)}</p>
      <ul>${r.problems.map((p) => html`<li class="problem">${localizeTimes(p)}</li>`)}${r.warnings.map((w) => html`<li class="warning">${localizeTimes(w)}</li>`)}</ul>`,
    );
  });
  if (params.focus) {
    // The credentials form, asked for by an upload that had none.
    if (params.focus.startsWith("#cred-")) $("#credentials").hidden = false;
    focusField(params.focus);
  }
  setNav("publish");
}
