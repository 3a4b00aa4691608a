import { progressText, requestHtml, uploadSummary, verifySummary } from "../src/components";

test("an upload and a check of the same copy count release files alike", () => {
  const up = uploadSummary({
    uploaded: ["targets/a-1.0.tar.gz", "targets/a-1.1.tar.gz", "targets/a-1.1.patch", "metadata/1.root.json", "metadata/targets.json", "metadata/snapshot.json", "metadata/timestamp.json"],
    skipped: [],
    deleted: [],
    not_listed: [],
    bytes: 3 * 1024,
  });
  expect(up).toBe("Uploaded 7 files (3 release files, 4 metadata files), 3.0 KiB; 0 already there; 0 removed.");
  const check = verifySummary({
    url: "/srv/www",
    root_version: 1,
    versions: [["targets", 2], ["snapshot", 2], ["timestamp", 2]],
    targets_checked: 3,
    bytes_checked: 3 * 1024,
    problems: [],
    warnings: [],
    trust: "",
  });
  expect(check).toBe("OK: clients can update from this repository (checked 3 release files, 3.0 KiB, and the metadata: root v1, targets v2, snapshot v2, timestamp v2)");
});

test("a request with more signatures than needed never reads '2 of 1', and its text is escaped", () => {
  const out = requestHtml({
    path: "/p/root-request-v2.json",
    app: "a",
    base_version: 1,
    status: {
      summary: ["Adds key '<b>x</b>' to targets."],
      fingerprint: "ABCD",
      old_root: { signatures: 2, threshold: 1, missing: [] },
      new_root: { signatures: 1, threshold: 2, missing: ["root-2"] },
      invalid_signatures: [],
      complete: false,
    },
  }).html;
  expect(out).toContain("1 of 2 signatures from the new root; missing: root-2, 2 signatures (1 needed) from the old");
  expect(out).not.toContain("2 of 1");
  expect(out).toContain("&lt;b&gt;x&lt;/b&gt;");
});

test("upload and check progress name the file, its place and the bytes", () => {
  const base = { label: "uploading", done: 3 * 1024, total: 12 * 1024, finished: false };
  expect(progressText({ ...base, file: "targets/a-1.1.tar.gz", files_done: 2, files_total: 7 })).toBe(
    "uploading targets/a-1.1.tar.gz (3 of 7) — 3.0 KiB / 12.0 KiB",
  );
  expect(progressText({ ...base, done: 12 * 1024, finished: true, file: null, files_done: 7, files_total: 7 })).toBe(
    "uploading 7 of 7 files — 12.0 KiB / 12.0 KiB",
  );
  // Phases of one stream (packing, patch) keep their short form.
  expect(progressText({ label: "computing patch", done: 0, total: null, finished: false, files_total: 0 })).toBe("computing patch…");
});
