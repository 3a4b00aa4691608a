// The consequence of taking releases back, in words, from the engine's
// preview (which releases go, who is left ahead or stranded, what the
// rest download): shown before the person confirms.
import type { RemovalPreview } from "./api";
import { bytes, count } from "./format";
import { html, type Html } from "./html";

/** " on linux-x86_64", " without a platform", or nothing when the
 *  repository has no platforms at all. */
function onStream(platform: string | null, platforms: boolean): string {
  if (!platforms) return "";
  return platform ? ` on ${platform}` : " without a platform";
}

/** `hasPlatforms`: the repository has platforms, so even the
 *  platform-less stream is named ("1.2 without a platform"). */
export function consequenceHtml(p: RemovalPreview, hasPlatforms = false): Html {
  const platforms = hasPlatforms || p.by_stream.some((s) => s.platform !== null);
  const lines: Html[] = [];
  const what = platforms
    ? p.by_stream.map((s) => `${s.removed.join(", ")}${onStream(s.platform, true)}`).join("; ")
    : p.removed.join(", ");
  lines.push(
    html`Removes ${what} (${count(p.files.length, "file")}, ${bytes(p.freed_bytes)}).${
      // Only removing the latest changes which release is newest.
      p.ahead && p.latest_after ? ` The newest release${onStream(p.by_stream[0]?.platform ?? null, platforms)} becomes ${p.latest_after}.` : ""
    }`,
  );
  if (p.ahead) {
    // With a fallback, only installs that set their platform keep waiting.
    const who = p.platform_fallback ? `Installs that set ${p.platform_fallback.platform} as their platform and` : "Clients that";
    lines.push(html`${who} installed ${p.ahead} keep it and get nothing until a release newer than ${p.ahead} is published.`);
  }
  if (p.rollback_lost) {
    lines.push(
      html`${p.ahead} is pulled: its clients are being sent back to ${p.rollback_lost}. Removing it cancels that signed downgrade; they stay on the withdrawn ${p.ahead}.`,
    );
  }
  if (p.platform_fallback) {
    const f = p.platform_fallback;
    const shares = f.shares.map(
      (s) =>
        `${s.share < 100 ? `${s.share}% ` : ""}${
          s.to_version === null
            ? "get nothing yet"
            : s.rollback
              ? `go back to ${s.to_version} (a signed downgrade: ${s.version} is pulled there)`
              : `take ${s.to_version} (the full ${bytes(s.bytes)})`
        }`,
    );
    lines.push(
      html`${f.platform} has no release left: its installs that do not set a platform follow the releases without a platform from then on (the next one offered to them, by full archive)${
        shares.length > 0 ? `: ${shares.join(", ")}` : ""
      }.`,
    );
  }
  for (const s of p.stranded) {
    // A staged rollout splits them: say which share goes where.
    const who = s.share < 100 ? ` (${s.share}% of those installs)` : "";
    const on = `${s.version}${onStream(s.platform, platforms)}`;
    lines.push(
      s.to_version === null
        ? html`Clients on ${on}${who} get no update: no newer release on their channel is offered to them yet.`
        : html`Clients on ${on}${who} will download the full ${bytes(s.bytes)} of ${s.to_version}.`,
    );
  }
  const single = p.by_stream.length === 1 ? (p.by_stream[0]?.platform ?? null) : null;
  for (const c of p.clients_after) {
    if (c.method === null || c.to_version === null) continue;
    const how = c.method === "patch" ? `a ${bytes(c.bytes)} patch` : `the full ${bytes(c.bytes)} archive`;
    const on = `${c.from_version}${onStream(single, platforms)}`;
    lines.push(
      c.rollback
        ? html`${c.from_version} is pulled: clients on ${on} are sent back to ${c.to_version} (${how}).`
        : c.to_rollout !== null
          ? html`Clients on ${on} will download ${how} of ${c.to_version} once its rollout reaches them (${c.to_rollout}% of installs); the others stay or take an earlier release.`
          : html`Clients on ${on} will download ${how} of ${c.to_version}.`,
    );
  }
  lines.push(html`Clients see this after the next upload.`);
  return html`<ul class="consequence">${lines.map((l) => html`<li>${l}</li>`)}</ul>`;
}
