import type { SwaggerUISystem } from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import { trackProgress } from '../../api/client.ts';
import { devportalApi } from '../../api/devportal.ts';
import type { CatalogApiDetail, KeyType } from '../../api/types.ts';
import { environmentGatewayUrl } from '../../config.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, empty, errorBox } from '../../components/feedback.ts';
import { isSwagger2, operationTags, renderReference, type ConsoleServer } from '../../components/openapi.ts';
import { codeBlock } from '../../components/secret.ts';
import { consoleInterceptor, type Credential } from '../../components/try-it.ts';
import { graphqlConsole, schemaCard } from '../../components/graphql-console.ts';
import { channelsCard, sseConsole, webSocketConsole } from '../../components/streaming-console.ts';
import { can, signInHref, user } from '../../session.ts';

type Environment = CatalogApiDetail['environments'][number];

/**
 * The API's OpenAPI document rendered by Swagger UI, whose console calls the gateway of the picked
 * environment (one server per environment the API is deployed to) with the picked credential.
 */
export async function referenceTab(api: CatalogApiDetail): Promise<HTMLElement> {
  const base = `${api.context}/${api.version}`;
  if (api.environments.length === 0) {
    return empty(
      `${api.name} ${api.version} is not deployed to any gateway environment you can reach, so it cannot be called yet.`,
      h(
        'p',
        { class: 'hint', id: 'not-deployed' },
        'The publisher deploys a revision of it to a gateway environment; the console appears here then.',
      ),
    );
  }
  if (api.type === 'GRAPHQL') return graphqlReference(api, base);
  if (api.type === 'WS' || api.type === 'SSE') return streamingReference(api, base);
  const [doc, publicUrls] = await Promise.all([devportalApi.openapi(api.id), Promise.all(api.environments.map(environmentGatewayUrl))]);
  const servers: ConsoleServer[] = api.environments.map((e) => ({
    url: `${location.origin}/gateway/${e.name}${base}`,
    description: `${e.displayName} (${e.name}), through the portal's try-it proxy`,
  }));
  const credential: Credential = { mode: 'bearer', value: '', header: api.apiKeyHeader };
  const intercept = consoleInterceptor(
    servers.map((s) => s.url),
    () => credential,
  );
  const reference = h('div', { id: 'operations', class: 'reference' });
  let system: SwaggerUISystem | null = null;
  const render = async (first: number) => {
    // Swagger 2.0 names one server: the picked one goes first and the renderer starts afresh.
    const host = h('div', {});
    mount(reference, host);
    try {
      system = await trackProgress(renderReference(host, doc, [...servers.slice(first), ...servers.slice(0, first)], intercept));
    } catch (err) {
      mount(reference, errorBox(err));
    }
  };
  await render(0);
  const picker =
    isSwagger2(doc) && servers.length > 1
      ? h(
          'label',
          { class: 'toolbar' },
          'Gateway environment ',
          h(
            'select',
            { id: 'try-environment', onchange: (e: Event) => void render(Number((e.target as HTMLSelectElement).value)) },
            ...api.environments.map((e, i) => h('option', { value: String(i) }, e.displayName)),
          ),
        )
      : null;
  const environments = api.environments.map((e, i) => ({ ...e, publicUrl: `${publicUrls[i] ?? '<gateway>'}${base}` }));
  return h(
    'div',
    {},
    await credentialsPanel(api, credential, environments),
    picker,
    tagIndex(doc, reference, () => system),
    reference,
  );
}

/** A GraphQL API: its schema and limits, and the GraphQL console through the same try-it proxy and credentials. */
async function graphqlReference(api: CatalogApiDetail, base: string): Promise<HTMLElement> {
  const [graphql, publicUrls] = await Promise.all([devportalApi.graphql(api.id), Promise.all(api.environments.map(environmentGatewayUrl))]);
  const credential: Credential = { mode: 'bearer', value: '', header: api.apiKeyHeader };
  const environments = api.environments.map((e, i) => ({ ...e, publicUrl: `${publicUrls[i] ?? '<gateway>'}${base}` }));
  return h(
    'div',
    { class: 'stack' },
    await credentialsPanel(api, credential, environments),
    graphqlConsole(base, api.environments, () => credential, graphql),
    schemaCard(graphql),
  );
}

/** A WebSocket or SSE API: its channels with their connection URLs and limits, and the console that holds a connection open. */
async function streamingReference(api: CatalogApiDetail, base: string): Promise<HTMLElement> {
  const publicUrls = await Promise.all(api.environments.map(environmentGatewayUrl));
  const credential: Credential = { mode: 'bearer', value: '', header: api.apiKeyHeader };
  const environments = api.environments.map((e, i) => ({ ...e, publicUrl: `${publicUrls[i] ?? '<gateway>'}${base}` }));
  const open = api.type === 'WS' ? webSocketConsole : sseConsole;
  return h(
    'div',
    { class: 'stack' },
    await credentialsPanel(api, credential, environments),
    open(base, api, api.environments, () => credential),
    channelsCard(api, environments),
  );
}

/**
 * The document's tags as a row of buttons: one shows only that tag's operations (Swagger UI's own
 * tag filter, so a long description is short again and never virtualised), "All" every operation;
 * either way the reference starts at its top.
 */
function tagIndex(doc: Record<string, unknown>, reference: HTMLElement, system: () => SwaggerUISystem | null): HTMLElement | null {
  const names = operationTags(doc);
  if (names.length < 2) return null;
  const buttons = [['', 'All operations'] as const, ...names.map((t) => [t, t] as const)].map(([tag, label]) =>
    h('button', { type: 'button', class: 'link', 'data-tag': tag, 'aria-pressed': tag === '' ? 'true' : 'false' }, label),
  );
  for (const b of buttons) {
    b.addEventListener('click', () => {
      system()?.layoutActions.updateFilter(b.dataset['tag'] ?? '');
      for (const other of buttons) other.setAttribute('aria-pressed', String(other === b));
      reference.scrollIntoView({ block: 'start' });
    });
  }
  return h(
    'nav',
    { id: 'reference-tags', class: 'toolbar tag-index', 'aria-label': 'Operations by tag' },
    h('span', { class: 'muted' }, 'Show '),
    ...buttons,
  );
}

/** A POSIX shell word: single-quoted, so nothing in it (a publisher's path, a pasted value) is shell syntax. */
const shellWord = (text: string): string => `'${text.replace(/'/g, `'\\''`)}'`;

/** A ready-to-paste call of the API's first plain GET resource (or a placeholder), with the credential. */
function curlLine(api: CatalogApiDetail, credential: Credential, publicBase: string): string {
  const plain = api.resources.find((r) => r.method === 'GET' && !r.path.includes('{'));
  const value = credential.value !== '' ? credential.value : credential.mode === 'apikey' ? '<API key>' : '<access token>';
  const header = credential.mode === 'apikey' ? `${credential.header}: ${value}` : `Authorization: Bearer ${value}`;
  if (api.type === 'WS') {
    const channel = api.resources[0]?.path ?? '/<channel>';
    return `websocat -H ${shellWord(header)} ${shellWord(`${publicBase.replace(/^http/, 'ws')}${channel}`)}`;
  }
  if (api.type === 'SSE')
    return `curl -N -H ${shellWord(header)} -H 'accept: text/event-stream' ${shellWord(`${publicBase}${plain?.path ?? '/<stream>'}`)}`;
  if (api.type === 'GRAPHQL')
    return `curl -H ${shellWord(header)} -H 'content-type: application/json' -d ${shellWord('{"query":"{ __typename }"}')} ${shellWord(publicBase)}`;
  return `curl -H ${shellWord(header)} ${shellWord(`${publicBase}${plain?.path ?? '/<resource>'}`)}`;
}

/** Where the console's credential comes from: a test token of a subscribed application, or a pasted token or API key. */
async function credentialsPanel(
  api: CatalogApiDetail,
  credential: Credential,
  environments: Array<Environment & { publicUrl: string }>,
): Promise<HTMLElement> {
  const apps = can('apps:manage') ? (await devportalApi.applications()).list : [];
  // Applications whose subscription was decided (not waiting for approval, not rejected): those get a token the gateway knows.
  const decided = new Set(['UNBLOCKED', 'PROD_ONLY_BLOCKED', 'BLOCKED']);
  const subscribed = (
    await Promise.all(
      apps.map(async (a) =>
        (await devportalApi.subscriptions(a.id)).list.some((s) => s.apiId === api.id && decided.has(s.status)) ? a : null,
      ),
    )
  ).filter((a) => a !== null);
  const mode = h(
    'select',
    { id: 'try-mode', 'aria-label': 'Credential type' },
    h('option', { value: 'bearer' }, 'OAuth2 access token'),
    h('option', { value: 'apikey' }, 'API key'),
  );
  const value = h('input', {
    id: 'try-credential',
    placeholder: 'Paste an access token',
    'aria-label': 'Credential',
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const where = h('p', { class: 'hint', id: 'try-where' });
  const curls = h('div', { id: 'try-curl' });
  const sync = () => {
    credential.mode = mode.value === 'apikey' ? 'apikey' : 'bearer';
    credential.value = value.value.trim();
    value.placeholder = credential.mode === 'apikey' ? 'Paste an API key of your application' : 'Paste an access token';
    mount(
      where,
      credential.mode === 'apikey'
        ? h(
            'span',
            {},
            'Sent in the ',
            h('code', {}, credential.header),
            ' header. API keys are shown once, when you create them under ',
            h('a', { href: '#/applications' }, 'Applications'),
            '.',
          )
        : h('span', {}, 'Sent as ', h('code', {}, 'Authorization: Bearer …'), '.'),
      ' Requests go through the portal to the gateway of the environment picked in the console; from your own code call the gateway itself:',
    );
    mount(
      curls,
      ...environments.map((e) =>
        h(
          'div',
          { 'data-environment': e.name },
          h('p', { class: 'hint' }, `${e.displayName} (${e.name})`),
          codeBlock(curlLine(api, credential, e.publicUrl)),
        ),
      ),
    );
  };
  value.addEventListener('input', sync);
  mode.addEventListener('change', sync);
  sync();
  const out = h('div', { 'aria-live': 'polite' });
  let tokenForm: HTMLElement;
  if (user() === null) {
    tokenForm = h(
      'p',
      { class: 'hint', id: 'try-signin' },
      h('a', { href: signInHref() }, 'Sign in'),
      ' to get a test token of one of your applications, or paste a credential above.',
    );
  } else if (subscribed.length === 0) {
    tokenForm = h(
      'p',
      { class: 'hint' },
      'To call this API, subscribe one of your applications to it (Subscribe, on the ',
      h('a', { href: `#/apis/${encodeURIComponent(api.id)}` }, 'Overview'),
      ') and generate its keys under ',
      h('a', { href: '#/applications' }, 'Applications'),
      '; then get a test token here.',
    );
  } else {
    const appSelect = h(
      'select',
      { id: 'try-app', 'aria-label': 'Application' },
      ...subscribed.map((a) => h('option', { value: a.id }, a.name)),
    );
    const keyType = h(
      'select',
      { id: 'try-key-type', 'aria-label': 'Key type' },
      h('option', { value: 'PRODUCTION' }, 'Production'),
      h('option', { value: 'SANDBOX' }, 'Sandbox'),
    );
    const get = actionButton('Get a test token', { class: 'secondary', id: 'try-get-token' }, out, async () => {
      const t = await devportalApi.testToken(appSelect.value, keyType.value as KeyType);
      mode.value = 'bearer';
      value.value = t.accessToken;
      sync();
      mount(
        out,
        h(
          'p',
          { class: 'ok' },
          `Using a token of ${appSelect.selectedOptions[0]?.textContent ?? 'the application'}, valid ${Math.round(t.expiresIn / 60)} minutes.`,
        ),
      );
    });
    tokenForm = h('div', { class: 'toolbar' }, appSelect, keyType, get);
  }
  return h(
    'section',
    { class: 'card', id: 'try-credentials' },
    h('h2', {}, 'Credentials for the console'),
    h('div', { class: 'toolbar' }, mode, value),
    where,
    curls,
    tokenForm,
    out,
  );
}
