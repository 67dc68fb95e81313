import { adminApi } from '../../api/admin.ts';
import { ssoApi, type SsoProvider, type SsoProviderInput } from '../../api/sso.ts';
import { h } from '../../components/dom.ts';
import { confirmButton, empty, field, onSubmit } from '../../components/feedback.ts';
import { ROLE_LABEL } from '../../components/roles.ts';
import { render as reloadAdmin } from '../../router.ts';

type Role = SsoProvider['defaultRole'] & string;
const ROLES: Role[] = ['developer', 'publisher', 'admin'];

/**
 * Portal sign-in with an external key manager's OpenID Provider (decision 0051): the portal's
 * client at the provider, where the roles are in its tokens and which values grant which role.
 */
export async function ssoTab(): Promise<HTMLElement> {
  const [{ list }, { list: keyManagers }] = await Promise.all([ssoApi.adminList(), adminApi.keyManagers()]);
  return h(
    'div',
    { class: 'stack' },
    list.length === 0
      ? empty('Nobody signs in with an external provider: every portal user has a local account. Set one up below.')
      : h(
          'table',
          { id: 'sso-providers-admin' },
          h(
            'thead',
            {},
            h('tr', {}, h('th', {}, 'Provider'), h('th', {}, 'Client'), h('th', {}, 'Roles'), h('th', {}, 'Redirect URI'), h('th', {}, '')),
          ),
          h('tbody', {}, ...list.map(row)),
        ),
    keyManagers.length === 0
      ? empty('Register the OpenID Provider as a key manager first (Key managers tab).')
      : form(keyManagers.map((k) => ({ id: k.id, name: k.displayName }))),
  );
}

const mappingText = (p: SsoProvider) => p.roleMapping.map((r) => `${r.value} = ${ROLE_LABEL[r.role]}`).join('\n');

function row(p: SsoProvider): HTMLElement {
  const out = h('div', {});
  const remove = confirmButton(
    'Remove',
    { class: 'danger small', 'data-action': 'delete-sso' },
    out,
    { consequence: `The sign-in page stops offering ${p.displayName}; users it created keep their accounts.`, confirm: 'Remove sign-in' },
    async () => {
      await ssoApi.remove(p.keyManagerId);
      await reloadAdmin();
    },
  );
  return h(
    'tr',
    { 'data-sso-provider': p.keyManager },
    h('td', { 'data-label': 'Provider' }, h('strong', {}, p.displayName), h('div', { class: 'muted' }, p.enabled ? 'enabled' : 'disabled')),
    h('td', { 'data-label': 'Client' }, h('code', {}, p.clientId), h('div', { class: 'muted' }, p.scopes)),
    h(
      'td',
      { 'data-label': 'Roles' },
      h('code', {}, p.rolesClaim),
      h('pre', {}, mappingText(p) || '(no rules)'),
      h('div', { class: 'muted' }, p.defaultRole === null ? 'Unmapped users are refused' : `Otherwise: ${ROLE_LABEL[p.defaultRole]}`),
      p.linkByEmail ? h('div', { class: 'muted' }, 'Joins local accounts by verified email') : null,
    ),
    h('td', { 'data-label': 'Redirect URI' }, h('code', {}, p.redirectUri)),
    h('td', {}, remove, out),
  );
}

/** "groups-value = role" per line; role by its value or label. */
function parseMapping(text: string): NonNullable<SsoProviderInput['roleMapping']> {
  const byLabel = new Map<string, Role>(
    ROLES.flatMap((r) => [[r, r] as [string, Role], [ROLE_LABEL[r].toLowerCase(), r] as [string, Role]]),
  );
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .map((line) => {
      const at = line.lastIndexOf('=');
      const value = line.slice(0, at).trim();
      const role = byLabel.get(
        line
          .slice(at + 1)
          .trim()
          .toLowerCase(),
      );
      // An unknown role goes to the server as is, which names the line's field in its answer.
      return { value, role: role ?? (line.slice(at + 1).trim() as Role) };
    });
}

function form(keyManagers: Array<{ id: string; name: string }>): HTMLElement {
  const keyManager = h('select', { id: 'sso-key-manager' }, ...keyManagers.map((k) => h('option', { value: k.id }, k.name)));
  const clientId = h('input', { id: 'sso-client-id', required: true, autocomplete: 'off', 'data-pointer': '/clientId' });
  const clientSecret = h('input', {
    id: 'sso-client-secret',
    type: 'password',
    autocomplete: 'off',
    placeholder: 'Kept when left blank on a change',
    'data-pointer': '/clientSecret',
  });
  const scopes = h('input', { id: 'sso-scopes', value: 'openid email profile', 'data-pointer': '/scopes' });
  const rolesClaim = h('input', { id: 'sso-roles-claim', value: 'groups', 'data-pointer': '/rolesClaim' });
  const mapping = h('textarea', {
    id: 'sso-mapping',
    rows: '4',
    placeholder: 'api-publishers = publisher\nplatform-admins = admin',
    'data-pointer': '/roleMapping',
  });
  const defaultRole = h(
    'select',
    { id: 'sso-default-role', 'data-pointer': '/defaultRole' },
    h('option', { value: '' }, 'None: refuse the sign-in'),
    ...ROLES.map((r) => h('option', { value: r }, ROLE_LABEL[r])),
  );
  const linkByEmail = h('input', { id: 'sso-link', type: 'checkbox', 'data-pointer': '/linkByEmail' });
  const enabled = h('input', { id: 'sso-enabled', type: 'checkbox', checked: true, 'data-pointer': '/enabled' });
  const submit = h('button', { type: 'submit', id: 'sso-save' }, 'Save sign-in');
  const out = h('div', { 'aria-live': 'polite' });
  const el = h(
    'form',
    { class: 'card', id: 'sso-form' },
    h('h2', {}, 'Portal sign-in with a key manager'),
    field(
      'Key manager',
      keyManager,
      'Its OpenID Provider signs users in; register the redirect URI shown above (…/api/auth/sso/<name>/callback) there.',
    ),
    h('div', { class: 'columns' }, field('Client id', clientId), field('Client secret', clientSecret)),
    field('Scopes', scopes),
    field('Roles claim', rolesClaim, 'A claim name or a dotted path, e.g. groups or realm_access.roles.'),
    field('Claim value = role, one per line', mapping),
    field('Users matching no rule', defaultRole),
    h('div', {}, h('label', {}, linkByEmail, ' Join a local account of the same email when the provider has verified it')),
    h('div', {}, h('label', {}, enabled, ' Offer this sign-in')),
    submit,
    out,
  );
  onSubmit(el, submit, out, async () => {
    await ssoApi.put(keyManager.value, {
      clientId: clientId.value.trim(),
      ...(clientSecret.value === '' ? {} : { clientSecret: clientSecret.value }),
      scopes: scopes.value.trim(),
      rolesClaim: rolesClaim.value.trim(),
      roleMapping: parseMapping(mapping.value),
      defaultRole: defaultRole.value === '' ? null : (defaultRole.value as Role),
      linkByEmail: linkByEmail.checked,
      enabled: enabled.checked,
    });
    await reloadAdmin();
  });
  return el;
}
