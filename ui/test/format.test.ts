import { bytes, count, duration, escapeHtml } from "../src/format";

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
});

test("html is escaped", () => {
  expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
});

test("counts agree with their noun", () => {
  expect(count(1, "change")).toBe("1 change");
  expect(count(3, "change")).toBe("3 changes");
});
