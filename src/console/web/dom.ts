/**
 * Building the page, always as text: every string becomes a text node or an
 * attribute value, never markup, so log text that looks like HTML stays text.
 * (Nothing in the console sets innerHTML; lint refuses it.)
 */

export type Child = Node | string | number | null | undefined | false;
type Handler = (event: Event) => void;
export type Props = Record<string, string | number | boolean | null | undefined | Handler>;

function apply(node: Element, props: Props | null | undefined): void {
  for (const [name, value] of Object.entries(props ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
}

function append(node: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: attributes (`on…` for listeners) and children (strings as text). */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  apply(node, props);
  append(node, children);
  return node;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  apply(node, props);
  append(node, children);
  return node;
}

/**
 * Replaces the container's content; the element that had the focus (found
 * again by its data-key) gets it back, so live updates never lose a
 * keyboard user's place.
 */
export function replaceContent(container: Element, ...children: Child[]): void {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && container.contains(active) ? active.dataset.key : undefined;
  const fragment = document.createDocumentFragment();
  append(fragment, children);
  container.replaceChildren(fragment);
  if (key !== undefined) focusKey(container, key);
}

export function focusKey(container: ParentNode, key: string): void {
  container.querySelector<HTMLElement>(`[data-key="${CSS.escape(key)}"]`)?.focus();
}

/** A <time> showing `text`, with the full ISO time as its machine value and tooltip. */
export function timeEl(ms: number, text: string): HTMLTimeElement {
  const iso = new Date(ms).toISOString();
  return h('time', { datetime: iso, title: iso }, text);
}

/** A level as a badge, coloured by its class (which keeps only the letters of the text). */
export function levelBadge(level: string): HTMLSpanElement {
  return h('span', { class: `level level-${level.replace(/[^a-z]/g, '')}` }, level);
}
