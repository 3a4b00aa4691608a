// The colour theme: the system's (prefers-color-scheme) unless the person
// chose light or dark in Settings; the choice is kept in localStorage.
export type Theme = "system" | "light" | "dark";

const KEY = "tufa-theme";

export function storedTheme(): Theme {
  let v: string | null = null;
  try {
    v = localStorage.getItem(KEY);
  } catch {
    // Storage refused (private mode): the system's theme.
  }
  return v === "light" || v === "dark" ? v : "system";
}

/** Applies `t` to the page (`data-theme` on <html>; the stylesheet does the rest). */
export function applyTheme(t: Theme = storedTheme()): void {
  const root = document.documentElement;
  if (t === "system") delete root.dataset.theme;
  else root.dataset.theme = t;
}

export function setTheme(t: Theme): void {
  try {
    if (t === "system") localStorage.removeItem(KEY);
    else localStorage.setItem(KEY, t);
  } catch {
    // Not kept, but applied for this session.
  }
  applyTheme(t);
}
