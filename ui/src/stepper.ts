// The release pipeline as one line of steps, shown above the New release
// screen and its result: where the release stands and what comes next.
import { html, type Html } from "./html";

export type Step = "bundle" | "preview" | "sign" | "upload" | "check";

const STEPS: [Step, string][] = [
  ["bundle", "Bundle and version"],
  ["preview", "Checks and preview"],
  ["sign", "Sign"],
  ["upload", "Upload"],
  ["check", "Check the published copy"],
];

/** The steps with `current` marked; the ones before it are done. */
export function stepper(current: Step, note: string | null = null): Html {
  const at = STEPS.findIndex(([s]) => s === current);
  return html`<ol class="stepper" id="release-steps" aria-label="Release steps">${STEPS.map(([s, label], i) => {
    const state = i < at ? "done" : i === at ? "current" : "todo";
    return html`<li data-step="${s}" data-state="${state}" ${i === at && html`aria-current="step"`}><span class="dot">${i < at ? "✓" : String(i + 1)}</span> ${label}${
      i === at && note ? html` <span class="muted">(${note})</span>` : ""
    }</li>`;
  })}</ol>`;
}
