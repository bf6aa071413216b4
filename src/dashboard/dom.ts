/**
 * Building the page's elements. Text always goes in as text nodes (never as HTML), so nothing a deployment
 * contains (a file name, an agent's prompt) can inject markup or script.
 */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | boolean | number | undefined | ((event: Event) => void)>;

export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(key.replace(/^on/, ""), value);
    else if (value === true) el.setAttribute(key, "");
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`the page lacks #${id}`);
  return el as T;
}

export function replaceChildren(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** 2026-12-01 21:56:24 (local), with the ISO time as a tooltip. */
export function timeEl(iso: string): HTMLElement {
  const d = new Date(iso);
  const pad = (n: number): string => String(n).padStart(2, "0");
  const text = Number.isNaN(d.getTime())
    ? iso
    : `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  return h("time", { datetime: iso, title: iso }, text);
}

/** The first 12 hex digits, the whole checksum as a tooltip. */
export function checksumEl(checksum: string): HTMLElement {
  return h("code", { class: "checksum", title: checksum }, checksum.slice(0, 12));
}

export function countsEl(c: { added: number; modified: number; deleted: number }): HTMLElement {
  return h(
    "span",
    { class: "counts" },
    h("span", { class: "add", title: "added" }, `+${c.added}`),
    " ",
    h("span", { class: "mod", title: "modified" }, `~${c.modified}`),
    " ",
    h("span", { class: "del", title: "deleted" }, `-${c.deleted}`),
  );
}

/** Closes a dialog from any of its [data-close] buttons or a click on its backdrop. */
export function wireDialog(dialog: HTMLDialogElement): void {
  for (const b of dialog.querySelectorAll("[data-close]")) b.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => {
    if (e.target === dialog) dialog.close();
  });
}
