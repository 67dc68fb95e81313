import { errorBox } from './components/feedback.ts';
import { layout } from './components/layout.ts';
import { currentUser, signInHref } from './session.ts';

/** A view renders the page for its route; `params` are the `:name` segments of the pattern. */
export type View = (params: Record<string, string>) => Promise<void> | void;

interface Route {
  pattern: RegExp;
  names: string[];
  view: View;
  public: boolean;
}

const routes: Route[] = [];
let fallback: View = () => {};

/** `#/apis/:apiId/try` style patterns. */
export function route(path: string, view: View, options: { public?: boolean } = {}): void {
  const names: string[] = [];
  const source = path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  routes.push({ pattern: new RegExp(`^${source}$`), names, view, public: options.public === true });
}

export function otherwise(view: View): void {
  fallback = view;
}

export function navigate(hash: string): void {
  if (location.hash === hash) void render();
  else location.hash = hash;
}

let lastPath: string | null = null;

export async function render(): Promise<void> {
  // `?…` after the path carries a page's options (the sign-in page's `next`), not part of the route.
  const path = (location.hash.replace(/^#/, '') || '/').split('?')[0] ?? '/';
  try {
    const signedIn = (await currentUser()) !== null;
    for (const r of routes) {
      const m = r.pattern.exec(path);
      if (m === null) continue;
      // What needs an account asks for it, then comes back here.
      if (!signedIn && !r.public) return navigate(signInHref(path));
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1] ?? '')]));
      const from = lastPath;
      lastPath = path;
      await r.view(params);
      // A new page starts at its top: hash navigation keeps the window's scroll position, so a long
      // page left half-way down would open the next one (a reference, say) mid-document.
      if (from !== path) window.scrollTo(0, 0);
      focusMain();
      return;
    }
    if (!signedIn) return navigate(signInHref(path));
    await fallback({});
  } catch (err) {
    layout('Something went wrong', errorBox(err));
  }
}

/** After navigation, keyboard and screen-reader users start at the page's heading. */
function focusMain(): void {
  const heading = document.querySelector<HTMLElement>('main h1');
  if (heading !== null && document.activeElement === document.body) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

export function start(): void {
  window.addEventListener('hashchange', () => void render());
  void render();
}
