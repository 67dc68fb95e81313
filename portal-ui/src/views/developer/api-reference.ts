import { trackProgress } from '../../api/client.ts';
import { devportalApi } from '../../api/devportal.ts';
import type { CatalogApiDetail, KeyType } from '../../api/types.ts';
import { publicGatewayUrl } from '../../config.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, errorBox } from '../../components/feedback.ts';
import { renderReference } from '../../components/openapi.ts';
import { consoleInterceptor, type Credential } from '../../components/try-it.ts';

/** The API's OpenAPI document rendered by Swagger UI, whose console calls the gateway with the picked credential. */
export async function referenceTab(api: CatalogApiDetail): Promise<HTMLElement> {
  const [doc, gateway] = await Promise.all([devportalApi.openapi(api.id), publicGatewayUrl()]);
  const base = `${api.context}/${api.version}`;
  const proxyBase = `${location.origin}/gateway${base}`;
  const credential: Credential = { mode: 'bearer', value: '', header: api.apiKeyHeader };
  const reference = h('div', { id: 'operations', class: 'reference' });
  try {
    await trackProgress(renderReference(reference, doc, proxyBase, consoleInterceptor(proxyBase, () => credential)));
  } catch (err) {
    mount(reference, errorBox(err));
  }
  return h('div', {}, await credentialsPanel(api, credential, `${gateway}${base}`), reference);
}

/** Where the console's credential comes from: a test token of a subscribed application, or a pasted token or API key. */
async function credentialsPanel(api: CatalogApiDetail, credential: Credential, publicBase: string): Promise<HTMLElement> {
  const { list: apps } = await devportalApi.applications();
  const subscribed = (await Promise.all(apps.map(async (a) => ((await devportalApi.subscriptions(a.id)).list.some((s) => s.apiId === api.id) ? a : null)))).filter((a) => a !== null);
  const mode = h('select', { id: 'try-mode', 'aria-label': 'Credential type' }, h('option', { value: 'bearer' }, 'OAuth2 access token'), h('option', { value: 'apikey' }, 'API key'));
  const value = h('input', { id: 'try-credential', placeholder: 'Paste an access token', 'aria-label': 'Credential', autocomplete: 'off', spellcheck: 'false' });
  const where = h('p', { class: 'hint', id: 'try-where' });
  const sync = () => {
    credential.mode = mode.value === 'apikey' ? 'apikey' : 'bearer';
    credential.value = value.value.trim();
    value.placeholder = credential.mode === 'apikey' ? 'Paste an API key of your application' : 'Paste an access token';
    mount(
      where,
      credential.mode === 'apikey'
        ? h('span', {}, 'Sent in the ', h('code', {}, credential.header), ' header. API keys are shown once, when you create them under ', h('a', { href: '#/applications' }, 'Applications'), '.')
        : h('span', {}, 'Sent as ', h('code', {}, 'Authorization: Bearer …'), '.'),
      ` Requests go through the portal to the gateway; from your own code call `,
      h('code', {}, publicBase),
      '.',
    );
  };
  value.addEventListener('input', sync);
  mode.addEventListener('change', sync);
  sync();
  const out = h('div', { 'aria-live': 'polite' });
  let tokenForm: HTMLElement;
  if (subscribed.length === 0) {
    tokenForm = h('p', { class: 'hint' }, 'To call this API, subscribe one of your applications to it on ', h('a', { href: '#/applications' }, 'Applications'), ' and generate keys; then get a test token here.');
  } else {
    const appSelect = h('select', { id: 'try-app', 'aria-label': 'Application' }, ...subscribed.map((a) => h('option', { value: a.id }, a.name)));
    const keyType = h('select', { id: 'try-key-type', 'aria-label': 'Key type' }, h('option', { value: 'PRODUCTION' }, 'Production'), h('option', { value: 'SANDBOX' }, 'Sandbox'));
    const get = actionButton('Get a test token', { class: 'secondary', id: 'try-get-token' }, out, async () => {
      const t = await devportalApi.testToken(appSelect.value, keyType.value as KeyType);
      mode.value = 'bearer';
      value.value = t.accessToken;
      sync();
      mount(out, h('p', { class: 'ok' }, `Using a token of ${appSelect.selectedOptions[0]?.textContent ?? 'the application'}, valid ${Math.round(t.expiresIn / 60)} minutes.`));
    });
    tokenForm = h('div', { class: 'toolbar' }, appSelect, keyType, get);
  }
  return h('section', { class: 'card', id: 'try-credentials' }, h('h2', {}, 'Credentials for the console'), h('div', { class: 'toolbar' }, mode, value), where, tokenForm, out);
}
