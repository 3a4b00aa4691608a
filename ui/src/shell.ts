// The sidebar: the open project with its health, the sections with the
// current one marked.
import { api } from "./api";
import { health } from "./feedback";
import { html, render } from "./html";
import { go, type Section } from "./router";
import { current } from "./state";

const SECTIONS: [Section, string][] = [
  ["overview", "Overview"],
  ["releases", "Releases"],
  ["publish", "Publish"],
  ["keys", "Keys"],
  ["ceremony", "Ceremony"],
  ["settings", "Settings"],
];

/** Redraws the sidebar with `section` marked. */
export function setNav(section: Section): void {
  const nav = document.getElementById("nav") as HTMLElement;
  const card = document.getElementById("project-card") as HTMLElement;
  const items: [Section, string][] = current ? [...SECTIONS] : [];
  const extra: [Section, string][] = [
    ["start", current ? "Open another project" : "Start"],
    ["custodian", "I hold a key"],
    ["about", "About Tufa"],
  ];
  const btn = ([id, label]: [Section, string]) =>
    html`<button id="nav-${id}" aria-current="${id === section ? "page" : "false"}">${label}</button>`;
  render(nav, html`${items.map(btn)}<div class="group">More</div>${extra.map(btn)}`);
  for (const [id] of [...items, ...extra]) document.getElementById(`nav-${id}`)?.addEventListener("click", () => void go(id));
  if (!current) {
    card.hidden = true;
    return;
  }
  card.hidden = false;
  const status = current;
  const draw = (notUploaded: number | null) => {
    const hl = health(status.roles, status.staged.length, notUploaded);
    render(
      card,
      html`<span class="name" id="project-name">${status.app}</span>
        <button id="health" class="badge ${hl.level}" data-level="${hl.level}" title="${hl.detail}">${hl.label}</button>`,
    );
    document.getElementById("health")?.addEventListener("click", () => void go(hl.section));
  };
  draw(null);
  // Local changes not uploaded count too: asked after the page is drawn.
  void api
    .publishedState()
    .then((p) => {
      if (current === status) draw(p.not_uploaded.length + p.to_remove.length);
    })
    .catch(() => undefined);
}
