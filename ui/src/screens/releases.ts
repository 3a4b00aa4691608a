// Releases: one table per stream (platform), newest first, with rollout
// controls; what clients on older releases download; taking releases back
// with the consequence shown before confirming.
import { api, type PullOutcome, type PullPreview, type Release, type RolloutSet, type Removal, type Status } from "../api";
import { chartLegend, downloadsChart } from "../chart";
import { consequenceHtml } from "../consequence";
import { $, app, on, val } from "../dom";
import { confirmAt, runAction } from "../feedback";
import { bytes, count, when } from "../format";
import { html, render, type Html } from "../html";
import { go } from "../router";
import { setNav } from "../shell";
import { reloadStatus } from "../state";
import { repointedWords, rollbackTargets, rolloutBadge, shiftWords, streamsOf } from "../rollout";

/** Whether pulling means something, as the engine's preview says: a
 *  release with nothing to go back to (the oldest) can only be paused. */
type Pullable = Map<string, boolean>;

/** One stream's releases (a platform's, or the platform-less ones), newest first, with rollout controls. */
function releasesTable(releases: Release[], platform: string | null, pullable: Pullable): Html {
  const backTargets = rollbackTargets(releases);
  const rows = [...releases].reverse().map((r) => {
    const percent = r.rollout?.percent ?? 100;
    const canPull = pullable.get(`${platform ?? ""}/${r.version}`) ?? false;
    // Controls in a row of their own under the release: the table stays narrow.
    const controls =
      r.rollout?.state !== "pulled" &&
      html`<tr class="rollout-row" data-version="${r.version}" data-platform="${platform ?? ""}"><td colspan="7"><div class="rollout-controls row">
          <label class="check">Offer to <input class="rollout-range" type="range" min="0" max="100" step="1" value="${percent}" aria-label="Rollout percentage of ${r.version}${platform ? ` on ${platform}` : ""}"/>
          <input class="rollout-percent" type="number" min="0" max="100" value="${percent}" style="width:4.5rem" aria-label="Rollout percentage of ${r.version}${platform ? ` on ${platform}` : ""}, as a number"/> % of installs</label>
          <button class="rollout-set">Set</button>
          ${
            r.rollout?.state === "paused"
              ? percent > 0 &&
                html`<button class="rollout-resume" data-percent="${percent}">Resume at ${percent}%</button>`
              : html`<button class="rollout-pause">Pause</button>`
          }
          ${
            canPull
              ? html`<button class="rollout-pull danger">Pull…</button>`
              : html`<span class="muted no-pull" title="No earlier release to send its clients back to: pause it instead">nothing earlier to go back to</span>`
          }</div></td></tr>`;
    return html`<tr class="release" data-version="${r.version}" data-platform="${platform ?? ""}"><td><strong>${r.version}</strong></td>
      <td class="muted">${r.published ? html`<time datetime="${r.published}">${when(r.published)}</time>` : ""}</td><td>${bytes(r.archive_size)}</td>
      <td>${r.patch ? bytes(r.patch.size) : "—"}</td><td>${r.required && html`<span class="badge required">required</span>`} <span class="badge channel">${r.channel}</span></td>
      <td class="rollout-state">${rolloutBadge(r, backTargets)}</td>
      <td class="muted">${r.notes ?? ""}</td></tr>${controls}`;
  });
  const id = platform === null ? "releases" : `releases-${platform}`;
  return html`<div class="table-wrap"><table id="${id}" class="releases"><thead><tr><th>Version</th><th>Added</th><th>Archive</th><th>Patch</th><th>Channel</th><th>Rollout</th><th>Notes</th></tr></thead><tbody>${rows}</tbody></table></div><div class="rollout-result" data-stream="${platform ?? ""}"></div>`;
}

/** Versions × platforms at a glance: which platform has which release and
 *  where its rollout stands. Rows are the engine's version order, newest first. */
function platformMatrix(s: Status): Html {
  const streams = streamsOf(s);
  const head = streams.map(([p]) => html`<th scope="col">${p ?? "without platform"}</th>`);
  const rows = [...(s.versions ?? [])].reverse().map((v) => {
    const cells = streams.map(([p, releases]) => {
      const r = releases.find((x) => x.version === v);
      return r
        ? html`<td class="matrix-cell" data-platform="${p ?? ""}">${rolloutBadge(r, rollbackTargets(releases))}</td>`
        : html`<td class="matrix-cell muted" data-platform="${p ?? ""}" title="No ${v} for ${p ?? "clients without a platform"}">—</td>`;
    });
    return html`<tr data-version="${v}"><th scope="row">${v}</th>${cells}</tr>`;
  });
  return html`<div class="table-wrap"><table id="release-matrix"><caption class="muted">Which platform has which release</caption><thead><tr><th scope="col">Version</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
}

/** Where the installs on a pulled release go, in words: one phrase for
 *  all of them, or the buckets of each share. */
function pullWhere(p: PullPreview): string {
  const phrase = (o: PullOutcome): string =>
    o.to_version === null
      ? `stay on ${p.version} (no good release to go back to)`
      : o.rollback
        ? `go back to ${o.to_version} (a signed downgrade, by full archive)`
        : `go forward to ${o.to_version} (its rollout reaches them)`;
  if (p.outcomes.length === 0) return `no install has ${p.version}`;
  const [only] = p.outcomes;
  if (p.outcomes.length === 1 && only) return `clients already on ${p.version} ${phrase(only)}`;
  return `of the clients already on ${p.version}, ${p.outcomes.map((o) => `those in ${o.buckets} buckets ${phrase(o)}`).join("; ")}`;
}

/** The confirmation of a pull, from the engine's preview. */
function pullHtml(previews: PullPreview[]): Html {
  const lines = previews.flatMap((p) => {
    const on = p.platform ? ` on ${p.platform}` : "";
    return [
      html`<li>Pulling ${p.version}${on} affects installs in <strong class="pull-buckets">${p.buckets} of 100</strong> buckets: ${pullWhere(p)}; no other install gets ${p.version}.</li>`,
      ...p.repointed.map((r) => html`<li class="repointed">${repointedWords(r)}</li>`),
      ...p.others.map((s) => html`<li class="shift">${shiftWords(s)}</li>`),
    ];
  });
  return html`<ul class="consequence">${lines}<li>Clients see this after the next upload.</li></ul>`;
}

/** Wires the rollout controls of every release row; `platforms`: the
 *  repository has platforms, so results name the platform-less stream too. */
function wireRollout(platforms: boolean): void {
  for (const row of Array.from(app().querySelectorAll<HTMLElement>("tr.rollout-row"))) {
    const range = row.querySelector<HTMLInputElement>(".rollout-range");
    const number = row.querySelector<HTMLInputElement>(".rollout-percent");
    if (!range || !number) continue;
    range.addEventListener("input", () => (number.value = range.value));
    number.addEventListener("input", () => (range.value = number.value));
    const version = row.dataset.version ?? "";
    const platform = row.dataset.platform || null;
    // Each row acts on its own stream: say which, under that stream's table.
    const name = `${version}${platform ? ` for ${platform}` : platforms ? " without a platform" : ""}`;
    // What else the change moved (the engine's words for other installs
    // and earlier pulls), said with the result, before any upload.
    const done = async (words: string, set?: RolloutSet) => {
      await showReleases();
      const box = app().querySelector<HTMLElement>(`.rollout-result[data-stream="${platform ?? ""}"]`);
      if (!box) return;
      const more = (set?.changed ?? []).flatMap((c) => [...c.repointed.map(repointedWords), ...c.stalled.map(shiftWords)]);
      render(
        box,
        html`<p class="note" id="rollout-done">${words} Upload to publish the change.</p>${
          more.length > 0 && html`<ul class="consequence warning" id="rollout-more">${more.map((m) => html`<li>${m}</li>`)}</ul>`
        }`,
      );
      box.scrollIntoView({ block: "nearest" });
    };
    const act = (sel: string, f: (b: HTMLButtonElement) => Promise<void>) => {
      const b = row.querySelector<HTMLButtonElement>(sel);
      if (b) b.addEventListener("click", () => void runAction(b, () => f(b)));
    };
    act(".rollout-set", async () => {
      const percent = Number(number.value);
      if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
        throw { code: "invalid_setting", message: "A rollout percentage is a whole number from 0 to 100." };
      }
      const set = await api.setRollout(version, platform, { kind: "percent", percent });
      await done(
        percent === 100
          ? `${name} is offered to every install.`
          : percent === 0
            ? `${name} is offered to no install yet (0%): raise it to start the rollout.`
            : `${name} is rolling out to ${percent}% of installs.`,
        set,
      );
    });
    act(".rollout-pause", async () => {
      const set = await api.setRollout(version, platform, { kind: "pause" });
      await done(`${name} is paused: no new installs get it.`, set);
    });
    act(".rollout-resume", async (b) => {
      const percent = Number(b.dataset.percent ?? "100");
      const set = await api.setRollout(version, platform, { kind: "percent", percent });
      await done(`${name} is rolling out again to ${percent}% of installs.`, set);
    });
    act(".rollout-pull", async (b) => {
      const previews = await api.previewPull(version, platform);
      if (!(await confirmAt(b, pullHtml(previews), `Pull ${version}`))) return;
      const set = await api.setRollout(version, platform, { kind: "pull" });
      await done(`${name} is pulled.`, set);
    });
  }
}

/** Asks the engine, per release, whether a pull has somewhere to send its clients. */
async function pullability(streams: [string | null, Release[]][]): Promise<Pullable> {
  const out: Pullable = new Map();
  await Promise.all(
    streams.flatMap(([platform, releases]) =>
      releases
        .filter((r) => r.rollout?.state !== "pulled")
        .map(async (r) => {
          const previews = await api.previewPull(r.version, platform).catch(() => []);
          out.set(`${platform ?? ""}/${r.version}`, previews.some((p) => p.rollback_to !== null));
        }),
    ),
  );
  return out;
}

export async function showReleases(): Promise<void> {
  const s = await reloadStatus();
  const platforms = s.platforms ?? [];
  const streams = streamsOf(s);
  const any = streams.length > 0;
  const pullable = await pullability(streams);
  const longest = Math.max(0, ...streams.map(([, releases]) => releases.length));
  // With platforms, one group per platform (and the platform-less releases first, when there are any).
  const tables = platforms.length
    ? html`${platformMatrix(s)}${s.releases.length > 0 && html`<h2 class="platform-group">Without platform</h2>${releasesTable(s.releases, null, pullable)}`}${platforms.map(
        (p) => html`<h2 class="platform-group" data-platform="${p.platform}">${p.platform}</h2>${releasesTable(p.releases, p.platform, pullable)}`,
      )}`
    : releasesTable(s.releases, null, pullable);
  render(
    app(),
    html`
    <section id="releases-screen">
      <h1>Releases</h1>
      <div class="actions"><button id="new-release" class="primary">New release</button></div>
      ${
        any
          ? html`${tables}<p class="muted">Rollout: each install falls in one of 100 buckets (from a random id it keeps); a release rolling out to N% reaches the buckets below N. Pause stops new installs; pull withdraws it and sends its clients back to the release before.</p>`
          : html`<p class="muted" id="no-releases">No releases yet.</p>`
      }
      ${
        s.clients.length > 0 &&
        html`<h2>What clients${platforms.length > 0 ? " without a platform" : ""} on older releases download now</h2>${chartLegend()}<div id="release-clients">${downloadsChart(s.clients, s.releases[s.releases.length - 1]?.archive_size ?? 0)}</div>`
      }
      ${
        any &&
        html`<div class="panel"><h2>Take releases back</h2>
        <p class="muted">You see what clients will download before anything is removed.</p>
        <div class="actions">${
          streams.length > 1 &&
          html`<label>Platform <select id="remove-latest-platform">${streams.map(
            ([p]) => html`<option value="${p ?? ""}">${p ?? "without platform"}</option>`,
          )}</select></label>`
        }<button id="remove-latest-btn" class="danger">Remove the latest release…</button></div>
        <div class="row" data-enter="prune-btn"><label class="check">Keep the newest <input id="prune-keep" type="number" min="1" value="${Math.max(1, Math.min(3, longest - 1))}" style="width:5rem"/> releases${platforms.length > 0 ? " of each platform" : ""}</label>
          <button id="prune-btn" class="danger">Prune older releases…</button></div>
        <div id="removal-result"></div></div>`
      }
    </section>`,
  );
  on("#new-release", async () => go("add"));
  wireRollout(platforms.length > 0);
  if (any) {
    const remove = async (b: HTMLButtonElement, removal: Removal) => {
      const preview = await api.previewRemoval(removal);
      const of = removal.kind !== "latest" ? "" : removal.platform ? ` of ${removal.platform}` : platforms.length > 0 ? " without a platform" : "";
      // A prune over platforms may remove different versions of each: the
      // confirmation lists them, the button counts them.
      const what =
        preview.by_stream.length > 1
          ? count(preview.by_stream.reduce((n, st) => n + st.removed.length, 0), "release")
          : `${preview.removed.join(", ")}${of}`;
      const ok = await confirmAt(b, consequenceHtml(preview, platforms.length > 0), `Remove ${what}`);
      if (!ok) return;
      const o = await api.removeReleases(removal);
      await showReleases();
      render(
        $("#removal-result"),
        html`<p class="note" id="removed">Removed ${what} from the local repository (${count(o.removed.length, "file")}). Upload to publish the change.</p>`,
      );
    };
    // One stream: its own; several: the one picked (the first, platform-less or not, by default).
    const picked = (): string | null => {
      const select = document.querySelector<HTMLSelectElement>("#remove-latest-platform");
      return select ? select.value || null : (streams[0]?.[0] ?? null);
    };
    on("#remove-latest-btn", (b) => remove(b, { kind: "latest", platform: picked() }));
    on("#prune-btn", (b) => remove(b, { kind: "prune", keep: Number(val("#prune-keep")) }));
  }
  setNav("releases");
}
