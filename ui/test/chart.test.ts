import { bundleChangeBar, downloadsChart, expiryTimeline, type ClientDownload } from "../src/chart";

const client = (from: string, method: "patch" | "full", chain: number | null, total: number): ClientDownload => ({
  from_version: from,
  method,
  files: [],
  bytes: total,
  patch_chain_bytes: chain,
  stops_first_at: null,
});

test("one row per older release, the chosen method marked, the 0.8 rule drawn", () => {
  const svg = downloadsChart([client("1.0", "patch", 300, 300), client("1.1", "full", 900, 1000)], 1000);
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  expect(doc.querySelectorAll("text.note")).toHaveLength(2);
  expect(doc.querySelector('text.note[data-from="1.0"]')?.getAttribute("data-method")).toBe("patch");
  expect(doc.querySelector('text.note[data-from="1.1"]')?.textContent).toBe("full 1000 B");
  expect(doc.querySelectorAll("rect.chosen")).toHaveLength(2);
  const limit = doc.querySelector("line.limit");
  expect(limit).not.toBeNull();
  // The limit line sits at 0.8 of the archive bar's length.
  const full = doc.querySelector("rect.bar.full") as Element;
  const start = Number(full.getAttribute("x"));
  const end = start + Number(full.getAttribute("width"));
  expect(Number(limit?.getAttribute("x1"))).toBeCloseTo(start + 0.8 * (end - start), 5);
});

test("first release has no chart", () => {
  expect(downloadsChart([], 5000)).toContain("first release");
});

test("version labels are escaped", () => {
  expect(downloadsChart([client("<b>", "full", null, 10)], 10)).toContain("&lt;b&gt;");
});

test("expiry timeline: one marker per role, nearer expiries further left, colours by urgency", () => {
  const svg = expiryTimeline([
    { role: "root", secondsLeft: 365 * 86400, periodDays: 365 },
    { role: "timestamp", secondsLeft: 3600, periodDays: 1 },
    { role: "targets", secondsLeft: -10, periodDays: 30 },
  ]);
  const doc = new DOMParser().parseFromString(svg, "image/svg+xml");
  const cx = (role: string) => Number(doc.querySelector(`circle[data-role="${role}"]`)?.getAttribute("cx"));
  expect(cx("timestamp")).toBeLessThan(cx("root"));
  expect(cx("targets")).toBeLessThanOrEqual(cx("timestamp"));
  expect(doc.querySelector('circle[data-role="timestamp"]')?.getAttribute("class")).toContain("warn");
  expect(doc.querySelector('circle[data-role="targets"]')?.getAttribute("class")).toContain("expired");
  expect(doc.querySelector('circle[data-role="root"]')?.getAttribute("class")).toContain("ok");
});

test("bundle change bar shows unchanged, changed and added bytes, keeping small changes visible", () => {
  const svg = bundleChangeBar({ unchangedBytes: 500_000_000, changedBytes: 40_000, addedBytes: 0 });
  expect(svg).toContain('class="seg unchanged"');
  expect(svg).toContain('data-bytes="40000"');
  const changed = /class="seg changed" x="[\d.]+" y="0" width="([\d.]+)"/.exec(svg);
  expect(Number(changed?.[1])).toBeGreaterThanOrEqual(3);
  expect(/class="seg added"[^>]*width="0.0"/.test(svg)).toBe(true);
  expect(bundleChangeBar({ unchangedBytes: 0, changedBytes: 0, addedBytes: 0 })).toBe("");
});
