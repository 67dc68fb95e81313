/**
 * The portal's only way to put anything on the page: elements with text. No HTML strings are ever
 * parsed, so names, descriptions and tags from API definitions cannot run script.
 */
type Child = Node | string | null | undefined | false;

/** Attributes of `h()`: strings set as is, `true` as an empty attribute, `false` left out, functions as listeners. */
export type Attrs = Record<string, string | boolean | ((e: Event) => void)>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') el.addEventListener(name.replace(/^on/, ''), value);
    else if (typeof value === 'boolean') {
      if (value) el.setAttribute(name, '');
    } else if (name === 'href' && !/^(#|\/|https?:)/.test(value)) continue;
    else el.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) el.append(child);
  return el;
}

export function mount(root: HTMLElement, ...children: Child[]): void {
  root.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}
