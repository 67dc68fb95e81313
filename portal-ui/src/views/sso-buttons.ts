import { ssoApi } from '../api/sso.ts';
import { h, mount } from '../components/dom.ts';

/**
 * "Sign in with <provider>" for each provider the admin enabled: plain links, since the sign-in is
 * a round of top-level navigations (portal → control plane → provider → back). `returnTo` is the
 * router path to land on; the control plane accepts only such paths.
 */
export function ssoButtons(returnTo: string): HTMLElement {
  const box = h('div', { class: 'stack', id: 'sso-providers' });
  void ssoApi
    .providers()
    .then(({ list }) => {
      if (list.length === 0) return;
      mount(
        box,
        h('p', { class: 'muted' }, 'Or sign in with your organisation’s account:'),
        ...list.map((p) =>
          h(
            'a',
            { class: 'button secondary', href: `${p.startUrl}?returnTo=${encodeURIComponent(returnTo)}`, 'data-sso': p.name },
            `Sign in with ${p.displayName}`,
          ),
        ),
      );
    })
    .catch(() => undefined);
  return box;
}
