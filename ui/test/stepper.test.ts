import { stepper } from "../src/stepper";

function states(markup: string): Record<string, string> {
  const box = document.createElement("div");
  box.innerHTML = markup;
  const out: Record<string, string> = {};
  box.querySelectorAll("li").forEach((li) => (out[li.dataset.step ?? ""] = li.dataset.state ?? ""));
  return out;
}

describe("stepper", () => {
  it("marks the steps before the current one done and the rest to do", () => {
    expect(states(String(stepper("sign")))).toEqual({ bundle: "done", preview: "done", sign: "current", upload: "todo", check: "todo" });
    expect(states(String(stepper("bundle")))).toEqual({ bundle: "current", preview: "todo", sign: "todo", upload: "todo", check: "todo" });
  });

  it("says why the current step waits, escaped", () => {
    const box = document.createElement("div");
    box.innerHTML = String(stepper("sign", "<b>2 keys</b> not here"));
    const current = box.querySelector('[aria-current="step"]');
    expect(current?.textContent).toContain("(<b>2 keys</b> not here)");
    expect(box.querySelectorAll("b").length).toBe(0);
  });
});
