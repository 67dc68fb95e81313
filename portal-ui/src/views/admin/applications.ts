import { adminApi } from '../../api/admin.ts';
import type { AdminApplication } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h, mount } from '../../components/dom.ts';
import { empty, errorBox } from '../../components/feedback.ts';

/**
 * Every developer's applications, searchable, with each client's grant types and two switches: the
 * resource-owner password grant (off for every client until an admin turns it on for one that
 * cannot do better), and introspection of any token (a resource server; otherwise a client learns
 * only about its own tokens).
 */
export async function applicationsTab(): Promise<HTMLElement> {
  const search = h('input', {
    type: 'search',
    id: 'admin-app-search',
    placeholder: 'Application name or owner email',
    'aria-label': 'Search applications',
  });
  const out = h('div', { id: 'admin-app-list', 'aria-live': 'polite' });
  // Only the latest search is shown: an earlier one answering after it must not replace its rows
  // (a switch flipped on a row about to be replaced would lose its confirmation). The list says
  // which search it shows (`data-query`) and is `aria-busy` while one is on its way.
  let latest = 0;
  const load = async () => {
    const mine = ++latest;
    const query = search.value.trim();
    out.setAttribute('aria-busy', 'true');
    try {
      const { list } = await adminApi.applications(query);
      if (mine !== latest) return;
      mount(
        out,
        list.length === 0
          ? empty(
              query === ''
                ? 'No applications yet: developers create them in the portal under Applications.'
                : 'No application matches; try part of its name or its owner’s email.',
            )
          : h(
              'table',
              {},
              h(
                'thead',
                {},
                h(
                  'tr',
                  {},
                  h('th', {}, 'Application'),
                  h('th', {}, 'Owner'),
                  h('th', {}, 'Status'),
                  h('th', {}, 'Clients and their permissions'),
                ),
              ),
              h('tbody', {}, ...list.map(row)),
            ),
      );
    } catch (err) {
      if (mine !== latest) return;
      mount(out, errorBox(err));
    } finally {
      if (mine === latest) {
        out.dataset.query = query;
        out.removeAttribute('aria-busy');
      }
    }
  };
  const form = h('form', { class: 'inline', role: 'search' }, search, h('button', { type: 'submit' }, 'Search'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    void load();
  });
  await load();
  return h(
    'div',
    {},
    h(
      'p',
      { class: 'hint' },
      'The password grant lets a client send a user’s password to the token endpoint. Turn it on only for a trusted first-party client that cannot use the authorization code flow.',
    ),
    h(
      'p',
      { class: 'hint' },
      'A resource server may introspect any application’s tokens (RFC 7662); every other client is told only about its own.',
    ),
    form,
    out,
  );
}

function row(a: AdminApplication): HTMLElement {
  return h(
    'tr',
    { 'data-admin-app': a.id },
    h('td', { 'data-label': 'Application' }, h('strong', {}, a.name), h('div', { class: 'muted' }, a.id)),
    h('td', { 'data-label': 'Owner' }, a.owner),
    h('td', { 'data-label': 'Status' }, badge(a.status)),
    h(
      'td',
      { 'data-label': 'Clients and their permissions' },
      a.keys.length === 0
        ? h('span', { class: 'muted' }, 'No keys generated yet')
        : h('ul', { class: 'plain' }, ...a.keys.map((k) => client(a, k))),
    ),
  );
}

function client(a: AdminApplication, k: AdminApplication['keys'][number]): HTMLElement {
  const status = h('span', { 'aria-live': 'polite' });
  const grants = h('span', { class: 'muted' }, k.grantTypes.join(', '));
  const box = h('input', { type: 'checkbox', 'data-password-grant': k.keyType, checked: k.grantTypes.includes('password') });
  box.addEventListener('change', () => {
    box.disabled = true;
    void adminApi
      .passwordGrant(a.id, k.keyType, { enabled: box.checked })
      .then(
        (r) => {
          grants.textContent = r.grantTypes.join(', ');
          mount(status, h('span', { class: 'ok' }, box.checked ? ' Password grant on' : ' Password grant off'));
        },
        (err: unknown) => {
          box.checked = !box.checked;
          mount(status, errorBox(err));
        },
      )
      .finally(() => (box.disabled = false));
  });
  const rs = h('input', { type: 'checkbox', 'data-introspection': k.keyType, checked: k.mayIntrospect });
  rs.addEventListener('change', () => {
    rs.disabled = true;
    void adminApi
      .introspection(a.id, k.keyType, { enabled: rs.checked })
      .then(
        (r) =>
          mount(status, h('span', { class: 'ok' }, r.mayIntrospect ? ' May introspect any token' : ' Introspects only its own tokens')),
        (err: unknown) => {
          rs.checked = !rs.checked;
          mount(status, errorBox(err));
        },
      )
      .finally(() => (rs.disabled = false));
  });
  return h(
    'li',
    { 'data-key-type': k.keyType },
    h('strong', {}, k.keyType),
    ' ',
    h('code', {}, k.consumerKey),
    h('div', {}, grants),
    h('label', { class: 'check' }, box, ' Allow the password grant'),
    h('label', { class: 'check' }, rs, ' Resource server: may introspect any token'),
    status,
  );
}
