// The one way the app writes markup: a tagged template that escapes every
// value it is given, unless that value is itself markup made by `html`.
// Lists of markup join without commas; null, undefined and false leave
// nothing, so `${cond && html`…`}` reads naturally.

/** Markup produced by `html` (and only by it): safe to insert as is. */
export class Html {
  constructor(readonly html: string) {}
  toString(): string {
    return this.html;
  }
}

export type Value = Html | string | number | boolean | null | undefined | readonly Value[];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);
}

function part(v: Value): string {
  if (v === null || v === undefined || v === false) return "";
  if (v instanceof Html) return v.html;
  if (Array.isArray(v)) return v.map(part).join("");
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: Value[]): Html {
  let out = strings[0];
  values.forEach((v, i) => {
    out += part(v) + strings[i + 1];
  });
  return new Html(out);
}

/** Markup joined with a separator (", " between names, say). */
export function join(items: readonly Value[], sep: string): Html {
  return new Html(items.map(part).filter((s) => s !== "").join(escapeHtml(sep)));
}

/** Replaces `el`'s content with `content`. */
export function render(el: Element, content: Html): void {
  el.innerHTML = content.html;
}
