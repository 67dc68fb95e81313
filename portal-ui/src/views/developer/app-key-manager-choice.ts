import { keyManagerChoiceApi, type KeyManagerChoice } from '../../api/key-manager-choice.ts';
import type { Application } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { onSubmit } from '../../components/feedback.ts';

/**
 * Where this application's tokens come from: Turnpike's own Key Manager (the keys above) or an
 * external one that its subscribed APIs accept. At a provider that allows it, the developer
 * registers a new client there (RFC 7591) and it is mapped at once; its secret is shown once.
 * Shown only when an admin has registered an external key manager.
 */
export async function keyManagerChoiceSection(app: Application, refresh: () => void): Promise<HTMLElement | null> {
  const { list } = await keyManagerChoiceApi.choices(app.id);
  if (list.length <= 1) return null;
  return h(
    'section',
    { 'data-section': 'key-manager-choice' },
    h('h3', {}, 'Key managers'),
    h(
      'p',
      { class: 'hint' },
      'Tokens from Turnpike’s own Key Manager work for every API. An external key manager’s tokens work for the APIs that accept it: map a client you have, or register a new one there.',
    ),
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, h('th', {}, 'Key manager'), h('th', {}, 'Accepted by your subscribed APIs'), h('th', {}, ''))),
      h('tbody', {}, ...list.map((k) => row(app, k, refresh))),
    ),
  );
}

function row(app: Application, k: KeyManagerChoice, refresh: () => void): HTMLElement {
  const accepted = k.acceptedBy.length === 0 ? h('span', { class: 'muted' }, 'none yet') : k.acceptedBy.join(', ');
  return h(
    'tr',
    { 'data-key-manager-choice': k.name ?? 'turnpike' },
    h('td', { 'data-label': 'Key manager' }, h('strong', {}, k.displayName)),
    h('td', { 'data-label': 'Accepted by' }, accepted),
    h(
      'td',
      {},
      k.name === null
        ? h('span', { class: 'muted' }, 'Keys and API keys above')
        : k.canRegister
          ? registerForm(app, k.name, refresh)
          : h('span', { class: 'muted' }, k.canMap ? 'Map an existing client below' : 'No client registration here'),
    ),
  );
}

function registerForm(app: Application, keyManager: string, refresh: () => void): HTMLElement {
  const keyType = h(
    'select',
    { 'aria-label': 'Key type', 'data-pointer': '/keyType' },
    h('option', { value: 'PRODUCTION' }, 'Production'),
    h('option', { value: 'SANDBOX' }, 'Sandbox'),
  );
  const submit = h('button', { type: 'submit', class: 'secondary small' }, 'Register a client');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h('form', { class: 'inline', 'data-form': 'register-client' }, keyType, submit, out);
  onSubmit(form, submit, out, async () => {
    const made = await keyManagerChoiceApi.register(app.id, {
      keyManager,
      keyType: keyType.value === 'SANDBOX' ? 'SANDBOX' : 'PRODUCTION',
    });
    mount(
      out,
      h(
        'div',
        { class: 'ok', role: 'status', 'data-registered': made.clientId },
        h('p', {}, 'Registered and mapped. Copy the secret now: it is not shown again.'),
        h('dl', {}, h('dt', {}, 'Client ID'), h('dd', {}, h('code', { 'data-field': 'client-id' }, made.clientId))),
        h('dl', {}, h('dt', {}, 'Client secret'), h('dd', {}, h('code', { 'data-field': 'client-secret' }, made.clientSecret))),
        h('button', { type: 'button', class: 'secondary small', onclick: refresh }, 'Done'),
      ),
    );
  });
  return form;
}
