import { adminApi } from '../../api/admin.ts';
import { ProblemError } from '../../api/client.ts';
import type { TrustedIssuer } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { actionButton, empty, field, onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

/**
 * Identity providers whose signed JWTs the token endpoint exchanges for access tokens (the JWT-bearer
 * grant, RFC 7523). Their public keys are pasted here as a JWKS; nothing is fetched.
 */
export async function trustedIssuersTab(): Promise<HTMLElement> {
  const { list } = await adminApi.trustedIssuers();
  return h(
    'div',
    { class: 'stack' },
    list.length === 0
      ? empty(
          'No trusted issuers: no external JWT can be exchanged for an access token. Add an identity provider and its public keys below to allow the JWT-bearer grant.',
        )
      : h(
          'table',
          { id: 'trusted-issuers' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Issuer (iss)'), h('th', {}, 'Keys'), h('th', {}, ''))),
          h('tbody', {}, ...list.map(row)),
        ),
    issuerForm(),
  );
}

function row(t: TrustedIssuer): HTMLElement {
  const out = h('div', {});
  const remove = actionButton('Stop trusting', { class: 'danger small', 'data-action': 'delete-issuer' }, out, async () => {
    await adminApi.deleteTrustedIssuer(t.name);
    await reloadAdmin();
  });
  return h(
    'tr',
    { 'data-issuer': t.name },
    h('td', { 'data-label': 'Name' }, h('strong', {}, t.name)),
    h('td', { 'data-label': 'Issuer (iss)' }, h('code', {}, t.issuer)),
    h(
      'td',
      { 'data-label': 'Keys' },
      h('ul', { class: 'plain' }, ...t.jwks.keys.map((k) => h('li', {}, h('code', {}, k.kid), ` ${k.alg} (${k.kty})`))),
    ),
    h('td', {}, remove, out),
  );
}

function issuerForm(): HTMLElement {
  const name = h('input', { required: true, placeholder: 'corporate-idp', 'data-pointer': '/name' });
  const issuer = h('input', { required: true, placeholder: 'https://idp.example.com', 'data-pointer': '/issuer' });
  const jwks = h('textarea', {
    rows: '8',
    required: true,
    placeholder: '{ "keys": [ { "kty": "EC", "crv": "P-256", "kid": "key-1", "alg": "ES256", "x": "…", "y": "…" } ] }',
    'data-pointer': '/jwks',
    spellcheck: 'false',
  });
  const submit = h('button', { type: 'submit' }, 'Trust this issuer');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'issuer-form' },
    h('h2', {}, 'Trust an identity provider'),
    h('div', { class: 'columns' }, field('Name', name), field('Issuer (the iss claim)', issuer)),
    field('Public keys (JWKS JSON)', jwks, 'Public keys only, each with kid and alg. Saving under an existing name replaces its keys.'),
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    let keys: unknown;
    try {
      keys = JSON.parse(jwks.value);
    } catch {
      throw new ProblemError({
        type: 'about:blank',
        title: 'The keys are not JSON',
        status: 400,
        errors: [{ pointer: '/jwks', detail: 'Paste the JWKS as JSON: { "keys": [ … ] }' }],
      });
    }
    await adminApi.putTrustedIssuer({ name: name.value.trim(), issuer: issuer.value.trim(), jwks: keys as TrustedIssuer['jwks'] });
    await reloadAdmin();
  });
  return form;
}
