import { devportalApi } from '../../api/devportal.ts';
import type { CatalogApiDetail, KeyType } from '../../api/types.ts';
import { publicGatewayUrl } from '../../config.ts';
import { h, mount } from '../../components/dom.ts';
import { busy, errorBox } from '../../components/feedback.ts';
import { markdown } from '../../components/markdown.ts';
import { operations, typeOf, type Operation } from '../../components/openapi.ts';
import { tryIt, type Credential } from '../../components/try-it.ts';

/** The API's OpenAPI document as a reference (rendered here, as text) with a console per operation. */
export async function referenceTab(api: CatalogApiDetail): Promise<HTMLElement> {
  const [doc, gateway] = await Promise.all([devportalApi.openapi(api.id), publicGatewayUrl()]);
  const base = `${api.context}/${api.version}`;
  const credential: Credential = { mode: 'bearer', value: '', header: 'apikey' };
  const ops = operations(doc);
  const info = (typeof doc['info'] === 'object' && doc['info'] !== null ? doc['info'] : {}) as Record<string, unknown>;
  return h(
    'div',
    {},
    await credentialsPanel(api, credential),
    typeof info['description'] === 'string' && info['description'] !== '' ? h('details', { class: 'card' }, h('summary', {}, 'About this definition'), markdown(info['description'])) : null,
    ops.length === 0 ? h('p', { class: 'empty' }, 'The definition lists no operations.') : h('div', { id: 'operations' }, ...ops.map((op) => operationBlock(doc, base, op, () => credential, gateway))),
  );
}

function operationBlock(doc: Record<string, unknown>, base: string, op: Operation, credential: () => Credential, gateway: string): HTMLElement {
  return h(
    'details',
    { class: 'operation', 'data-operation': `${op.method} ${op.path}` },
    h('summary', {}, h('span', { class: `method ${op.method.toLowerCase()}` }, op.method), h('code', {}, op.path), h('span', { class: 'muted' }, op.summary), op.open ? h('span', { class: 'badge' }, 'open') : null),
    h(
      'div',
      {},
      op.description === '' ? null : markdown(op.description),
      op.scopes.length === 0 ? null : h('p', { class: 'hint' }, `Scopes: ${op.scopes.join(' ')}`),
      op.parameters.length === 0
        ? null
        : h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Parameter'), h('th', {}, 'In'), h('th', {}, 'Type'), h('th', {}, 'Description'))), h('tbody', {}, ...op.parameters.map((p) => h('tr', {}, h('td', {}, h('code', {}, p.name), p.required ? ' *' : ''), h('td', {}, p.in), h('td', {}, typeOf(doc, p.schema)), h('td', {}, p.description))))),
      op.body === null ? null : h('p', {}, `Body: ${op.body.contentType} `, h('code', {}, typeOf(doc, op.body.schema))),
      op.responses.length === 0 ? null : h('ul', { class: 'plain responses' }, ...op.responses.map((r) => h('li', {}, h('code', {}, r.status), ` ${r.description}`))),
      tryIt(doc, base, op, credential, gateway),
    ),
  );
}

/** Where the console's credential comes from: pasted, or a test token of a subscribed application. */
async function credentialsPanel(api: CatalogApiDetail, credential: Credential): Promise<HTMLElement> {
  const { list: apps } = await devportalApi.applications();
  const subscribed = (await Promise.all(apps.map(async (a) => ((await devportalApi.subscriptions(a.id)).list.some((s) => s.apiId === api.id) ? a : null)))).filter((a) => a !== null);
  const mode = h('select', { id: 'try-mode', 'aria-label': 'Credential type' }, h('option', { value: 'bearer' }, 'OAuth2 access token'), h('option', { value: 'apikey' }, 'API key'));
  const value = h('input', { id: 'try-credential', placeholder: 'Paste an access token or API key', 'aria-label': 'Credential', autocomplete: 'off' });
  const header = h('input', { id: 'try-header', value: 'apikey', 'aria-label': 'API key header', hidden: true });
  const sync = () => {
    credential.mode = mode.value === 'apikey' ? 'apikey' : 'bearer';
    credential.value = value.value.trim();
    credential.header = header.value.trim();
    header.hidden = credential.mode !== 'apikey';
  };
  for (const el of [mode, value, header]) el.addEventListener('input', sync);
  mode.addEventListener('change', sync);
  const out = h('div', { 'aria-live': 'polite' });
  let tokenForm: HTMLElement;
  if (subscribed.length === 0) {
    tokenForm = h('p', { class: 'hint' }, 'To call this API, subscribe one of your applications to it on ', h('a', { href: '#/applications' }, 'Applications'), ' and generate keys; then get a test token here.');
  } else {
    const appSelect = h('select', { id: 'try-app', 'aria-label': 'Application' }, ...subscribed.map((a) => h('option', { value: a.id }, a.name)));
    const keyType = h('select', { id: 'try-key-type', 'aria-label': 'Key type' }, h('option', { value: 'PRODUCTION' }, 'Production'), h('option', { value: 'SANDBOX' }, 'Sandbox'));
    const get = h('button', { type: 'button', class: 'secondary', id: 'try-get-token' }, 'Get a test token');
    get.addEventListener('click', () =>
      void busy(get, async () => {
        try {
          const t = await devportalApi.testToken(appSelect.value, keyType.value as KeyType);
          mode.value = 'bearer';
          value.value = t.accessToken;
          sync();
          mount(out, h('p', { class: 'ok' }, `Using a token of ${appSelect.selectedOptions[0]?.textContent ?? 'the application'}, valid ${Math.round(t.expiresIn / 60)} minutes.`));
        } catch (err) {
          mount(out, errorBox(err));
        }
      }),
    );
    tokenForm = h('div', { class: 'toolbar' }, appSelect, keyType, get);
  }
  return h('section', { class: 'card', id: 'try-credentials' }, h('h2', {}, 'Credentials for the console'), h('div', { class: 'toolbar' }, mode, value, header), tokenForm, out);
}
