import type { RemovalPreview } from "../src/api";
import { consequenceHtml } from "../src/consequence";
import { describeError, health, plainMessage } from "../src/feedback";

test("a cancel is a neutral note, an engine error keeps its code and remedy", () => {
  const c = describeError({ code: "cancelled", message: "cancelled" });
  expect(c.cancelled).toBe(true);
  expect(c.message).toBe("Cancelled: nothing was changed.");
  const e = describeError({
    code: "staged_change_pending",
    message: "a change is staged",
    remedy: { kind: "sign_staged" },
    remedy_label: "Sign the staged change",
  });
  expect(e.cancelled).toBe(false);
  expect(e.remedy).toEqual({ kind: "sign_staged" });
  expect(e.remedyLabel).toBe("Sign the staged change");
});

test("operating-system error codes are dropped, an empty path is named", () => {
  expect(plainMessage("reading /x/y: No such file or directory (os error 2)")).toBe("reading /x/y: No such file or directory");
  expect(plainMessage("reading : No such file or directory (os error 2)")).toBe("reading an empty path: No such file or directory");
});

test("health is the worst severity; staged work needs attention", () => {
  expect(health([{ severity: "ok" }, { severity: "ok" }], 0)).toMatchObject({ level: "ok", label: "Healthy" });
  expect(health([{ severity: "ok" }, { severity: "warn" }], 0).level).toBe("warn");
  expect(health([{ severity: "warn" }, { severity: "expired" }], 0)).toMatchObject({ level: "expired", label: "Expired" });
  expect(health([{ severity: "ok" }], 1).label).toBe("Waiting for signatures");
});

test("local changes not uploaded are not healthy, and point to Publish", () => {
  const h = health([{ severity: "ok" }], 0, 3);
  expect(h).toMatchObject({ level: "warn", label: "Not uploaded", section: "publish" });
  expect(h.detail).toContain("3 files");
  expect(health([{ severity: "ok" }], 0, 0).label).toBe("Healthy");
  // Expiry comes first: it breaks clients, a pending upload does not.
  expect(health([{ severity: "expired" }], 0, 3).level).toBe("expired");
});

test("a removal's consequence names who downloads what", () => {
  const html = consequenceHtml({
    removed: ["1.0", "1.1"],
    files: ["a-1.0.tar.gz", "a-1.1.tar.gz", "a-1.1.patch"],
    freed_bytes: 3 * 1024 * 1024,
    latest_after: "1.2",
    ahead: null,
    stranded: [{ version: "1.0", to_version: "1.2", bytes: 27 * 1024 * 1024, share: 100, rollback: false, platform: null }],
    clients_after: [],
    by_stream: [{ platform: null, removed: ["1.0", "1.1"] }],
  });
  expect(html.html).toContain("Removes 1.0, 1.1 (3 files, 3.0 MiB).");
  // A prune is not a removal of the latest: no "newest release becomes".
  expect(html.html).not.toContain("newest release");
  expect(html.html).toContain("Clients on 1.0 will download the full 27.0 MiB of 1.2.");
});

test("a prune over platforms says which platform loses which release", () => {
  const html = consequenceHtml({
    removed: ["1.0", "1.1"],
    files: ["a-1.0.tar.gz", "a-linux-x86_64-1.0.tar.gz", "a-linux-x86_64-1.1.tar.gz"],
    freed_bytes: 3 * 1024 * 1024,
    latest_after: "1.4",
    ahead: null,
    stranded: [{ version: "1.1", to_version: "1.2", bytes: 1024 * 1024, share: 100, rollback: false, platform: "linux-x86_64" }],
    clients_after: [],
    by_stream: [
      { platform: null, removed: ["1.0"] },
      { platform: "linux-x86_64", removed: ["1.0", "1.1"] },
    ],
  });
  expect(html.html).toContain("Removes 1.0 without a platform; 1.0, 1.1 on linux-x86_64 (3 files, 3.0 MiB).");
  expect(html.html).toContain("Clients on 1.1 on linux-x86_64 will download the full 1.0 MiB of 1.2.");
});

test("removing a pulled release says its clients lose the way back", () => {
  const html = consequenceHtml({
    removed: ["1.3"],
    files: ["a-macos-aarch64-1.3.tar.gz"],
    freed_bytes: 1024,
    latest_after: "1.2",
    ahead: "1.3",
    rollback_lost: "1.0",
    stranded: [],
    clients_after: [],
    by_stream: [{ platform: "macos-aarch64", removed: ["1.3"] }],
  });
  expect(html.html).toContain("The newest release on macos-aarch64 becomes 1.2.");
  expect(html.html).toContain("1.3 is pulled: its clients are being sent back to 1.0. Removing it cancels that signed downgrade");
});

test("a staged rollout splits stranded clients, a pulled newest sends its clients back, an emptied platform says where its installs go", () => {
  const split = consequenceHtml({
    removed: ["1.0"],
    files: ["a-1.0.tar.gz"],
    freed_bytes: 1024,
    latest_after: "1.3",
    ahead: null,
    stranded: [
      { version: "1.0", to_version: "1.3", bytes: 3 * 1024 * 1024, share: 25, rollback: false, platform: null },
      { version: "1.0", to_version: "1.2", bytes: 2 * 1024 * 1024, share: 75, rollback: false, platform: null },
    ],
    clients_after: [],
    by_stream: [{ platform: null, removed: ["1.0"] }],
  });
  expect(split.html).toContain("Clients on 1.0 (25% of those installs) will download the full 3.0 MiB of 1.3.");
  expect(split.html).toContain("Clients on 1.0 (75% of those installs) will download the full 2.0 MiB of 1.2.");
  const waiting = consequenceHtml({
    removed: ["1.0"],
    files: ["a-1.0.tar.gz"],
    freed_bytes: 1024,
    latest_after: "1.1",
    ahead: null,
    stranded: [{ version: "1.0", to_version: null, bytes: 0, share: 90, rollback: false, platform: null }],
    clients_after: [],
    by_stream: [{ platform: null, removed: ["1.0"] }],
  });
  expect(waiting.html).toContain("Clients on 1.0 (90% of those installs) get no update: no newer release on their channel is offered to them yet.");
  const back = consequenceHtml({
    removed: ["1.2"],
    files: ["a-1.2.tar.gz"],
    freed_bytes: 1024,
    latest_after: "1.1",
    ahead: "1.2",
    stranded: [],
    clients_after: [
      {
        from_version: "1.1",
        channel: "stable",
        to_version: "1.0",
        method: "full",
        files: ["a-1.0.tar.gz"],
        bytes: 5 * 1024 * 1024,
        full_bytes: 5 * 1024 * 1024,
        patch_chain_bytes: null,
        patch_limit_bytes: 4 * 1024 * 1024,
        stops_first_at: null,
        rollback: true,
        to_rollout: null,
      },
    ],
    by_stream: [{ platform: null, removed: ["1.2"] }],
  });
  expect(back.html).toContain("1.1 is pulled: clients on 1.1 are sent back to 1.0 (the full 5.0 MiB archive).");
  const emptiedPreview: RemovalPreview = {
    removed: ["1.0"],
    files: ["a-linux-x86_64-1.0.tar.gz"],
    freed_bytes: 1024,
    latest_after: null,
    ahead: "1.0",
    platform_fallback: {
      platform: "linux-x86_64",
      shares: [
        { version: "1.0", to_version: "1.4", bytes: 4 * 1024 * 1024, share: 30, rollback: false, platform: null },
        { version: "1.0", to_version: null, bytes: 0, share: 70, rollback: false, platform: null },
      ],
    },
    stranded: [],
    clients_after: [],
    by_stream: [{ platform: "linux-x86_64", removed: ["1.0"] }],
  };
  const emptied = consequenceHtml(emptiedPreview);
  expect(emptied.html).toContain(
    "linux-x86_64 has no release left: its installs that do not set a platform follow the releases without a platform from then on (the next one offered to them, by full archive): 30% take 1.4 (the full 4.0 MiB), 70% get nothing yet.",
  );
  const fellBack = consequenceHtml({
    ...emptiedPreview,
    platform_fallback: {
      platform: "linux-x86_64",
      shares: [{ version: "1.1", to_version: "1.0", bytes: 1024, share: 100, rollback: true, platform: null }],
    },
  });
  expect(fellBack.html).toContain("(the next one offered to them, by full archive): go back to 1.0 (a signed downgrade: 1.1 is pulled there).");
  // Only installs that set the platform keep waiting for a newer one.
  expect(emptied.html).toContain("Installs that set linux-x86_64 as their platform and installed 1.0 keep it");
});

test("clients sent to a release still rolling out are said to be only those it reaches", () => {
  const html = consequenceHtml({
    removed: ["1.3"],
    files: ["a-1.3.tar.gz"],
    freed_bytes: 1024,
    latest_after: "1.2",
    ahead: "1.3",
    stranded: [],
    clients_after: [
      {
        from_version: "1.0",
        channel: "stable",
        to_version: "1.2",
        method: "patch",
        files: ["a-1.1.patch", "a-1.2.patch"],
        bytes: 2048,
        full_bytes: 5 * 1024 * 1024,
        patch_chain_bytes: 2048,
        patch_limit_bytes: 4 * 1024 * 1024,
        stops_first_at: null,
        rollback: false,
        to_rollout: 25,
      },
    ],
    by_stream: [{ platform: null, removed: ["1.3"] }],
  });
  expect(html.html).toContain(
    "Clients on 1.0 will download a 2.0 KiB patch of 1.2 once its rollout reaches them (25% of installs); the others stay or take an earlier release.",
  );
});
