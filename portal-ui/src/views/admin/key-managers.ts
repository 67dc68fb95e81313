import { adminApi } from '../../api/admin.ts';
import type { KeyManager } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { confirmButton, empty, field, onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';
import { registrationCell } from './key-manager-registration.ts';

/**
 * External key managers (WSO2's third-party key managers): identity providers whose access tokens
 * the gateways accept for the APIs that choose them, registered by their discovery URL.
 */
export async function keyManagersTab(): Promise<HTMLElement> {
  const { list } = await adminApi.keyManagers();
  return h(
    'div',
    { class: 'stack' },
    list.length === 0
      ? empty('No external key managers: gateways accept only Turnpike’s own tokens and API keys. Register an OpenID Provider below.')
      : h(
          'table',
          { id: 'key-managers' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Name'),
              h('th', {}, 'Issuer'),
              h('th', {}, 'Audience'),
              h('th', {}, 'Tokens'),
              h('th', {}, 'Environments'),
              h('th', {}, 'Client registration'),
              h('th', {}, ''),
            ),
          ),
          h('tbody', {}, ...list.map(row)),
        ),
    form(),
  );
}

function row(k: KeyManager): HTMLElement {
  const out = h('div', {});
  const remove = confirmButton(
    'Remove',
    { class: 'danger small', 'data-action': 'delete-key-manager' },
    out,
    {
      consequence: `Tokens of ${k.displayName} are refused by every API from the next snapshot on, and every client mapped to it is unmapped.`,
      confirm: `Remove ${k.displayName}`,
    },
    async () => {
      await adminApi.deleteKeyManager(k.id);
      await reloadAdmin();
    },
  );
  const tokens = [
    k.jwksUri === null ? null : 'JWT (JWKS)',
    k.introspectionEndpoint !== null && k.hasIntrospectionSecret ? 'opaque (introspection)' : null,
  ]
    .filter((x) => x !== null)
    .join(', ');
  return h(
    'tr',
    { 'data-key-manager': k.name },
    h('td', { 'data-label': 'Name' }, h('strong', {}, k.displayName), h('div', { class: 'muted' }, k.name)),
    h('td', { 'data-label': 'Issuer' }, h('code', {}, k.issuer)),
    h('td', { 'data-label': 'Audience' }, h('code', {}, k.audience)),
    h('td', { 'data-label': 'Tokens' }, tokens),
    h('td', { 'data-label': 'Environments' }, k.environments.length === 0 ? 'all' : k.environments.join(', ')),
    h('td', { 'data-label': 'Client registration' }, registrationCell(k)),
    h('td', {}, remove, out),
  );
}

function form(): HTMLElement {
  const name = h('input', { required: true, placeholder: 'corporate-idp', 'data-pointer': '/name' });
  const displayName = h('input', { required: true, placeholder: 'Corporate IdP', 'data-pointer': '/displayName' });
  const discoveryUrl = h('input', {
    required: true,
    type: 'url',
    placeholder: 'https://idp.example.com/.well-known/openid-configuration',
    'data-pointer': '/discoveryUrl',
  });
  const audience = h('input', { required: true, placeholder: 'https://api.example.com', 'data-pointer': '/audience' });
  const clientClaim = h('input', { value: 'client_id', 'data-pointer': '/claimMappings/clientId' });
  const scopeClaim = h('input', { value: 'scope', 'data-pointer': '/claimMappings/scopes' });
  const userClaim = h('input', { value: 'sub', 'data-pointer': '/claimMappings/user' });
  const environments = h('input', { placeholder: 'production, internal (blank: all)', 'data-pointer': '/environments' });
  const introspectionId = h('input', {
    placeholder: 'Client ID (optional)',
    'data-pointer': '/introspection/clientId',
    autocomplete: 'off',
  });
  const introspectionSecret = h('input', {
    type: 'password',
    placeholder: 'Client secret',
    'data-pointer': '/introspection/clientSecret',
    autocomplete: 'off',
  });
  const submit = h('button', { type: 'submit' }, 'Register key manager');
  const out = h('div', { 'aria-live': 'polite' });
  const el = h(
    'form',
    { class: 'card', id: 'key-manager-form' },
    h('h2', {}, 'Register an external key manager'),
    h('div', { class: 'columns' }, field('Name', name), field('Display name', displayName)),
    field(
      'Discovery URL',
      discoveryUrl,
      'OpenID Connect discovery or RFC 8414 metadata: issuer, JWKS, token and introspection endpoints are read from it.',
    ),
    field('Audience', audience, 'The aud its access tokens carry for these APIs.'),
    h(
      'div',
      { class: 'columns' },
      field('Client id claim', clientClaim),
      field('Scopes claim', scopeClaim),
      field('User claim', userClaim),
    ),
    field('Environments', environments),
    h(
      'div',
      { class: 'columns' },
      field('Introspection client (opaque tokens)', introspectionId),
      field('Introspection secret', introspectionSecret),
    ),
    submit,
    out,
  );
  onSubmit(el, submit, out, async () => {
    const envs = environments.value
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== '');
    await adminApi.createKeyManager({
      name: name.value.trim(),
      displayName: displayName.value.trim(),
      discoveryUrl: discoveryUrl.value.trim(),
      audience: audience.value.trim(),
      claimMappings: { clientId: clientClaim.value.trim(), scopes: scopeClaim.value.trim(), user: userClaim.value.trim() },
      environments: envs,
      introspection:
        introspectionId.value.trim() === '' ? null : { clientId: introspectionId.value.trim(), clientSecret: introspectionSecret.value },
    });
    await reloadAdmin();
  });
  return el;
}
