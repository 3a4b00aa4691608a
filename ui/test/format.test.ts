import { bytes, count, duration, escapeHtml, localizeTimes, relative, signatures, when } from "../src/format";

test("bytes are human sized", () => {
  expect(bytes(512)).toBe("512 B");
  expect(bytes(20 * 1024)).toBe("20.0 KiB");
  expect(bytes(55 * 1024 * 1024)).toBe("55.0 MiB");
  // From 1 KiB up, one decimal in the largest unit that stays above 1.
  expect(bytes(9921)).toBe("9.7 KiB");
  expect(bytes(3072 * 1024)).toBe("3.0 MiB");
  expect(bytes(1023)).toBe("1023 B");
  expect(bytes(3 * 1024 ** 3)).toBe("3.0 GiB");
});

test("durations pick a sensible unit", () => {
  expect(duration(3 * 86400)).toBe("3 days");
  expect(duration(5 * 3600)).toBe("5 hours");
  expect(duration(-600)).toBe("10 minutes");
  expect(duration(-90)).toBe("1 minute");
});

test("html is escaped", () => {
  expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
});

test("counts agree with their noun", () => {
  expect(count(1, "change")).toBe("1 change");
  expect(count(3, "change")).toBe("3 changes");
});

test("signatures never read as 2 of 1", () => {
  expect(signatures(1, 2)).toBe("1 of 2 signatures");
  expect(signatures(1, 1)).toBe("1 of 1 signatures");
  expect(signatures(2, 1)).toBe("2 signatures (1 needed)");
});

test("times are local with how far from now, never raw ISO", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");
  expect(relative(3 * 86400)).toBe("in 3 days");
  expect(relative(-5 * 3600)).toBe("5 hours ago");
  expect(relative(20)).toBe("just now");
  const shown = when("2026-12-05T12:00:00Z", now, "en-GB");
  expect(shown).toMatch(/\(in 3 days\)$/);
  expect(shown).not.toContain("T12:00:00Z");
  expect(shown).toContain("2026");
  expect(when("not a time", now)).toBe("not a time");
  expect(when("2026-12-02 11:00 UTC", now, "en-GB")).toMatch(/\(1 hours ago\)$|\(60 minutes ago\)$/);
});

test("times inside the engine's sentences are made readable", () => {
  const now = Date.parse("2026-12-02T12:00:00Z");
  const out = localizeTimes("Expiry changes from 2027-12-02T12:00:00Z to 2027-12-03T12:00:00Z.", now, "en-GB");
  expect(out).not.toMatch(/\d{4}-\d{2}-\d{2}T/);
  expect(out).toMatch(/^Expiry changes from .*2027.* \(in 365 days\) to .*2027.* \(in 366 days\)\.$/);
  expect(localizeTimes("no times here")).toBe("no times here");
});
