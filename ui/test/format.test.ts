import { bytes, duration, escapeHtml } from "../src/format";

test("bytes are human sized", () => {
  expect(bytes(512)).toBe("512 B");
  expect(bytes(20 * 1024)).toBe("20.0 KiB");
  expect(bytes(55 * 1024 * 1024)).toBe("55.0 MiB");
});

test("durations pick a sensible unit", () => {
  expect(duration(3 * 86400)).toBe("3 days");
  expect(duration(5 * 3600)).toBe("5 hours");
  expect(duration(-600)).toBe("10 minutes");
});

test("html is escaped", () => {
  expect(escapeHtml(`<a href="x">&'`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
});
