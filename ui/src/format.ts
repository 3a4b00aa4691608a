// Formatting helpers: pure functions, unit-tested.
export { escapeHtml } from "./html";

/** Binary units with one decimal from 1 KiB up: "9.7 KiB", "3.0 MiB". */
export function bytes(n: number): string {
  const units = ["KiB", "MiB", "GiB", "TiB"];
  if (n < 1024) return `${n} B`;
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}

export function duration(secs: number): string {
  const s = Math.abs(secs);
  if (s >= 2 * 86400) return `${Math.floor(s / 86400)} days`;
  if (s >= 2 * 3600) return `${Math.floor(s / 3600)} hours`;
  return count(Math.floor(s / 60), "minute");
}

/** "in 3 days", "5 hours ago", "just now". */
export function relative(secs: number): string {
  if (Math.abs(secs) < 60) return "just now";
  return secs > 0 ? `in ${duration(secs)}` : `${duration(secs)} ago`;
}

/** An RFC 3339 time as a person reads it: local date and time, and how
 *  far from now ("2 Dec 2026, 14:05 (in 3 days)"). Unreadable input is
 *  shown as given. */
export function when(iso: string, now: number = Date.now(), locale?: string): string {
  // RFC 3339, or the engine's "2026-12-02 11:53 UTC" for file times.
  const t = Date.parse(iso.replace(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}(?::\d{2})?) UTC$/, "$1T$2Z"));
  if (Number.isNaN(t)) return iso;
  const local = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(t));
  return `${local} (${relative(Math.round((t - now) / 1000))})`;
}

/** The engine's sentences with their RFC 3339 times made readable
 *  ("expires 2026-12-03T12:33:30Z" → "expires 3 Dec 2026, 13:33 (in 23 hours)"). */
export function localizeTimes(text: string, now: number = Date.now(), locale?: string): string {
  return text.replace(/\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})/g, (t) => when(t, now, locale));
}

/** "1 file" / "3 files". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** Signatures against what is needed, without "2 of 1": more than enough
 *  says how many are needed instead. */
export function signatures(have: number, need: number): string {
  return have > need ? `${count(have, "signature")} (${need} needed)` : `${have} of ${need} signatures`;
}
