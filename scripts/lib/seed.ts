/**
 * Demo data, seeded through the control plane's own REST API (so it takes the same path, checks and
 * side effects — counter objects, snapshots — as anything a user does). Idempotent: a second run
 * finds what exists and keeps it; secrets that were shown once are kept in .turnpike/demo.json.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PETSTORE_DOCUMENTS, petstoreDocument } from './demo-petstore.ts';
import { randomBase64url } from './keys.ts';

export interface DemoData {
  urls: {
    /** The production (external) gateway environment. */
    gateway: string;
    controlPlane: string;
    portal: string;
    demoBackend: string;
    trafficManager: string;
    /** Every gateway environment's URL, by environment name (`production`, `internal`). */
    gateways: Record<string, string>;
  };
  /** Each gateway environment, its URL and the demo APIs deployed to it. */
  environments: Array<{ name: string; gatewayUrl: string; apis: string[] }>;
  users: Record<'admin' | 'publisher' | 'developer', { email: string; password: string }>;
  api: { id: string; name: string; context: string; version: string; tier: string; limitPerMinute: number };
  application: { id: string; name: string; clientId: string; clientSecret: string };
  /** The demo WebSocket API (an echo channel on the demo backend), subscribed by Demo App. */
  websocketApi: { id: string; name: string; context: string; tier: string; url: string };
  /** The demo GraphQL API (the Library on the demo backend), subscribed by the Demo App. */
  graphql: {
    id: string;
    name: string;
    context: string;
    tier: string;
    gatewayUrl: string;
    maxDepth: number;
    maxComplexity: number;
    pointsPerMinute: number;
    priceScope: string;
  };
}

/** The demo GraphQL API's limits: small enough to see each refusal by hand. */
export const DEMO_GRAPHQL = {
  context: '/library',
  version: 'v1',
  maxDepth: 5,
  maxComplexity: 100,
  pointsPerMinute: 1000,
  priceScope: 'library:prices',
  tier: 'Gold',
} as const;

export const DEMO_TIER = { name: 'Demo5PerMin', limit: 5 };

/**
 * How long one request of the seed, its answer's body included, may take. Every step answers in well
 * under a second; a request that gets no answer (a start-up seen once hanging with every process
 * healthy) fails naming itself, instead of holding the start, or a test run, until its own timeout.
 */
const SEED_REQUEST_TIMEOUT_MS = 60_000;

/** `fetch` with the seed's timeout: a request that gets no answer within it fails naming its method and URL. */
async function seedFetch(url: string, init: RequestInit = {}): Promise<Response> {
  const signal = AbortSignal.timeout(SEED_REQUEST_TIMEOUT_MS);
  try {
    return await fetch(url, { ...init, signal });
  } catch (err) {
    if (signal.aborted)
      throw new Error(`${init.method ?? 'GET'} ${url} got no answer within ${SEED_REQUEST_TIMEOUT_MS / 1000} s`, { cause: err });
    throw err;
  }
}

export class Client {
  readonly base: string;
  readonly #auth: Record<string, string>;

  constructor(base: string, auth: Record<string, string> = {}) {
    this.base = base;
    this.#auth = auth;
  }

  withBearer(token: string): Client {
    return new Client(this.base, { authorization: `Bearer ${token}` });
  }

  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    extraHeaders: Record<string, string> = {},
  ): Promise<{ status: number; body: T }> {
    const send = () =>
      seedFetch(this.base + path, {
        method,
        headers: { ...this.#auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...extraHeaders },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    let res: Response;
    try {
      res = await send();
    } catch (err) {
      // A kept-alive connection the server closed while idle (the bench leaves the control plane
      // idle for the ~20 s of a million-row insert) fails the next request sent on it. A GET is
      // safe to send again, on a new connection; anything else is not retried.
      if (method !== 'GET' || (err as { cause?: { code?: string } }).cause?.code !== 'UND_ERR_SOCKET') throw err;
      res = await send();
    }
    const text = await res.text();
    const parsed = text === '' ? null : (JSON.parse(text) as T);
    return { status: res.status, body: parsed as T };
  }

  /** Like `call`, but any status outside `ok` is an error that shows the problem document. */
  async expect<T>(
    ok: number[],
    method: string,
    path: string,
    body?: unknown,
    extraHeaders?: Record<string, string>,
  ): Promise<{ status: number; body: T }> {
    const result = await this.call<T>(method, path, body, extraHeaders);
    if (!ok.includes(result.status)) throw new Error(`${method} ${path} answered ${result.status}: ${JSON.stringify(result.body)}`);
    return result;
  }
}

function randomPassword(): string {
  return `tp-${randomBase64url(12)}`;
}

export function readDemo(file: string): DemoData | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DemoData) : null;
}

interface Page<T> {
  list: T[];
}

/** What `launch()` returns about where things are; the first process of each environment is the one named. */
export interface SeedUrls {
  gateway: string;
  controlPlane: string;
  portal: string;
  demoBackend: string;
  trafficManager: string;
  gateways: ReadonlyArray<{ environment: string; url: string }>;
}

/** The internal gateway environment (WSO2 deployment pattern 4): created by the seed, served by `[env.internal]`. */
export const DEMO_ENVIRONMENTS = ['production', 'internal'] as const;

export async function seed(options: {
  urls: SeedUrls;
  bootstrapToken: string;
  demoFile: string;
  log: (line: string) => void;
}): Promise<DemoData> {
  const { log } = options;
  const gatewayUrls: Record<string, string> = {};
  for (const g of options.urls.gateways) gatewayUrls[g.environment] ??= g.url;
  const urls: DemoData['urls'] = {
    gateway: options.urls.gateway,
    controlPlane: options.urls.controlPlane,
    portal: options.urls.portal,
    demoBackend: options.urls.demoBackend,
    trafficManager: options.urls.trafficManager,
    gateways: gatewayUrls,
  };
  const previous = readDemo(options.demoFile);
  const users: DemoData['users'] = previous?.users ?? {
    admin: { email: 'admin@turnpike.local', password: randomPassword() },
    publisher: { email: 'publisher@turnpike.local', password: randomPassword() },
    developer: { email: 'developer@turnpike.local', password: randomPassword() },
  };
  const anon = new Client(urls.controlPlane);

  const boot = await anon.call(
    'POST',
    '/api/auth/bootstrap',
    { email: users.admin.email, password: users.admin.password, displayName: 'Demo Admin' },
    { 'x-bootstrap-token': options.bootstrapToken },
  );
  if (boot.status === 201) log(`created the admin ${users.admin.email}`);
  else if (boot.status !== 409) throw new Error(`bootstrap answered ${boot.status}: ${JSON.stringify(boot.body)}`);
  else if (previous === null) {
    throw new Error(
      'This local database already has users but .turnpike/demo.json is gone, so their passwords are unknown. Delete .wrangler/state to start afresh.',
    );
  }

  const admin = await tokenFor(anon, users.admin, ['admin:policies', 'admin:environments', 'admin:users']);
  // The internal environment beside the default (production) one; its gateway is `[env.internal]`.
  type Environment = { id: string; name: string };
  const environments = await admin.expect<Page<Environment>>([200], 'GET', '/api/admin/v1/environments');
  if (!environments.body.list.some((e) => e.name === 'internal')) {
    await admin.expect([201], 'POST', '/api/admin/v1/environments', { name: 'internal', displayName: 'Internal', type: 'hybrid' });
    log('created the gateway environment internal');
  }
  // Local development proxies to the demo backend on 127.0.0.1; deployed environments refuse that.
  for (const e of (await admin.expect<Page<Environment>>([200], 'GET', '/api/admin/v1/environments')).body.list) {
    if ((DEMO_ENVIRONMENTS as readonly string[]).includes(e.name))
      await admin.expect([200], 'PATCH', `/api/admin/v1/environments/${e.id}`, { allowPrivateBackends: true });
  }

  const policies = await admin.expect<Page<{ name: string }>>([200], 'GET', '/api/admin/v1/throttling-policies?kind=subscription');
  if (!policies.body.list.some((p) => p.name === DEMO_TIER.name)) {
    await admin.expect([201], 'POST', '/api/admin/v1/throttling-policies', {
      kind: 'subscription',
      name: DEMO_TIER.name,
      displayName: 'Demo (5 per minute)',
      description: 'Small enough to see a 429 by hand',
      limit: DEMO_TIER.limit,
      unitTime: 1,
      timeUnit: 'min',
    });
    log(`created the subscription tier ${DEMO_TIER.name}`);
  }

  for (const role of ['publisher', 'developer'] as const) {
    const created = await admin.call('POST', '/api/admin/v1/users', {
      email: users[role].email,
      password: users[role].password,
      displayName: `Demo ${role}`,
      role,
    });
    if (created.status === 201) log(`created the ${role} ${users[role].email}`);
    else if (created.status !== 409) throw new Error(`creating the ${role} answered ${created.status}: ${JSON.stringify(created.body)}`);
  }

  const publisher = await tokenFor(anon, users.publisher, ['api:view', 'api:create', 'api:publish', 'api:deploy']);
  const context = '/petstore';
  const version = 'v1';
  type Api = { id: string; name: string; context: string; version: string; lifecycleState: string };
  const found = await publisher.expect<Page<Api>>([200], 'GET', `/api/publisher/v1/apis?query=${encodeURIComponent('Petstore')}`);
  let api = found.body.list.find((a) => a.context === context && a.version === version);
  if (api === undefined) {
    const backend = `${urls.demoBackend}/petstore`;
    api = (
      await publisher.expect<Api>([201], 'POST', '/api/publisher/v1/apis', {
        name: 'Petstore',
        context,
        version,
        isDefaultVersion: true,
        description: 'The demo Petstore: list, read and add pets.',
        tags: ['demo', 'pets'],
        subscriptionTiers: [DEMO_TIER.name, 'Bronze', 'Gold', 'Unlimited'],
        resources: [
          { method: 'GET', path: '/pets', authType: 'oauth2' },
          { method: 'POST', path: '/pets', authType: 'oauth2' },
          { method: 'GET', path: '/pets/{petId}', authType: 'oauth2' },
          { method: 'GET', path: '/echo', authType: 'oauth2' },
        ],
        endpoints: {
          production: { urls: [{ url: backend, timeoutMs: 10_000 }] },
          sandbox: { urls: [{ url: backend, timeoutMs: 10_000 }] },
        },
        openapi: petstoreDocument(`${gatewayUrls['production'] ?? urls.gateway}/oauth2/token`),
      })
    ).body;
    log(`created the API Petstore ${context}/${version}`);
  }
  const documents = await publisher.expect<Page<{ name: string }>>([200], 'GET', `/api/publisher/v1/apis/${api.id}/documents`);
  for (const [i, d] of PETSTORE_DOCUMENTS.entries()) {
    if (!documents.body.list.some((x) => x.name === d.name))
      await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${api.id}/documents`, { ...d, sourceType: 'INLINE', sortOrder: i });
  }
  if (api.lifecycleState !== 'PUBLISHED') {
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${api.id}/lifecycle`, { state: 'PUBLISHED' });
    log('published Petstore');
  }
  // Deployed means each environment's gateway routes it: an unauthenticated call is refused with
  // 401, not 404.
  const undeployed: string[] = [];
  for (const name of DEMO_ENVIRONMENTS) {
    const gateway = gatewayUrls[name];
    if (gateway !== undefined && (await seedFetch(`${gateway}${context}/${version}/pets`)).status === 404) undeployed.push(name);
  }
  if (undeployed.length > 0) {
    const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${api.id}/revisions`, {
      description: 'Demo revision',
    });
    await publisher.expect([201, 200], 'POST', `/api/publisher/v1/apis/${api.id}/deployments`, {
      revisionId: revision.body.id,
      environments: [...DEMO_ENVIRONMENTS],
    });
    log(`deployed Petstore to the gateway environments ${DEMO_ENVIRONMENTS.join(' and ')}`);
  }

  const library = await seedLibrary(publisher, urls, gatewayUrls, log);

  const developer = await tokenFor(anon, users.developer, ['apps:manage', 'subscriptions:manage']);
  type App = { id: string; name: string };
  const apps = await developer.expect<Page<App>>([200], 'GET', '/api/devportal/v1/applications');
  let app = apps.body.list.find((a) => a.name === 'Demo App');
  if (app === undefined) {
    app = (
      await developer.expect<App>([201], 'POST', '/api/devportal/v1/applications', {
        name: 'Demo App',
        description: 'Created by npm start',
      })
    ).body;
    log('created the application Demo App');
  }
  let clientId = previous?.application.id === app.id ? previous.application.clientId : '';
  let clientSecret = previous?.application.id === app.id ? previous.application.clientSecret : '';
  if (clientSecret === '') {
    const keys = await developer.call<{ consumerKey: string; consumerSecret: string }>(
      'POST',
      `/api/devportal/v1/applications/${app.id}/keys`,
      { keyType: 'PRODUCTION', grantTypes: ['client_credentials', 'refresh_token'] },
    );
    if (keys.status === 201) {
      clientId = keys.body.consumerKey;
      clientSecret = keys.body.consumerSecret;
    } else if (keys.status === 409) {
      // The keys exist but their secret was shown once and is not on file: make a new one.
      const regenerated = await developer.expect<{ consumerKey: string; consumerSecret: string }>(
        [200, 201],
        'POST',
        `/api/devportal/v1/applications/${app.id}/keys/PRODUCTION/regenerate-secret`,
      );
      clientId = regenerated.body.consumerKey;
      clientSecret = regenerated.body.consumerSecret;
    } else throw new Error(`generating keys answered ${keys.status}: ${JSON.stringify(keys.body)}`);
    log('generated production client credentials for Demo App');
  }
  const subscribed = await developer.call('POST', '/api/devportal/v1/subscriptions', {
    applicationId: app.id,
    apiId: api.id,
    tier: DEMO_TIER.name,
  });
  if (subscribed.status === 201) log(`subscribed Demo App to Petstore on ${DEMO_TIER.name}`);
  else if (subscribed.status !== 409) throw new Error(`subscribing answered ${subscribed.status}: ${JSON.stringify(subscribed.body)}`);
  const websocketApi = await seedEchoWebSocket({
    publisher,
    developer,
    applicationId: app.id,
    demoBackend: urls.demoBackend,
    gatewayUrls,
    log,
  });

  const subscribedLibrary = await developer.call('POST', '/api/devportal/v1/subscriptions', {
    applicationId: app.id,
    apiId: library.id,
    tier: DEMO_GRAPHQL.tier,
  });
  if (subscribedLibrary.status === 201) log(`subscribed Demo App to Library on ${DEMO_GRAPHQL.tier}`);
  else if (subscribedLibrary.status !== 409)
    throw new Error(`subscribing to Library answered ${subscribedLibrary.status}: ${JSON.stringify(subscribedLibrary.body)}`);
  const libraryContext = `${DEMO_GRAPHQL.context}/${DEMO_GRAPHQL.version}`;

  const demo: DemoData = {
    urls,
    environments: DEMO_ENVIRONMENTS.filter((name) => gatewayUrls[name] !== undefined).map((name) => ({
      name,
      gatewayUrl: gatewayUrls[name] ?? '',
      apis: [`${context}/${version}`, libraryContext, websocketApi.context],
    })),
    users,
    api: { id: api.id, name: 'Petstore', context: `${context}/${version}`, version, tier: DEMO_TIER.name, limitPerMinute: DEMO_TIER.limit },
    application: { id: app.id, name: 'Demo App', clientId, clientSecret },
    websocketApi: {
      ...websocketApi,
      url: `${(gatewayUrls['production'] ?? urls.gateway).replace(/^http/, 'ws')}${websocketApi.context}/echo`,
    },
    graphql: {
      id: library.id,
      name: 'Library',
      context: libraryContext,
      tier: DEMO_GRAPHQL.tier,
      gatewayUrl: `${gatewayUrls['production'] ?? urls.gateway}${libraryContext}`,
      maxDepth: DEMO_GRAPHQL.maxDepth,
      maxComplexity: DEMO_GRAPHQL.maxComplexity,
      pointsPerMinute: DEMO_GRAPHQL.pointsPerMinute,
      priceScope: DEMO_GRAPHQL.priceScope,
    },
  };
  mkdirSync(dirname(options.demoFile), { recursive: true });
  writeFileSync(options.demoFile, JSON.stringify(demo, null, 2) + '\n', { mode: 0o600 });
  return demo;
}

/**
 * The demo GraphQL API: created by introspecting the demo backend's Library (the publisher API's
 * introspection route), with depth, complexity and points limits and a scoped field; published and
 * deployed to every demo environment.
 */
async function seedLibrary(
  publisher: Client,
  urls: DemoData['urls'],
  gatewayUrls: Record<string, string>,
  log: (line: string) => void,
): Promise<{ id: string }> {
  const { context, version } = DEMO_GRAPHQL;
  type Api = { id: string; context: string; version: string; lifecycleState: string };
  const found = await publisher.expect<Page<Api>>([200], 'GET', `/api/publisher/v1/apis?query=${encodeURIComponent('Library')}`);
  let api = found.body.list.find((a) => a.context === context && a.version === version);
  if (api === undefined) {
    const backend = `${urls.demoBackend}/library/graphql`;
    const introspected = await publisher.expect<{ schema: string }>([200], 'POST', '/api/publisher/v1/graphql/introspection', {
      url: backend,
    });
    api = (
      await publisher.expect<Api>([201], 'POST', '/api/publisher/v1/apis', {
        name: 'Library',
        context,
        version,
        type: 'GRAPHQL',
        isDefaultVersion: true,
        description:
          'The demo GraphQL API: books and authors. Queries deeper than 5 or costlier than 100 points are refused; Book.price needs the scope library:prices.',
        tags: ['demo', 'graphql'],
        subscriptionTiers: [DEMO_GRAPHQL.tier, 'Unlimited'],
        graphql: {
          schema: introspected.body.schema,
          maxDepth: DEMO_GRAPHQL.maxDepth,
          maxComplexity: DEMO_GRAPHQL.maxComplexity,
          introspection: true,
          fieldScopes: { 'Book.price': [DEMO_GRAPHQL.priceScope] },
          points: { limit: DEMO_GRAPHQL.pointsPerMinute, windowSeconds: 60 },
        },
        endpoints: {
          production: { urls: [{ url: backend, timeoutMs: 10_000 }] },
          sandbox: { urls: [{ url: backend, timeoutMs: 10_000 }] },
        },
      })
    ).body;
    log(`created the GraphQL API Library ${context}/${version} from the backend's introspection`);
  }
  if (api.lifecycleState !== 'PUBLISHED')
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${api.id}/lifecycle`, { state: 'PUBLISHED' });
  const undeployed = DEMO_ENVIRONMENTS.filter((name) => gatewayUrls[name] !== undefined);
  const routed = await Promise.all(
    undeployed.map(async (name) => (await seedFetch(`${gatewayUrls[name] ?? ''}${context}/${version}`, { method: 'POST' })).status !== 404),
  );
  if (routed.some((r) => !r)) {
    const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${api.id}/revisions`, {
      description: 'Demo revision',
    });
    await publisher.expect([201, 200], 'POST', `/api/publisher/v1/apis/${api.id}/deployments`, {
      revisionId: revision.body.id,
      environments: [...DEMO_ENVIRONMENTS],
    });
    log(`deployed Library to the gateway environments ${DEMO_ENVIRONMENTS.join(' and ')}`);
  }
  return api;
}

export async function tokenFor(anon: Client, user: { email: string; password: string }, scopes: string[]): Promise<Client> {
  const res = await seedFetch(anon.base + '/api/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(user),
  });
  if (res.status !== 200) throw new Error(`signing in as ${user.email} answered ${res.status}: ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const created = await seedFetch(anon.base + '/api/auth/tokens', {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ name: `npm start ${new Date().toISOString()}`, scopes, expiresInDays: 1 }),
  });
  if (created.status !== 201)
    throw new Error(`creating a management token for ${user.email} answered ${created.status}: ${await created.text()}`);
  const { token } = (await created.json()) as { token: string };
  return anon.withBearer(token);
}

export const demoFilePath = (root: string) => join(root, '.turnpike/demo.json');

/**
 * The demo WebSocket API (type WS, decision 0042): one channel, `/echo`, relayed to the demo
 * backend's echo socket; created, published, deployed to every demo environment and subscribed by
 * Demo App on Gold (5000 frames a minute), each step only if it is not done yet.
 */
async function seedEchoWebSocket(o: {
  publisher: Client;
  developer: Client;
  applicationId: string;
  demoBackend: string;
  gatewayUrls: Record<string, string>;
  log: (line: string) => void;
}): Promise<{ id: string; name: string; context: string; tier: string }> {
  const [context, version, tier] = ['/echo-ws', 'v1', 'Gold'];
  type Api = { id: string; context: string; version: string; lifecycleState: string };
  const found = await o.publisher.expect<Page<Api>>([200], 'GET', `/api/publisher/v1/apis?query=${encodeURIComponent('Echo WebSocket')}`);
  let api = found.body.list.find((a) => a.context === context && a.version === version);
  if (api === undefined) {
    api = (
      await o.publisher.expect<Api>([201], 'POST', '/api/publisher/v1/apis', {
        type: 'WS',
        name: 'Echo WebSocket',
        context,
        version,
        isDefaultVersion: true,
        description:
          'A WebSocket channel that sends every frame back: connect to /echo with an access token (Authorization header, or the subprotocol bearer.<token>).',
        tags: ['demo', 'websocket'],
        subscriptionTiers: [tier, 'Unlimited'],
        resources: [{ method: 'GET', path: '/echo', authType: 'oauth2' }],
        endpoints: {
          production: { urls: [{ url: `${o.demoBackend}/ws`, timeoutMs: 10_000 }] },
          sandbox: { urls: [{ url: `${o.demoBackend}/ws`, timeoutMs: 10_000 }] },
        },
        streaming: { allowQueryToken: false, idleTimeoutSeconds: 300, maxDurationSeconds: 3600, maxConnectionsPerSubscription: 10 },
      })
    ).body;
    o.log(`created the WebSocket API Echo WebSocket ${context}/${version}`);
  }
  if (api.lifecycleState !== 'PUBLISHED')
    await o.publisher.expect([200], 'POST', `/api/publisher/v1/apis/${api.id}/lifecycle`, { state: 'PUBLISHED' });
  // Deployed means the gateway routes it: a plain GET is refused (401 or 426), not 404.
  let deployed = true;
  for (const name of DEMO_ENVIRONMENTS) {
    const gateway = o.gatewayUrls[name];
    if (gateway !== undefined && (await seedFetch(`${gateway}${context}/${version}/echo`)).status === 404) deployed = false;
  }
  if (!deployed) {
    const revision = await o.publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${api.id}/revisions`, {
      description: 'Demo revision',
    });
    await o.publisher.expect([201, 200], 'POST', `/api/publisher/v1/apis/${api.id}/deployments`, {
      revisionId: revision.body.id,
      environments: [...DEMO_ENVIRONMENTS],
    });
    o.log('deployed Echo WebSocket');
  }
  const subscribed = await o.developer.call('POST', '/api/devportal/v1/subscriptions', {
    applicationId: o.applicationId,
    apiId: api.id,
    tier,
  });
  if (subscribed.status === 201) o.log(`subscribed Demo App to Echo WebSocket on ${tier}`);
  else if (subscribed.status !== 409) throw new Error(`subscribing answered ${subscribed.status}: ${JSON.stringify(subscribed.body)}`);
  return { id: api.id, name: 'Echo WebSocket', context: `${context}/${version}`, tier };
}
