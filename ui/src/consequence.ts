// The consequence of taking releases back, in words, from the engine's
// preview (which releases go, who is left ahead or stranded, what the
// rest download): shown before the person confirms.
import type { RemovalPreview } from "./api";
import { bytes, count } from "./format";
import { html, type Html } from "./html";

export function consequenceHtml(p: RemovalPreview): Html {
  const lines: Html[] = [];
  lines.push(
    html`Removes ${p.removed.join(", ")} (${count(p.files.length, "file")}, ${bytes(p.freed_bytes)}).${
      p.latest_after ? ` The newest release becomes ${p.latest_after}.` : ""
    }`,
  );
  if (p.ahead) {
    lines.push(html`Clients that installed ${p.ahead} keep it and get nothing until a release newer than ${p.ahead} is published.`);
  }
  for (const s of p.stranded) {
    lines.push(html`Clients on ${s.version} will download the full ${bytes(s.bytes)} of ${s.to_version}.`);
  }
  for (const c of p.clients_after) {
    if (c.method === null || c.to_version === null) continue;
    const how = c.method === "patch" ? `a ${bytes(c.bytes)} patch` : `the full ${bytes(c.bytes)}`;
    lines.push(html`Clients on ${c.from_version} will download ${how} to ${c.to_version}.`);
  }
  lines.push(html`Clients see this after the next upload.`);
  return html`<ul class="consequence">${lines.map((l) => html`<li>${l}</li>`)}</ul>`;
}
