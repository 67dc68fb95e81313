import { authApi } from '../api/devportal.ts';
import { navigate } from '../router.ts';
import { can, signInHref, signedOut, user } from '../session.ts';
import { branding } from './branding.ts';
import { h, mount } from './dom.ts';

const root = (): HTMLElement => document.getElementById('app') as HTMLElement;

function navLink(href: string, text: string): HTMLElement {
  const current = location.hash === href || location.hash.startsWith(`${href}/`);
  return h('a', { href, ...(current ? { 'aria-current': 'page' } : {}) }, text);
}

/** The portal's logo (a data: URL, see the branding API) and name, linking to the landing page. */
function brandLink(): HTMLElement {
  const b = branding();
  return h(
    'a',
    { class: 'brand', href: '#/', id: 'brand' },
    b.logo === null ? null : h('img', { src: b.logo, alt: '', class: 'logo' }),
    b.portalName,
  );
}

/** The page frame: brand, the sections the user's scopes open, the account menu, then the content. */
export function layout(title: string, ...content: Array<Node | string | null>): void {
  const me = user();
  const nav =
    me === null
      ? [navLink('#/catalog', 'Catalog')]
      : [
          navLink('#/catalog', 'Catalog'),
          can('apps:manage') ? navLink('#/applications', 'Applications') : null,
          can('apps:manage') ? navLink('#/usage', 'Usage') : null,
          can('api:view') ? navLink('#/publisher', 'Publisher') : null,
          can('admin:users') || can('admin:policies') || can('admin:audit') ? navLink('#/admin', 'Admin') : null,
        ];
  const account =
    me === null
      ? h('span', { class: 'user' }, h('a', { href: signInHref(), id: 'signin-link' }, 'Sign in'))
      : h(
          'span',
          { class: 'user' },
          h('a', { href: '#/account' }, me.user.email),
          ' ',
          h(
            'button',
            {
              class: 'link',
              id: 'logout',
              onclick: () =>
                void authApi.logout().finally(() => {
                  signedOut();
                  navigate('#/signin');
                }),
            },
            'Sign out',
          ),
        );
  mount(
    root(),
    h(
      'a',
      { class: 'skip', href: '#main', onclick: (e: Event) => (e.preventDefault(), document.getElementById('main')?.focus()) },
      'Skip to content',
    ),
    h('div', { class: 'progress', 'aria-hidden': 'true' }),
    h('header', {}, brandLink(), h('nav', { 'aria-label': 'Main' }, ...nav), account),
    h('main', { id: 'main', tabindex: '-1' }, h('h1', {}, title), ...content),
  );
}
