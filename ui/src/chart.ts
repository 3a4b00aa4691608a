// The chart of what clients on each older release download: the patch
// chain next to the full archive, with tufup's 0.8 rule drawn in.
import { bytes, escapeHtml } from "./format";

export interface ClientDownload {
  from_version: string;
  method: "patch" | "full";
  files: string[];
  bytes: number;
  patch_chain_bytes: number | null;
  stops_first_at: string | null;
}

export const PATCH_RATIO_LIMIT = 0.8;

/** SVG bar chart; one row per older release. */
export function downloadsChart(clients: ClientDownload[], archiveSize: number): string {
  if (clients.length === 0) {
    return `<p class="muted">This is the first release: every client downloads the full archive (${bytes(archiveSize)}).</p>`;
  }
  const rowH = 34;
  const left = 90;
  const width = 560;
  const height = clients.length * rowH + 40;
  const max = Math.max(archiveSize, ...clients.map((c) => c.patch_chain_bytes ?? 0));
  // Bars stop short of the right edge, where each row's verdict is written.
  const x = (v: number) => left + (v / max) * (width - left - 150);
  const limitX = x(PATCH_RATIO_LIMIT * archiveSize);
  let rows = "";
  clients.forEach((c, i) => {
    const y = 20 + i * rowH;
    const chain = c.patch_chain_bytes;
    const label = escapeHtml(c.from_version);
    rows += `<text x="${left - 8}" y="${y + 17}" text-anchor="end" class="axis">from ${label}</text>`;
    rows += `<rect class="bar full${c.method === "full" ? " chosen" : ""}" x="${left}" y="${y + 2}" width="${x(archiveSize) - left}" height="12"><title>full archive ${bytes(archiveSize)}</title></rect>`;
    if (chain !== null) {
      rows += `<rect class="bar patch${c.method === "patch" ? " chosen" : ""}" x="${left}" y="${y + 16}" width="${Math.max(2, x(chain) - left)}" height="12"><title>patch chain ${bytes(chain)}</title></rect>`;
    }
    const note = c.method === "patch" ? `patch ${bytes(c.bytes)}` : `full ${bytes(c.bytes)}`;
    rows += `<text x="${width - 4}" y="${y + 17}" text-anchor="end" class="note" data-from="${label}" data-method="${c.method}">${note}</text>`;
  });
  const rule = `<line class="limit" x1="${limitX}" x2="${limitX}" y1="10" y2="${height - 18}"/><text class="limit-label" x="${limitX}" y="${height - 4}" text-anchor="middle">0.8 × archive</text>`;
  return `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="What clients download">${rows}${rule}</svg>`;
}
