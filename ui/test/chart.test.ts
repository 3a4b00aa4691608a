import type { ClientDownload, RoleStatus } from "../src/api";
import { bundleChangeBar, downloadsChart, expiryTimeline } from "../src/chart";

const client = (from: string, method: "patch" | "full" | null, chain: number | null, total: number, archive = 1000): ClientDownload => ({
  from_version: from,
  channel: "stable",
  to_version: method === null ? null : "2.0",
  method,
  files: [],
  bytes: total,
  full_bytes: method === null ? 0 : archive,
  patch_chain_bytes: chain,
  // The engine's figure for a 1000-byte archive.
  patch_limit_bytes: method === null ? 0 : (archive * 4) / 5,
  stops_first_at: null,
  rollback: false,
  to_rollout: null,
});

test("one row per older release, the engine's choice marked, its patch limit drawn", () => {
  const svg = downloadsChart([client("1.0", "patch", 300, 300), client("1.1", "full", 900, 1000)], 1000);
  const doc = new DOMParser().parseFromString(String(svg), "image/svg+xml");
  expect(doc.querySelectorAll("text.note")).toHaveLength(2);
  expect(doc.querySelector('text.note[data-from="1.0"]')?.getAttribute("data-method")).toBe("patch");
  expect(doc.querySelector('text.note[data-from="1.1"]')?.textContent).toBe("→ 2.0: full 1000 B");
  expect(doc.querySelectorAll("rect.chosen")).toHaveLength(2);
  // The limit mark sits where the engine's patch_limit_bytes falls on the archive bar.
  const limit = doc.querySelector('line.limit[data-from="1.0"]');
  const full = doc.querySelector("rect.bar.full") as Element;
  const start = Number(full.getAttribute("x"));
  const end = start + Number(full.getAttribute("width"));
  expect(Number(limit?.getAttribute("x1"))).toBeCloseTo(start + (800 / 1000) * (end - start), 5);
});

test("the chart shows what the engine decided, even against the bar lengths", () => {
  // A chain under the limit that the engine still did not choose (say, no
  // cached tar): the chart does not second-guess it.
  const svg = downloadsChart([client("1.0", "full", 100, 1000)], 1000);
  const doc = new DOMParser().parseFromString(String(svg), "image/svg+xml");
  expect(doc.querySelector("rect.bar.full")?.getAttribute("class")).toContain("chosen");
  expect(doc.querySelector("rect.bar.patch")?.getAttribute("class")).not.toContain("chosen");
});

test("a required stop and a client with nothing on its channel", () => {
  const stop = { ...client("1.0", "patch", 30, 30), to_version: "1.1", stops_first_at: "1.1" };
  const none = { ...client("1.1b1", null, null, 0), channel: "beta" as const };
  const doc = new DOMParser().parseFromString(String(downloadsChart([stop, none], 100)), "image/svg+xml");
  expect(doc.querySelector('text.note[data-from="1.0"]')?.textContent).toBe("→ 1.1 (required): patch 30 B");
  expect(doc.querySelector('text.note[data-from="1.1b1"]')?.getAttribute("data-method")).toBe("none");
  expect(doc.querySelector('text.note[data-from="1.1b1"]')?.textContent).toBe("nothing newer on beta");
});

test("a pulled release's clients are marked as sent back", () => {
  const back = { ...client("1.2", "full", null, 1000), to_version: "1.0", rollback: true };
  const doc = new DOMParser().parseFromString(String(downloadsChart([back], 1000)), "image/svg+xml");
  expect(doc.querySelector('text.note[data-from="1.2"]')?.textContent).toBe("→ 1.0 (rollback: pulled): full 1000 B");
});

test("a release still rolling out says so on the row of the installs it reaches", () => {
  const rolling = { ...client("1.0", "patch", 30, 30), to_rollout: 25 };
  const doc = new DOMParser().parseFromString(String(downloadsChart([rolling], 1000)), "image/svg+xml");
  expect(doc.querySelector('text.note[data-from="1.0"]')?.textContent).toBe("→ 2.0 (25% rollout): patch 30 B");
});

test("first release has no chart", () => {
  expect(String(downloadsChart([], 5000))).toContain("first release");
});

test("version labels are escaped", () => {
  expect(String(downloadsChart([client("<b>", "full", null, 10)], 10))).toContain("&lt;b&gt;");
});

const role = (name: RoleStatus["role"], secs: number, severity: RoleStatus["severity"]): RoleStatus => ({
  role: name,
  version: 1,
  expires: "",
  expires_in_secs: secs,
  period_days: 1,
  severity,
  signatures: 1,
  threshold: 1,
  warning: null,
  remedy: null,
});

test("expiry timeline: one marker per role, nearer expiries further left, coloured by the engine's severity", () => {
  const svg = expiryTimeline([
    role("root", 365 * 86400, "ok"),
    role("timestamp", 3600, "warn"),
    role("targets", -10, "expired"),
    // The colour is the engine's verdict, not recomputed from the seconds.
    role("snapshot", 300 * 86400, "warn"),
  ]);
  const doc = new DOMParser().parseFromString(String(svg), "image/svg+xml");
  const cx = (r: string) => Number(doc.querySelector(`circle[data-role="${r}"]`)?.getAttribute("cx"));
  expect(cx("timestamp")).toBeLessThan(cx("root"));
  expect(cx("targets")).toBeLessThanOrEqual(cx("timestamp"));
  const cls = (r: string) => doc.querySelector(`circle[data-role="${r}"]`)?.getAttribute("class");
  expect(cls("timestamp")).toContain("warn");
  expect(cls("targets")).toContain("expired");
  expect(cls("root")).toContain("ok");
  expect(cls("snapshot")).toContain("warn");
});

test("bundle change bar shows unchanged, changed and added bytes, keeping small changes visible", () => {
  const svg = String(bundleChangeBar({ unchangedBytes: 500_000_000, changedBytes: 40_000, addedBytes: 0 }));
  expect(svg).toContain('class="seg unchanged"');
  expect(svg).toContain('data-bytes="40000"');
  const changed = /class="seg changed" x="[\d.]+" y="0" width="([\d.]+)"/.exec(svg);
  expect(Number(changed?.[1])).toBeGreaterThanOrEqual(3);
  expect(/class="seg added"[^>]*width="0.0"/.test(svg)).toBe(true);
  expect(bundleChangeBar({ unchangedBytes: 0, changedBytes: 0, addedBytes: 0 })).toBe("");
});
