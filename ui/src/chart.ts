// Charts of what the engine computed: what clients on each older release
// download, when roles expire. They draw the engine's figures (method,
// sizes, patch limit, severity) and decide nothing themselves.
import type { ClientDownload, RoleStatus } from "./api";
import { bytes } from "./format";
import { html, type Html } from "./html";

/** SVG bar chart; one row per older release (and a pulled newest one,
 *  whose clients are sent back): the full archive of the release it
 *  updates to next, the patch chain, the patch limit, and the client's
 *  choice. `archiveSize` is the new release's archive. */
export function downloadsChart(clients: ClientDownload[], archiveSize: number): Html {
  if (clients.length === 0) {
    return html`<p class="muted">This is the first release: every client downloads the full archive (${bytes(archiveSize)}).</p>`;
  }
  const rowH = 34;
  const left = 90;
  const width = 560;
  const height = clients.length * rowH + 40;
  const max = Math.max(1, archiveSize, ...clients.map((c) => Math.max(c.full_bytes, c.patch_chain_bytes ?? 0)));
  // Bars stop short of the right edge, where each row's verdict is written.
  const x = (v: number) => left + (v / max) * (width - left - 150);
  const rows: Html[] = [];
  clients.forEach((c, i) => {
    const y = 20 + i * rowH;
    const chain = c.patch_chain_bytes;
    const label = c.from_version;
    const method = c.method ?? "none";
    rows.push(html`<text x="${left - 8}" y="${y + 17}" text-anchor="end" class="axis">from ${label}</text>`);
    if (c.method === null) {
      rows.push(html`<text x="${width - 4}" y="${y + 17}" text-anchor="end" class="note" data-from="${label}" data-method="${method}">nothing newer on ${c.channel}</text>`);
      return;
    }
    const to = c.to_version ?? "";
    rows.push(html`<rect class="bar full${c.method === "full" ? " chosen" : ""}" x="${left}" y="${y + 2}" width="${x(c.full_bytes) - left}" height="12"><title>full archive of ${to}: ${bytes(c.full_bytes)}</title></rect>`);
    if (chain !== null) {
      rows.push(html`<rect class="bar patch${c.method === "patch" ? " chosen" : ""}" x="${left}" y="${y + 16}" width="${Math.max(2, x(chain) - left)}" height="12"><title>patch chain ${bytes(chain)}</title></rect>`);
    }
    const lx = x(c.patch_limit_bytes);
    rows.push(html`<line class="limit" data-from="${label}" x1="${lx}" x2="${lx}" y1="${y}" y2="${y + 30}"><title>patches are used up to ${bytes(c.patch_limit_bytes)}</title></line>`);
    // A pulled release's clients go back: the one downgrade, signed.
    const stop = c.rollback
      ? " (rollback: pulled)"
      : c.stops_first_at !== null
        ? " (required)"
        : c.to_rollout !== null
          ? ` (${c.to_rollout}% rollout)`
          : "";
    rows.push(html`<text x="${width - 4}" y="${y + 17}" text-anchor="end" class="note" data-from="${label}" data-method="${method}" data-to="${to}">→ ${to}${stop}: ${method} ${bytes(c.bytes)}</text>`);
  });
  const legend = html`<text class="limit-label" x="${left}" y="${height - 4}">| patch limit: above it the client downloads the archive</text>`;
  return html`<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="max-width:${width}px" role="img" aria-label="What clients download">${rows}${legend}</svg>`;
}

/** A timeline from now to the furthest expiry (log scale, so a day and a
 *  year both read), one marker per role, coloured by the engine's
 *  severity like the table. */
export function expiryTimeline(roles: RoleStatus[]): Html {
  const width = 560;
  const left = 20;
  const right = width - 20;
  const day = 86400;
  const maxDays = Math.max(2, ...roles.map((r) => r.expires_in_secs / day));
  const pos = (secs: number) => {
    const d = Math.max(0, secs / day);
    return left + (Math.log1p(d) / Math.log1p(maxDays)) * (right - left);
  };
  const ticks = [0, 1, 7, 30, 365].filter((d) => d <= maxDays);
  const out: Html[] = [];
  out.push(html`<line class="axis-line" x1="${left}" x2="${right}" y1="40" y2="40"/>`);
  for (const d of ticks) {
    const x = pos(d * day);
    out.push(html`<line class="tick" x1="${x}" x2="${x}" y1="36" y2="44"/><text class="axis" x="${x}" y="58" text-anchor="middle">${d === 0 ? "now" : `${d}d`}</text>`);
  }
  roles.forEach((r, i) => {
    const x = pos(r.expires_in_secs);
    const cls = r.severity;
    const y = 12 + (i % 2) * 12;
    out.push(html`<circle class="marker ${cls}" data-role="${r.role}" cx="${x}" cy="40" r="5"/><text class="axis" x="${x}" y="${y}" text-anchor="middle">${r.role}</text>`);
  });
  return html`<svg class="timeline" viewBox="0 0 ${width} 64" width="${width}" height="64" style="max-width:${width}px" role="img" aria-label="Expiry timeline">${out}</svg>`;
}

/** What the new bundle is made of, compared with the latest release. */
export interface BundleChange {
  unchangedBytes: number;
  changedBytes: number;
  addedBytes: number;
}

/** One stacked bar: bytes unchanged, changed and added (only the last two cost patch bytes). */
export function bundleChangeBar(c: BundleChange): Html | "" {
  const total = c.unchangedBytes + c.changedBytes + c.addedBytes;
  if (total === 0) return "";
  const width = 560;
  const parts: [string, string, number][] = [
    ["unchanged", "unchanged", c.unchangedBytes],
    ["changed", "changed", c.changedBytes],
    ["added", "added", c.addedBytes],
  ];
  let x = 0;
  const rects: Html[] = [];
  const legend: Html[] = [];
  parts.forEach(([cls, label, v], i) => {
    // A sliver stays visible: a 40 KB change in a 500 MB bundle is the point.
    const w = v === 0 ? 0 : Math.max(3, (v / total) * width);
    rects.push(html`<rect class="seg ${cls}" x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="16" data-bytes="${v}"><title>${label} ${bytes(v)}</title></rect>`);
    legend.push(html`<text x="${i * 190}" y="34" class="axis"><tspan class="key ${cls}">■</tspan> ${label} ${bytes(v)}</text>`);
    x += w;
  });
  return html`<svg class="bundle-bar" viewBox="0 0 ${width + 10} 40" width="${width + 10}" height="40" style="max-width:${width + 10}px" role="img" aria-label="bundle bytes unchanged, changed and added">${rects}${legend}</svg>`;
}

/** The key to the downloads chart, in words. */
export function chartLegend(): Html {
  return html`<div class="legend"><span><i class="key-full"></i>full archive</span>
    <span><i class="key-patch"></i>patch chain</span>
    <span>lighter bar: not chosen</span>
    <span><i class="key-limit"></i>patch limit (0.8 × the archive): a longer chain downloads the archive instead</span></div>`;
}
