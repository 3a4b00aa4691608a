import type { Release } from "../src/api";
import { repointedWords, rolloutBadge, shiftWords } from "../src/rollout";

const release = (rollout: Release["rollout"]): Release => ({
  version: "1.1",
  archive: "a-1.1.tar.gz",
  archive_size: 10,
  archive_sha256: "",
  required: false,
  channel: "stable",
  user: null,
  notes: null,
  patch: null,
  rollout,
  rollback_to: undefined,
});

test("a narrowed rollout says how far it reached: those installs still have the release", () => {
  const narrowed = String(rolloutBadge(release({ percent: 25, state: "paused", reached: 100 }), new Set()));
  expect(narrowed).toContain("paused at 25%");
  expect(narrowed).toContain("reached 100%");
  const plain = String(rolloutBadge(release({ percent: 25, state: "rolling" }), new Set()));
  expect(plain).toContain("rolling out 25%");
  expect(plain).not.toContain("reached");
});

test("other installs a change moves, and earlier pulls whose way back moved, in words", () => {
  expect(shiftWords({ from_version: "1.0", buckets: 100, before: "1.1", before_rollback: false, after: null, after_rollback: false, held_by_required: false })).toBe(
    "Installs on 1.0 (100 of 100 buckets) were getting 1.1 and now get no update.",
  );
  expect(shiftWords({ from_version: "1.0", buckets: 40, before: "1.1", before_rollback: false, after: "1.2", after_rollback: false, held_by_required: false })).toBe(
    "Installs on 1.0 (40 of 100 buckets) were getting 1.1 and now get 1.2.",
  );
  expect(shiftWords({ from_version: "1.1", buckets: 75, before: "1.2", before_rollback: false, after: "1.0", after_rollback: true, held_by_required: false })).toBe(
    "Installs on 1.1 (75 of 100 buckets) were getting 1.2 and now go back to 1.0.",
  );
  expect(shiftWords({ from_version: "1.0", buckets: 100, before: "1.1", before_rollback: false, after: null, after_rollback: false, held_by_required: true })).toBe(
    "Installs on 1.0 (100 of 100 buckets) were getting 1.1 and now get no update: a required release they may not skip is held back from them.",
  );
  expect(repointedWords({ version: "1.2", rollback_to: "1.0" })).toBe("1.2, pulled earlier, now sends its clients back to 1.0.");
  expect(repointedWords({ version: "1.2", rollback_to: null })).toBe("1.2, pulled earlier, has no good release left before it: its clients stay on it.");
});
