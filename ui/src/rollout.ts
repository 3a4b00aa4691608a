// A release's rollout state in words, and a repository's release streams:
// shared by the Releases screen and the Overview, so both say the same.
import type { Release, Repointed, Shift, Status } from "./api";
import { html, type Html } from "./html";

/** A release's rollout in words: rolling N%, paused, pulled, or out to everyone. */
export function rolloutBadge(r: Release, rollbackTargets: Set<string>): Html {
  const back = rollbackTargets.has(r.version) && html` <span class="badge rollback" title="Clients of a pulled release go back to it">rollback target</span>`;
  const o = r.rollout;
  if (!o) return html`<span class="badge rollout-all">all installs</span>${back}`;
  // Narrowed after a wider share took it: those installs still have it.
  const reached = o.reached != null && o.reached > o.percent && html` <span class="muted reached" title="Installs that took it at its widest keep it">reached ${o.reached}%</span>`;
  switch (o.state) {
    case "rolling":
      return html`<span class="badge rollout-rolling">rolling out ${o.percent}%</span>${reached}${back}`;
    case "paused":
      return html`<span class="badge rollout-paused">paused at ${o.percent}%</span>${reached}${back}`;
    case "pulled":
      return html`<span class="badge rollout-pulled">pulled</span>${r.rollback_to && html` <span class="muted">clients go back to ${r.rollback_to}</span>`}${back}`;
  }
}

/** Every stream with releases: the platform-less one (null) first, then each platform's. */
export function streamsOf(s: Status): [string | null, Release[]][] {
  const all: [string | null, Release[]][] = [[null, s.releases], ...(s.platforms ?? []).map((p): [string, Release[]] => [p.platform, p.releases])];
  return all.filter(([, releases]) => releases.length > 0);
}

/** The versions a pulled release sends its clients back to. */
export function rollbackTargets(releases: Release[]): Set<string> {
  return new Set(releases.flatMap((r) => (r.rollout?.state === "pulled" && r.rollback_to ? [r.rollback_to] : [])));
}

/** An earlier pull whose way back moved, in words. */
export function repointedWords(r: Repointed): string {
  return r.rollback_to
    ? `${r.version}, pulled earlier, now sends its clients back to ${r.rollback_to}.`
    : `${r.version}, pulled earlier, has no good release left before it: its clients stay on it.`;
}

/** Installs whose next step changes, in words: where they went, where they go now. */
export function shiftWords(s: Shift): string {
  const went = s.before === null ? "had no update" : s.before_rollback ? `were being sent back to ${s.before}` : `were getting ${s.before}`;
  const go =
    s.after === null
      ? s.held_by_required
        ? "get no update: a required release they may not skip is held back from them"
        : "get no update"
      : s.after_rollback
        ? `go back to ${s.after}`
        : `get ${s.after}`;
  return `Installs on ${s.from_version} (${s.buckets} of 100 buckets) ${went} and now ${go}.`;
}
