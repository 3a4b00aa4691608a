import { html, join } from "../src/html";

test("values are escaped, markup made by html is not", () => {
  const name = `<img src=x onerror="alert(1)">`;
  expect(html`<b title="${name}">${name}</b>`.html).toBe(
    "<b title=\"&lt;img src=x onerror=&quot;alert(1)&quot;&gt;\">&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</b>",
  );
  expect(html`<p>${html`<i>${"a&b"}</i>`}</p>`.html).toBe("<p><i>a&amp;b</i></p>");
});

test("lists join, and null, undefined and false leave nothing", () => {
  expect(html`<ul>${["a", "<b>"].map((x) => html`<li>${x}</li>`)}</ul>`.html).toBe("<ul><li>a</li><li>&lt;b&gt;</li></ul>");
  expect(html`${null}${undefined}${false}${0}`.html).toBe("0");
  expect(join(["a", html`<i>b</i>`, ""], ", ").html).toBe("a, <i>b</i>");
});
