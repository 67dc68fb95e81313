import { devportalApi } from '../../api/devportal.ts';
import type { Application, ExternalClient, PublicKeyManager } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { confirmButton, onSubmit } from '../../components/feedback.ts';

/**
 * "Provide existing OAuth keys" (WSO2): a client the developer already has at an external key
 * manager, mapped to this application so its tokens call the application's subscribed APIs. The
 * secret proves the client is theirs; the control plane checks it once at the provider and keeps
 * nothing of it. Shown only when an admin has registered an external key manager.
 */
export async function externalClientsSection(app: Application): Promise<HTMLElement | null> {
  const { list: managers } = await devportalApi.keyManagers();
  if (managers.length === 0) return null;
  const section = h('section', { class: 'external-clients', 'data-section': 'external-clients' });
  const render = async () => {
    const { list } = await devportalApi.externalClients(app.id);
    const manager = h(
      'select',
      { 'aria-label': 'Key manager', 'data-pointer': '/keyManager' },
      ...managers.map((k) => h('option', { value: k.name }, k.displayName)),
    );
    const clientId = h('input', {
      placeholder: 'Client ID',
      required: true,
      'data-pointer': '/clientId',
      'aria-label': 'Client ID',
      autocomplete: 'off',
    });
    const clientSecret = h('input', {
      type: 'password',
      placeholder: 'Client secret',
      required: true,
      'data-pointer': '/clientSecret',
      'aria-label': 'Client secret',
      autocomplete: 'off',
    });
    const keyType = h(
      'select',
      { 'aria-label': 'Key type', 'data-pointer': '/keyType' },
      h('option', { value: 'PRODUCTION' }, 'Production'),
      h('option', { value: 'SANDBOX' }, 'Sandbox'),
    );
    const submit = h('button', { type: 'submit', class: 'secondary' }, 'Map client');
    const out = h('div', {});
    const form = h('form', { class: 'inline', 'data-form': 'external-client' }, manager, clientId, clientSecret, keyType, submit, out);
    onSubmit(form, submit, out, async () => {
      await devportalApi.mapExternalClient(app.id, {
        keyManager: manager.value,
        clientId: clientId.value.trim(),
        clientSecret: clientSecret.value,
        keyType: keyType.value === 'SANDBOX' ? 'SANDBOX' : 'PRODUCTION',
      });
      await render();
    });
    mount(
      section,
      h('h3', {}, 'External OAuth clients'),
      h(
        'p',
        { class: 'hint' },
        'Already have a client at one of these identity providers? Map it here and its access tokens call the APIs this application is subscribed to, with its tier and quotas. The secret is checked once with the provider and not stored.',
      ),
      h('ul', { class: 'plain' }, ...managers.map((k) => managerRow(k))),
      list.length === 0
        ? h('p', { class: 'muted' }, 'No external clients mapped.')
        : h('ul', { class: 'plain', 'data-list': 'external-clients' }, ...list.map((x) => clientRow(app, x, () => void render()))),
      form,
    );
  };
  await render();
  return section;
}

function managerRow(k: PublicKeyManager): HTMLElement {
  return h(
    'li',
    { class: 'muted' },
    h('strong', {}, k.displayName),
    ' · issuer ',
    h('code', {}, k.issuer),
    k.tokenEndpoint === null ? null : h('span', {}, ' · tokens from ', h('code', {}, k.tokenEndpoint)),
  );
}

function clientRow(app: Application, x: ExternalClient, refresh: () => void): HTMLElement {
  const out = h('span', {});
  const unmap = confirmButton(
    'Unmap',
    { class: 'danger small', 'data-action': 'unmap-client' },
    out,
    { consequence: `Tokens of ${x.clientId} are refused from the next request on.`, confirm: `Unmap ${x.clientId}` },
    async () => {
      await devportalApi.unmapExternalClient(app.id, x.id);
      refresh();
    },
  );
  return h(
    'li',
    { 'data-client': x.clientId },
    h('strong', {}, x.keyManagerDisplayName),
    ' · ',
    h('code', {}, x.clientId),
    ` · ${x.keyType} `,
    unmap,
    out,
  );
}
