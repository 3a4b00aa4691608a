// Feedback next to the action that caused it: a button is disabled while
// its action runs (no double publish), an error appears under it in words
// with the engine's remedy as a button when the app can act on it, and a
// cancel reads as a neutral note, not an error.
import { isAppError, type Remedy, type RoleStatus } from "./api";
import { html, render, type Html } from "./html";
import type { Section } from "./router";

/** An error as the app shows it. */
export interface ErrorView {
  /** The person cancelled: a neutral note. */
  cancelled: boolean;
  code: string;
  message: string;
  remedy: Remedy | null;
  remedyLabel: string | null;
}

/** Operating-system error codes say nothing to a person; the words before them do. */
export function plainMessage(message: string): string {
  return message
    .replace(/\s*\(os error \d+\)/g, "")
    .replace(/^(reading|writing|opening|creating|removing) : /, "$1 an empty path: ");
}

export function describeError(e: unknown): ErrorView {
  if (isAppError(e)) {
    return {
      cancelled: e.code === "cancelled",
      code: e.code,
      message: e.code === "cancelled" ? "Cancelled: nothing was changed." : plainMessage(e.message),
      remedy: e.remedy ?? null,
      remedyLabel: e.remedy_label ?? null,
    };
  }
  return { cancelled: false, code: "error", message: plainMessage(String(e)), remedy: null, remedyLabel: null };
}

export type Health = "ok" | "warn" | "expired";

export interface HealthView {
  level: Health;
  label: string;
  /** The longer sentence (the badge's tooltip). */
  detail: string;
  /** Where the remedy is. */
  section: Section;
}

/** The project's health: the worst of the engine's severities, staged
 *  work, and local changes the published copy does not have yet (null:
 *  not known yet). */
export function health(roles: Pick<RoleStatus, "severity">[], staged: number, notUploaded: number | null = null): HealthView {
  if (roles.some((r) => r.severity === "expired"))
    return { level: "expired", label: "Expired", detail: "Metadata has expired: clients refuse to update until it is re-signed and uploaded.", section: "overview" };
  if (roles.some((r) => r.severity === "warn"))
    return { level: "warn", label: "Expiring soon", detail: "Metadata expires soon: re-sign it and upload.", section: "overview" };
  if (staged > 0) return { level: "warn", label: "Waiting for signatures", detail: "A change is staged until enough keys sign it.", section: "overview" };
  if (notUploaded !== null && notUploaded > 0)
    return {
      level: "warn",
      label: "Not uploaded",
      detail: `${notUploaded === 1 ? "1 file" : `${notUploaded} files`} changed here since the last upload: clients do not see them yet.`,
      section: "publish",
    };
  return { level: "ok", label: "Healthy", detail: notUploaded === null ? "Metadata is valid." : "Metadata is valid and the published copy is up to date.", section: "overview" };
}

/** Actions the app can take for a remedy; the rest are shown as words. */
export type RemedyHandlers = Partial<Record<Remedy["kind"], (r: Remedy) => Promise<void> | void>>;

let handlers: RemedyHandlers = {};

/** What the app does for each remedy (set once by the screens). */
export function setRemedyHandlers(h: RemedyHandlers): void {
  handlers = h;
}

/** The row an action's feedback goes under: its form row or the button itself. */
function anchorOf(btn: HTMLElement): HTMLElement {
  return (btn.closest(".actions, .row, label") as HTMLElement | null) ?? btn;
}

function feedbackFor(btn: HTMLElement): HTMLElement {
  const anchor = anchorOf(btn);
  const next = anchor.nextElementSibling as HTMLElement | null;
  if (next && next.classList.contains("feedback") && next.dataset.for === btn.id) return next;
  const box = document.createElement("div");
  box.className = "feedback";
  box.dataset.for = btn.id;
  box.setAttribute("role", "status");
  anchor.insertAdjacentElement("afterend", box);
  return box;
}

export function clearFeedback(btn: HTMLElement): void {
  const next = anchorOf(btn).nextElementSibling as HTMLElement | null;
  if (next && next.classList.contains("feedback") && next.dataset.for === btn.id) next.remove();
}

/** Shows `e` under `btn`, with the remedy as a button when the app can act. */
export function showErrorAt(btn: HTMLElement, e: unknown): void {
  const v = describeError(e);
  const box = feedbackFor(btn);
  box.className = `feedback ${v.cancelled ? "note" : "error"}`;
  box.dataset.code = v.code;
  box.setAttribute("role", v.cancelled ? "status" : "alert");
  const act = v.remedy ? handlers[v.remedy.kind] : undefined;
  render(
    box,
    html`<span class="message">${v.message}</span>${
      v.remedy && v.remedyLabel
        ? act
          ? html` <button class="remedy" data-kind="${v.remedy.kind}">${v.remedyLabel}</button>`
          : html` <span class="hint">${v.remedyLabel}</span>`
        : ""
    }`,
  );
  const remedy = v.remedy;
  const button = box.querySelector<HTMLButtonElement>("button.remedy");
  if (button && act && remedy) {
    button.addEventListener("click", () => runAction(button, async () => {
      await act(remedy);
      box.remove();
    }));
  }
}

/** Runs `f` for `btn`: disabled while busy, feedback under it. */
export async function runAction(btn: HTMLButtonElement, f: () => Promise<void>): Promise<void> {
  if (btn.disabled) return;
  btn.disabled = true;
  btn.setAttribute("aria-busy", "true");
  // "Pull…" already says more follows: the busy mark would double it.
  if (btn.textContent?.trim().endsWith("…")) btn.dataset.ellipsis = "";
  clearFeedback(btn);
  try {
    await f();
  } catch (e) {
    if (btn.isConnected) showErrorAt(btn, e);
    else showGlobalError(e);
  } finally {
    btn.disabled = false;
    btn.removeAttribute("aria-busy");
  }
}

/** Errors with no button on screen any more (the page changed meanwhile). */
export function showGlobalError(e: unknown): void {
  const box = document.getElementById("error");
  if (!box) return;
  const v = describeError(e);
  box.hidden = false;
  box.dataset.code = v.code;
  box.className = v.cancelled ? "note" : "error";
  box.textContent = v.remedyLabel ? `${v.message} (${v.remedyLabel})` : v.message;
}

/** Asks under `btn` before a destructive or root action; resolves true on confirm. */
export function confirmAt(btn: HTMLElement, message: Html, confirmLabel: string): Promise<boolean> {
  return new Promise((resolve) => {
    const box = feedbackFor(btn);
    box.className = "feedback confirm";
    delete box.dataset.code;
    render(
      box,
      html`<div class="message">${message}</div>
      <div class="actions"><button class="danger confirm-yes">${confirmLabel}</button> <button class="confirm-no">Cancel</button></div>`,
    );
    const done = (yes: boolean) => {
      box.remove();
      resolve(yes);
    };
    box.querySelector(".confirm-yes")?.addEventListener("click", () => done(true));
    box.querySelector(".confirm-no")?.addEventListener("click", () => done(false));
  });
}
