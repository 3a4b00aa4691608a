// The consequence of taking releases back, in words, from the engine's
// preview (which releases go, who is left ahead or stranded, what the
// rest download): shown before the person confirms.
import type { RemovalPreview } from "./api";
import { bytes, count, escapeHtml as h } from "./format";

export function consequenceHtml(p: RemovalPreview): string {
  const lines: string[] = [];
  lines.push(
    `Removes ${p.removed.map(h).join(", ")} (${count(p.files.length, "file")}, ${bytes(p.freed_bytes)}).` +
      (p.latest_after ? ` The newest release becomes ${h(p.latest_after)}.` : ""),
  );
  if (p.ahead) {
    lines.push(`Clients that installed ${h(p.ahead)} keep it and get nothing until a release newer than ${h(p.ahead)} is published.`);
  }
  for (const s of p.stranded) {
    lines.push(`Clients on ${h(s.version)} will download the full ${bytes(s.bytes)} of ${h(s.to_version)}.`);
  }
  for (const c of p.clients_after) {
    if (c.method === null || c.to_version === null) continue;
    const how = c.method === "patch" ? `a ${bytes(c.bytes)} patch` : `the full ${bytes(c.bytes)}`;
    lines.push(`Clients on ${h(c.from_version)} will download ${how} to ${h(c.to_version)}.`);
  }
  lines.push("Clients see this after the next upload.");
  return `<ul class="consequence">${lines.map((l) => `<li>${l}</li>`).join("")}</ul>`;
}
