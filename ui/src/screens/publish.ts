// Publish: upload the local repository to a folder or S3-compatible
// storage, then check the published copy as a client would.
import { api } from "../api";
import { progressBox, publishBanner, uploadSummary, verifySummary, wirePublishBanner, withProgress } from "../components";
import { $, app, focusField, input, on, required, val } from "../dom";
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
          <label class="check"><input id="remember-dest" type="checkbox" checked/> Remember as this project's destination</label>
          <div class="actions"><button id="upload-btn" class="primary">Upload</button></div>
          ${progressBox("upload-progress")}
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
    </section>`,
  );
  wirePublishBanner(() => showPublish());
  on("#upload-btn", async () => {
    const to = required("#publish-to", "a destination");
    const endpoint = val("#publish-endpoint").trim() || null;
    const region = val("#publish-region").trim() || null;
    if (input("#remember-dest").checked) await api.saveDestination(to, endpoint, region);
    const r = await withProgress("upload-progress", "Uploading", () => api.upload(to, endpoint));
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
      <ul>${r.problems.map((p) => html`<li class="problem">${p}</li>`)}${r.warnings.map((w) => html`<li class="warning">${w}</li>`)}</ul>`,
    );
  });
  if (params.focus) focusField(params.focus);
  setNav("publish");
}
