import { registrationTokenApi, type RegistrationToken } from '../../api/registration-tokens.ts';
import { h, mount } from '../../components/dom.ts';
import { confirmButton, empty, field, onSubmit } from '../../components/feedback.ts';
import { render as reloadAdmin } from '../../router.ts';

/**
 * Initial access tokens for Turnpike's own dynamic client registration (RFC 7591 at
 * /oauth2/register): issued for a developer, who owns what they register, limited in uses and time
 * (decision 0052). The token is shown once.
 */
export async function registrationTokensTab(): Promise<HTMLElement> {
  const { list } = await registrationTokenApi.list();
  return h(
    'div',
    { class: 'stack' },
    h(
      'p',
      { class: 'hint' },
      'Developers register clients at /oauth2/register with their own management token. For software that has no portal account (a partner’s), issue an initial access token here: what it registers belongs to the developer you name.',
    ),
    list.length === 0
      ? empty('No initial access tokens issued.')
      : h(
          'table',
          { id: 'registration-tokens' },
          h(
            'thead',
            {},
            h('tr', {}, h('th', {}, 'Token'), h('th', {}, 'Developer'), h('th', {}, 'Uses'), h('th', {}, 'Expires'), h('th', {}, '')),
          ),
          h('tbody', {}, ...list.map(row)),
        ),
    form(),
  );
}

function row(t: RegistrationToken): HTMLElement {
  const out = h('div', {});
  const revoke = confirmButton(
    'Revoke',
    { class: 'danger small', 'data-action': 'revoke-registration-token' },
    out,
    { consequence: 'It registers no more clients; those it registered stay.', confirm: 'Revoke token' },
    async () => {
      await registrationTokenApi.revoke(t.id);
      await reloadAdmin();
    },
  );
  return h(
    'tr',
    { 'data-registration-token': t.prefix },
    h('td', { 'data-label': 'Token' }, h('code', {}, `${t.prefix}…`)),
    h('td', { 'data-label': 'Developer' }, t.ownerEmail),
    h('td', { 'data-label': 'Uses' }, `${t.uses} of ${t.maxUses}`),
    h('td', { 'data-label': 'Expires' }, new Date(t.expiresAt).toLocaleString()),
    h('td', {}, revoke, out),
  );
}

function form(): HTMLElement {
  const owner = h('input', { id: 'iat-owner', type: 'email', required: true, 'data-pointer': '/ownerEmail' });
  const uses = h('input', { id: 'iat-uses', type: 'number', min: '1', max: '1000', value: '1', 'data-pointer': '/maxUses' });
  const hours = h('input', { id: 'iat-hours', type: 'number', min: '1', max: '2160', value: '24', 'data-pointer': '/expiresInHours' });
  const submit = h('button', { type: 'submit', id: 'iat-issue' }, 'Issue token');
  const out = h('div', { 'aria-live': 'polite' });
  const el = h(
    'form',
    { class: 'card', id: 'registration-token-form' },
    h('h2', {}, 'Issue an initial access token'),
    field('Developer’s email', owner),
    h('div', { class: 'columns' }, field('Registrations allowed', uses), field('Valid for (hours)', hours)),
    submit,
    out,
  );
  onSubmit(el, submit, out, async () => {
    const made = await registrationTokenApi.create({
      ownerEmail: owner.value.trim(),
      maxUses: Number(uses.value),
      expiresInHours: Number(hours.value),
    });
    mount(
      out,
      h(
        'div',
        { class: 'ok', role: 'status' },
        h('p', {}, 'Copy it now: it is not shown again. Send it as Authorization: Bearer to /oauth2/register.'),
        h('code', { id: 'iat-token' }, made.token),
      ),
    );
  });
  return el;
}
