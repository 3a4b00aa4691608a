// Small DOM helpers the screens share: lookups, actions wired with busy
// state and feedback, path fields with a Browse button.
import { api } from "./api";
import { runAction } from "./feedback";
import { html, type Html } from "./html";

export function app(): HTMLElement {
  return document.getElementById("app") as HTMLElement;
}

export function $(sel: string): HTMLElement {
  const el = app().querySelector(sel) ?? document.querySelector(sel);
  if (!el) throw new Error(`missing ${sel}`);
  return el as HTMLElement;
}

export function input(sel: string): HTMLInputElement {
  return $(sel) as HTMLInputElement;
}

export function val(sel: string): string {
  return input(sel).value;
}

export function button(sel: string): HTMLButtonElement {
  return $(sel) as HTMLButtonElement;
}

/** Wires `sel` to run `f` with busy state and feedback beside it. */
export function on(sel: string, f: (b: HTMLButtonElement) => Promise<void>): void {
  const b = button(sel);
  b.addEventListener("click", () => void runAction(b, () => f(b)));
}

/** Wires every button matching `sel` inside `root`. */
export function onEach(sel: string, f: (b: HTMLButtonElement) => Promise<void>, root: ParentNode = app()): void {
  root.querySelectorAll<HTMLButtonElement>(sel).forEach((b) => b.addEventListener("click", () => void runAction(b, () => f(b))));
}

/** A path the action needs: asked for in words, never sent empty. */
export function required(sel: string, what: string): string {
  const v = val(sel).trim();
  if (!v) throw { code: "missing_input", message: `Choose ${what} first.` };
  return v;
}

export function pathField(id: string, label: string, folder: boolean, value = ""): Html {
  return html`<label>${label}<span class="row"><input id="${id}" type="text" value="${value}" spellcheck="false"/>
    <button class="browse" id="browse-${id}" data-target="${id}" data-folder="${folder}">Browse…</button></span></label>`;
}

/** Wires every Browse… button of the page once (calling again after
 *  adding fields wires only the new ones). */
export function wireBrowse(): void {
  app()
    .querySelectorAll<HTMLButtonElement>("button.browse:not([data-wired])")
    .forEach((b) => {
      b.dataset.wired = "1";
      b.addEventListener("click", () =>
        runAction(b, async () => {
          const picked = await api.pickPath(b.dataset.folder === "true");
          if (picked) {
            const field = input(`#${b.dataset.target}`);
            field.value = picked;
            field.dispatchEvent(new Event("change"));
          }
        }),
      );
    });
}

/** Brings a field into view and puts the cursor in it, marked for a moment. */
export function focusField(sel: string): void {
  const field = input(sel);
  field.scrollIntoView({ block: "center" });
  field.focus();
  field.classList.add("attention");
  setTimeout(() => field.classList.remove("attention"), 2000);
}
