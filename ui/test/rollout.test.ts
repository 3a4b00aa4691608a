import type { Release } from "../src/api";
import { rolloutBadge } from "../src/rollout";

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
