// Overview: local vs. published, a staged change to sign or discard, each
// role's expiry against its own period, each stream's latest release and
// the rollouts in progress, and what clients on older ones download.
import { api, type Release } from "../api";
import { chartLegend, downloadsChart, expiryTimeline } from "../chart";
import { publishBanner, wirePublishBanner } from "../components";
import { $, app, input, on, pathField, val, wireBrowse } from "../dom";
import { confirmAt } from "../feedback";
import { bytes, count, localizeTimes, relative, signatures, when } from "../format";
import { html, join, render } from "../html";
import { go } from "../router";
import { setNav } from "../shell";
import { rollbackTargets, rolloutBadge, streamsOf } from "../rollout";
import { reloadStatus } from "../state";
import { glossary, roleName } from "../words";

export async function showOverview(): Promise<void> {
  const s = await reloadStatus();
  const [published, staged] = await Promise.all([api.publishedState(), api.stagedChange()]);
  const roles = s.roles.map(
    (r) => html`<tr class="role ${r.severity}" data-role="${r.role}" data-period="${r.period_days}"><th>${roleName(r.role)}</th><td>v${r.version}</td>
      <td>${signatures(r.signatures, r.threshold)}</td>
      <td class="expiry"><time datetime="${r.expires}" title="${when(r.expires)}">${r.expires_in_secs > 0 ? relative(r.expires_in_secs) : `expired ${relative(r.expires_in_secs)}`}</time>
        <span class="muted">of ${count(r.period_days, "day")}</span></td>
      <td>${r.warning && html`<span class="warning">${localizeTimes(r.warning)}</span>`}</td></tr>`,
  );
  const latest = s.releases[s.releases.length - 1];
  // Every stream's newest release, and every release whose rollout is not
  // "all installs" (rolling, paused or pulled), newest first.
  const streams = streamsOf(s);
  // With more than one stream, each line says whose it is.
  const labelOf = (platform: string | null) => platform ?? (streams.length > 1 ? "without platform" : null);
  const inRollout = streams.flatMap(([platform, releases]) => {
    const backs = rollbackTargets(releases);
    return [...releases]
      .reverse()
      .filter((r) => r.rollout)
      .map((r): [string | null, Release, Set<string>] => [platform, r, backs]);
  });
  const stagedHtml =
    staged.roles.length > 0 &&
    html`<div class="panel" id="staged-panel">
        <h2>A change is waiting for signatures</h2>
        <ul id="staged">${staged.roles.map(
          (r) =>
            html`<li data-role="${r.role}">${r.role} version ${r.version}: ${signatures(r.signatures, r.threshold)}${
              r.unsigned_keys.length > 0 && `; not yet signed by ${r.unsigned_keys.join(", ")}`
            }</li>`,
        )}${staged.files.map((f) => html`<li>new file ${f}</li>`)}</ul>
        <p class="muted">Sign with the keys on this computer, and with a key someone brings (a key file or an OS keyring entry).</p>
        <div data-enter="sign-staged-btn">
          ${pathField("staged-key-file", "Key file (optional)", false)}
          <label>Passphrase (encrypted key files only)<input id="staged-key-pass" type="password" autocomplete="off"/></label>
          <label>…or an OS keyring entry (optional)<input id="staged-key-entry" type="text"/></label>
        </div>
        <div class="actions"><button id="sign-staged-btn" class="primary">Sign and publish</button>
          <button id="discard-staged-btn" class="danger">Discard the change…</button></div>
      </div>`;
  render(
    app(),
    html`
    <section id="overview">
      <h1 id="app-name">${s.app}</h1>
      <p class="muted" id="repo-path">${s.repository}</p>
      ${publishBanner(published)}
      ${stagedHtml}
      <div class="grid2 wide">
        <div class="panel">
          <h2>Expiry</h2>
          <div id="timeline">${expiryTimeline(s.roles)}</div>
          <div class="table-wrap"><table class="roles"><thead><tr><th>Role</th><th>Version</th><th>Signatures</th><th>Expires</th><th></th></tr></thead><tbody>${roles}</tbody></table></div>
          ${glossary()}
          <div class="actions"><button id="refresh-expiring">Refresh expiring metadata</button> <button id="overview-automate" class="link" data-go="automate">Automate it…</button></div>
          <div id="refresh-result"></div>
        </div>
        <div class="panel">
          <h2>${streams.length > 1 ? "Latest releases" : "Latest release"}</h2>
          ${
            streams.length > 0
              ? html`<ul class="plain" id="latest-releases">${streams.map(([platform, releases]) => {
                  const r = releases[releases.length - 1];
                  // A paused or pulled newest release is not what new installs get: say what is.
                  const offered = [...releases].reverse().find((x) => !x.rollout || x.rollout.state === "rolling");
                  const label = labelOf(platform);
                  return html`<li class="latest-release" data-platform="${platform ?? ""}">${label && html`<span class="muted">${label}:</span> `}<strong>${r.version}</strong> ${
                    r.required && html`<span class="badge required">required</span>`
                  } ${r.channel !== "stable" && html`<span class="badge channel">${r.channel}</span>`} ${rolloutBadge(r, rollbackTargets(releases))} — ${bytes(r.archive_size)}${
                    r.patch && `, patch ${bytes(r.patch.size)}`
                  }${offered && offered.version !== r.version && html` <span class="offered">— new installs get ${offered.version}</span>`}</li>`;
                })}</ul>${
                  inRollout.length > 0 &&
                  html`<h3>Held back from some installs</h3><ul class="plain" id="rollout-states">${inRollout.map(
                    ([platform, r, backs]) => {
                      const label = labelOf(platform);
                      return html`<li data-version="${r.version}" data-platform="${platform ?? ""}">${label && html`<span class="muted">${label}:</span> `}<strong>${r.version}</strong> ${rolloutBadge(r, backs)}</li>`;
                    },
                  )}</ul>`
                }`
              : html`<p class="muted" id="no-releases">No releases yet.</p>`
          }
          <div class="actions"><button id="dash-add" class="primary">New release</button> <button id="dash-releases">All releases</button></div>
          ${
            s.clients.length > 0 &&
            html`<h3>What clients on older releases download now</h3>${chartLegend()}<div id="dash-clients">${downloadsChart(s.clients, latest?.archive_size ?? 0)}</div>`
          }
        </div>
      </div>
    </section>`,
  );
  wirePublishBanner(showOverview);
  on("#refresh-expiring", async () => {
    const r = await api.refreshMetadata();
    const signed = r.refresh.signed.length ? `Re-signed ${r.refresh.signed.join(", ")}.` : "Nothing was due.";
    const up = r.upload ? ` Uploaded ${count(r.upload.uploaded.length, "file")} to ${r.to ?? ""}.` : r.to ? "" : " Not uploaded: no destination saved.";
    await showOverview();
    render(
      $("#refresh-result"),
      html`<p class="note" id="refresh-summary">${signed}${up}</p>${
        r.refresh.skipped.length > 0 && html`<ul>${r.refresh.skipped.map((k) => html`<li class="warning">${k.role}: ${localizeTimes(k.reason)}</li>`)}</ul>`
      }`,
    );
  });
  on("#dash-add", async () => go("add"));
  on("#dash-releases", async () => go("releases"));
  if (staged.roles.length) {
    wireBrowse();
    on("#sign-staged-btn", async () => {
      const o = await api.signStaged(val("#staged-key-file").trim() || null, val("#staged-key-entry").trim() || null, val("#staged-key-pass") || null);
      input("#staged-key-pass").value = "";
      if (!o.published) {
        const waiting = o.waiting.map((w) => `${w.role}: ${signatures(w.signatures, w.threshold)}`).join("; ");
        throw { code: "still_waiting", message: `Signed, still waiting: ${waiting}. Bring another key of the role.` };
      }
      await showOverview();
      render(
        $("#refresh-result"),
        html`<p class="note" id="staged-published">The staged change is signed and in the local repository: ${join(
          o.versions.map((v) => `${v.role} ${v.from}→${v.to}`),
          ", ",
        )}.</p>`,
      );
    });
    on("#discard-staged-btn", async (b) => {
      const ok = await confirmAt(
        b,
        html`Throw the staged change away? ${count(staged.files.length, "new file")} and the unsigned metadata are deleted; the repository stays as it is.`,
        "Discard",
      );
      if (!ok) return;
      await api.discardStaged();
      await showOverview();
    });
  }
  setNav("overview");
}
