import { devportalApi } from '../../api/devportal.ts';
import type { ApiKey, Application } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { confirmButton, onSubmit } from '../../components/feedback.ts';
import { shownOnce } from '../../components/secret.ts';

/** API keys: created with a name, key type and expiry, shown once, revoked at once. */
export async function apiKeysSection(app: Application): Promise<HTMLElement> {
  const section = h('section', { class: 'api-keys' });
  const render = async () => {
    const { list } = await devportalApi.apiKeys(app.id);
    const name = h('input', { placeholder: 'Key name', required: true, 'data-pointer': '/name', 'aria-label': 'API key name' });
    const keyType = h('select', { 'aria-label': 'Key type', 'data-pointer': '/keyType' }, h('option', { value: 'PRODUCTION' }, 'Production'), h('option', { value: 'SANDBOX' }, 'Sandbox'));
    const days = h('input', { type: 'number', min: '1', max: '3650', placeholder: 'Expires in days (blank: never)', 'aria-label': 'Expires in days', 'data-pointer': '/expiresInDays' });
    const submit = h('button', { type: 'submit', class: 'secondary' }, 'Create API key');
    const out = h('div', {});
    const form = h('form', { class: 'inline', 'data-form': 'api-key' }, name, keyType, days, submit, out);
    onSubmit(form, submit, out, async () => {
      const created = await devportalApi.createApiKey(app.id, { name: name.value, keyType: keyType.value === 'SANDBOX' ? 'SANDBOX' : 'PRODUCTION', expiresInDays: days.value === '' ? null : Number(days.value) });
      await render();
      section.append(shownOnce('API key', created.key, [h('p', {}, `Send it in the API's key header (usually apikey).`)]));
    });
    const active = list.filter((k) => k.revokedAt === null);
    mount(
      section,
      h('h3', {}, 'API keys'),
      active.length === 0 ? h('p', { class: 'muted' }, 'No API keys. Create one for callers that cannot use OAuth2.') : h('ul', { class: 'plain' }, ...active.map((k) => keyRow(app, k, () => void render()))),
      form,
    );
  };
  await render();
  return section;
}

function keyRow(app: Application, key: ApiKey, refresh: () => void): HTMLElement {
  const out = h('span', {});
  const revoke = confirmButton('Revoke', { class: 'danger small', 'data-action': 'revoke-key' }, out, { consequence: `Calls with ${key.name} (${key.prefix}…) are refused from the next request on; callers using it need a new key.`, confirm: `Revoke ${key.name}` }, async () => {
    await devportalApi.revokeApiKey(app.id, key.id);
    refresh();
  });
  const expiry = key.expiresAt === null ? 'never expires' : `expires ${new Date(key.expiresAt).toLocaleDateString()}`;
  return h('li', {}, h('strong', {}, key.name), ` · ${key.keyType} · `, h('code', {}, `${key.prefix}…`), ` · ${expiry} `, revoke, out);
}
