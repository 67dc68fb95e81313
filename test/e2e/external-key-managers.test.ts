import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SignJWT, importJWK, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, DEMO_TIER, tokenFor } from '../../scripts/lib/seed.ts';
import { AUDIENCE, OPAQUE_RESOURCE, OTHER_AUDIENCE, newSigningKey, startProvider, type TestProvider } from '../support/oidc-provider.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';
import { publishApi } from './support.ts';

/**
 * Turnpike's gateway accepting the tokens of an external OpenID Provider: panva's oidc-provider,
 * started here on a loopback port, registered by its discovery URL, its client mapped to a
 * Turnpike application by a developer.
 */
const { gatewayUrl, controlPlaneUrl, portalUrl, demo } = usePlatform();
const { signIn } = useBrowser(portalUrl);
// The provider's port follows the suite's port base (docs: 32100 for the base 32000).
const IDP_PORT = Number(process.env.TURNPIKE_E2E_PORT_BASE ?? 28787) + 100;
const COOLDOWN_SECONDS = 20;
const stamp = Date.now().toString(36);
const ctx = { open: `/ext${stamp}`, metered: `/extm${stamp}` };
const kmName = `idp-${stamp}`;
const received: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
const clients = [
  {
    client_id: `app-${stamp}`,
    client_secret: 'mapped-client-secret-0123456789',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'items:read items:admin',
  },
  {
    client_id: `other-${stamp}`,
    client_secret: 'unmapped-client-secret-0123456789',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'items:read',
  },
  {
    client_id: `portal-${stamp}`,
    client_secret: 'portal-client-secret-0123456789',
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'items:read',
  },
  {
    client_id: `web-${stamp}`,
    client_secret: 'web-client-secret-0123456789',
    grant_types: ['authorization_code'],
    redirect_uris: ['http://127.0.0.1:9/callback'],
    response_types: ['code'],
    scope: 'openid items:read',
  },
  {
    client_id: 'turnpike-gateway',
    client_secret: 'introspection-secret-0123456789',
    grant_types: [],
    redirect_uris: [],
    response_types: [],
  },
] as const;
const [mapped, unmapped, portalClient, webClient, gatewayClient] = clients;

let idp: TestProvider;
let backend: Server;
let applicationId = '';
let apiIds: Record<keyof typeof ctx, string>;
let admin: Client;
let developer: Client;

const get = (path: string, token?: string) =>
  fetch(`${gatewayUrl}${path}`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });

/** A token signed with `key` (the provider's own, or a stranger's), with the claims oidc-provider puts in its JWT access tokens. */
async function forged(
  key: JWK,
  claims: Record<string, unknown>,
  options: { issuer?: string; audience?: string; expiresIn?: number; kid?: string } = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: mapped.client_id, scope: 'items:read', ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: options.kid ?? String(key.kid) })
    .setIssuer(options.issuer ?? idp.issuer)
    .setAudience(options.audience ?? AUDIENCE)
    .setSubject(mapped.client_id)
    .setIssuedAt(now - 600)
    .setJti(crypto.randomUUID())
    .setExpirationTime(now + (options.expiresIn ?? 300))
    .sign(await importJWK(key, 'ES256'));
}

async function problemType(res: Response): Promise<string> {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return ((await res.json()) as { type: string }).type;
}

beforeAll(async () => {
  idp = await startProvider(
    IDP_PORT,
    clients.map((c) => ({
      ...c,
      grant_types: [...c.grant_types],
      redirect_uris: [...c.redirect_uris],
      response_types: [...c.response_types],
    })),
  );
  backend = createServer((req, res) => {
    received.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const anon = new Client(controlPlaneUrl);
  admin = await tokenFor(anon, demo.users.admin, ['admin:settings', 'admin:blocking']);
  const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
  developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
  const definition = (context: string) => ({
    name: `External ${context}`,
    context,
    version: 'v1',
    subscriptionTiers: ['Unlimited', DEMO_TIER.name],
    resources: [
      { method: 'GET', path: '/items', authType: 'oauth2' },
      { method: 'GET', path: '/admin', authType: 'oauth2', scopes: ['items:admin'] },
    ],
    endpoints: { production: { strategy: 'single', urls: [{ url: `${base}/backend`, timeoutMs: 2000 }] } },
  });
  apiIds = { open: await publishApi(publisher, definition(ctx.open)), metered: await publishApi(publisher, definition(ctx.metered)) };
  const km = await admin.expect<{ issuer: string; jwksUri: string; introspectionEndpoint: string; hasIntrospectionSecret: boolean }>(
    [201],
    'POST',
    '/api/admin/v1/key-managers',
    {
      name: kmName,
      displayName: 'Test IdP',
      discoveryUrl: idp.discoveryUrl,
      audience: AUDIENCE,
      introspection: { clientId: gatewayClient.client_id, clientSecret: gatewayClient.client_secret },
      jwksCooldownSeconds: COOLDOWN_SECONDS,
    },
  );
  expect(km.body).toMatchObject({
    issuer: idp.issuer,
    jwksUri: `${idp.issuer}/jwks`,
    introspectionEndpoint: `${idp.issuer}/token/introspection`,
    hasIntrospectionSecret: true,
  });
  for (const id of Object.values(apiIds))
    await publisher.expect([200], 'PUT', `/api/publisher/v1/apis/${id}/key-managers`, { keyManagers: [kmName] });
  const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: `External app ${stamp}` });
  applicationId = app.body.id;
  await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', { applicationId, apiId: apiIds.open, tier: 'Unlimited' });
  await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', { applicationId, apiId: apiIds.metered, tier: DEMO_TIER.name });
});

afterAll(async () => {
  await idp?.close();
  await new Promise<void>((r) => (backend === undefined ? r() : backend.close(() => r())));
});

describe('external key managers (oidc-provider as the IdP)', () => {
  it('maps an external client only with its secret, proven at the provider, and only once', async () => {
    const wrong = await developer.call<{ errors: Array<{ pointer: string }> }>(
      'POST',
      `/api/devportal/v1/applications/${applicationId}/external-clients`,
      { keyManager: kmName, clientId: mapped.client_id, clientSecret: 'not-the-secret' },
    );
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors[0]?.pointer).toBe('/clientSecret');
    const made = await developer.expect<{ clientId: string; keyManager: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${applicationId}/external-clients`,
      { keyManager: kmName, clientId: mapped.client_id, clientSecret: mapped.client_secret },
    );
    expect(made.body).toMatchObject({ clientId: mapped.client_id, keyManager: kmName });
    const again = await developer.call('POST', `/api/devportal/v1/applications/${applicationId}/external-clients`, {
      keyManager: kmName,
      clientId: mapped.client_id,
      clientSecret: mapped.client_secret,
    });
    expect(again.status).toBe(409);
    const list = await developer.expect<{ list: Array<{ clientId: string }> }>(
      [200],
      'GET',
      `/api/devportal/v1/applications/${applicationId}/external-clients`,
    );
    expect(list.body.list.map((x) => x.clientId)).toEqual([mapped.client_id]);
  });

  it('serves a client-credentials JWT of the mapped client (200), without passing the token upstream', async () => {
    const token = await idp.clientCredentials(mapped.client_id, mapped.client_secret, { resource: AUDIENCE });
    expect(token.split('.')).toHaveLength(3);
    received.length = 0;
    const res = await get(`${ctx.open}/v1/items`, token);
    expect(res.status).toBe(200);
    expect(received).toHaveLength(1);
    expect(received[0]?.headers['authorization']).toBeUndefined();
    // Scopes come from the token through the key manager's claim mapping.
    expect((await get(`${ctx.open}/v1/admin`, token)).status).toBe(403);
    const admin = await idp.clientCredentials(mapped.client_id, mapped.client_secret, { resource: AUDIENCE, scope: 'items:admin' });
    expect((await get(`${ctx.open}/v1/admin`, admin)).status).toBe(200);
  });

  it('serves an authorization-code token of a user, from a client mapped although it may not use client credentials', async () => {
    // The proof: the provider refuses the grant for the real secret (400) but the client for a wrong one (401).
    await developer.expect([201], 'POST', `/api/devportal/v1/applications/${applicationId}/external-clients`, {
      keyManager: kmName,
      clientId: webClient.client_id,
      clientSecret: webClient.client_secret,
    });
    const token = await idp.authorizationCode(
      { id: webClient.client_id, secret: webClient.client_secret, redirectUri: webClient.redirect_uris[0] },
      'alice',
      AUDIENCE,
    );
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub: string; client_id: string };
    expect(claims).toMatchObject({ sub: 'alice', client_id: webClient.client_id });
    expect((await get(`${ctx.open}/v1/items`, token)).status).toBe(200);
  });

  it('refuses an unmapped client with 403 and a clear problem', async () => {
    const token = await idp.clientCredentials(unmapped.client_id, unmapped.client_secret, { resource: AUDIENCE });
    const res = await get(`${ctx.open}/v1/items`, token);
    expect(res.status).toBe(403);
    expect(await problemType(res)).toBe('https://turnpike.dev/problems/external-client-not-mapped');
  });

  it('refuses tokens for another audience, from an unregistered issuer, or expired beyond the leeway (401)', async () => {
    const otherAudience = await idp.clientCredentials(mapped.client_id, mapped.client_secret, { resource: OTHER_AUDIENCE });
    const key = idp.keys[0];
    if (key === undefined) throw new Error('the provider has no key');
    const stranger = await newSigningKey();
    const tokens = {
      otherAudience,
      wrongIssuer: await forged(stranger, {}, { issuer: 'http://127.0.0.1:9/not-registered' }),
      expired: await forged(key, {}, { expiresIn: -120 }),
      forgedWithIssuer: await forged(stranger, {}, { kid: String(key.kid) }),
    };
    received.length = 0;
    for (const [name, token] of Object.entries(tokens)) {
      const res = await get(`${ctx.open}/v1/items`, token);
      expect(res.status, name).toBe(401);
      expect(res.headers.get('www-authenticate'), name).toContain('error="invalid_token"');
    }
    // The same signing key, within its lifetime: accepted. The checks above are what refused.
    expect((await get(`${ctx.open}/v1/items`, await forged(key, {}))).status).toBe(200);
    expect(received).toHaveLength(1);
  });

  it('throttles external tokens by the mapped application’s subscription tier, as Turnpike’s own', async () => {
    const token = await idp.clientCredentials(mapped.client_id, mapped.client_secret, { resource: AUDIENCE });
    // The tier counts per minute: start early in one, so all six calls fall in the same window.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((r) => setTimeout(r, 60_500 - intoMinute));
    const statuses: number[] = [];
    for (let i = 0; i < DEMO_TIER.limit + 1; i++) statuses.push((await get(`${ctx.metered}/v1/items`, token)).status);
    expect(statuses).toEqual([...Array<number>(DEMO_TIER.limit).fill(200), 429]);
  }, 60_000);

  it('checks opaque tokens by introspection at the provider, caching the answer within its bound', async () => {
    const opaque = await idp.clientCredentials(mapped.client_id, mapped.client_secret, { resource: OPAQUE_RESOURCE });
    expect(opaque.split('.')).toHaveLength(1);
    const before = idp.counts.introspection;
    expect((await get(`${ctx.open}/v1/items`, opaque)).status).toBe(200);
    expect((await get(`${ctx.open}/v1/items`, opaque)).status).toBe(200);
    expect(idp.counts.introspection - before).toBe(1);
    const bogus = `opaque-${crypto.randomUUID()}`;
    expect((await get(`${ctx.open}/v1/items`, bogus)).status).toBe(401);
    expect((await get(`${ctx.open}/v1/items`, bogus)).status).toBe(401);
    // The negative answer is cached too: one more introspection for two calls.
    expect(idp.counts.introspection - before).toBe(2);
  });

  it('fetches the key set once for 500 tokens with random kids, however fast they come', async () => {
    const key = idp.keys[0];
    if (key === undefined) throw new Error('the provider has no key');
    const stranger = await newSigningKey();
    const tokens = await Promise.all(Array.from({ length: 500 }, () => forged(stranger, {}, { kid: `random-${crypto.randomUUID()}` })));
    // Past the cooldown the first unknown kid may fetch the set again — once; none of the others.
    const wait = idp.lastJwksAt + COOLDOWN_SECONDS * 1000 + 500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const before = idp.counts.jwks;
    const started = Date.now();
    const statuses: number[] = [];
    for (let i = 0; i < tokens.length; i += 25)
      statuses.push(...(await Promise.all(tokens.slice(i, i + 25).map(async (t) => (await get(`${ctx.open}/v1/items`, t)).status))));
    expect(Date.now() - started).toBeLessThan(COOLDOWN_SECONDS * 1000);
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(idp.counts.jwks - before).toBe(1);
    // The provider's own key still verifies from the set fetched.
    expect((await get(`${ctx.open}/v1/items`, await forged(key, {}))).status).toBe(200);
    expect(idp.counts.jwks - before).toBe(1);
  }, 90_000);

  it('picks up a key rotated at the provider without a restart, and refuses the rotated-out key', async () => {
    const oldToken = await idp.clientCredentials(mapped.client_id, mapped.client_secret, { resource: AUDIENCE });
    expect((await get(`${ctx.open}/v1/items`, oldToken)).status).toBe(200);
    await idp.rotate();
    const newToken = await idp.clientCredentials(mapped.client_id, mapped.client_secret, { resource: AUDIENCE });
    // The gateway refetches on the new kid once the cooldown since its last fetch has passed.
    const wait = idp.lastJwksAt + COOLDOWN_SECONDS * 1000 + 500 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const before = idp.counts.jwks;
    expect((await get(`${ctx.open}/v1/items`, newToken)).status).toBe(200);
    expect(idp.counts.jwks - before).toBe(1);
    // The old key is no longer published: its token (verified and cached a moment ago) is refused now.
    expect((await get(`${ctx.open}/v1/items`, oldToken)).status).toBe(401);
  }, 90_000);

  it('publishes RFC 9728 metadata naming both authorization servers, and points challenges at it', async () => {
    const res = await get(`/.well-known/oauth-protected-resource${ctx.open}/v1`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      resource: string;
      authorization_servers: string[];
      scopes_supported: string[];
      bearer_methods_supported: string[];
    };
    expect(body.resource).toBe(`${gatewayUrl}${ctx.open}/v1`);
    expect(body.authorization_servers).toContain(idp.issuer);
    expect(body.authorization_servers).toHaveLength(2);
    expect(body.scopes_supported).toEqual(['items:admin']);
    expect(body.bearer_methods_supported).toEqual(['header']);
    const refused = await get(`${ctx.open}/v1/items`);
    expect(refused.headers.get('www-authenticate')).toBe(
      `Bearer realm="turnpike", resource_metadata="${gatewayUrl}/.well-known/oauth-protected-resource${ctx.open}/v1"`,
    );
    expect((await get('/.well-known/oauth-protected-resource/no-such-api/v1')).status).toBe(404);
  });

  it('blocks the mapped application’s external calls like its own, and refuses them once the client is unmapped', async () => {
    const token = await idp.clientCredentials(mapped.client_id, mapped.client_secret, { resource: AUDIENCE });
    expect((await get(`${ctx.open}/v1/items`, token)).status).toBe(200);
    const block = await admin.expect<{ id: string }>([201], 'POST', '/api/admin/v1/blocking-conditions', {
      conditionType: 'APPLICATION',
      conditionValue: applicationId,
    });
    const blocked = await get(`${ctx.open}/v1/items`, token);
    expect(blocked.status).toBe(403);
    expect(await problemType(blocked)).toBe('https://turnpike.dev/problems/request-blocked');
    await admin.expect([204], 'DELETE', `/api/admin/v1/blocking-conditions/${block.body.id}`);
    expect((await get(`${ctx.open}/v1/items`, token)).status).toBe(200);
    const list = await developer.expect<{ list: Array<{ id: string }> }>(
      [200],
      'GET',
      `/api/devportal/v1/applications/${applicationId}/external-clients`,
    );
    await developer.expect(
      [204],
      'DELETE',
      `/api/devportal/v1/applications/${applicationId}/external-clients/${list.body.list[0]?.id ?? ''}`,
    );
    const gone = await get(`${ctx.open}/v1/items`, token);
    expect(gone.status).toBe(403);
    expect(await problemType(gone)).toBe('https://turnpike.dev/problems/external-client-not-mapped');
  });

  it('lets a developer map an external client on the application page in Chromium, after which its tokens are served', async () => {
    const page = await signIn(demo.users.developer);
    await page.click('a[href="#/applications"]');
    const card = `[data-app="External app ${stamp}"]`;
    await page.waitForSelector(`${card} [data-form="external-client"]`);
    expect(await page.textContent(`${card} [data-section="external-clients"]`)).toContain(idp.issuer);
    await page.selectOption(`${card} [data-form="external-client"] select[data-pointer="/keyManager"]`, kmName);
    await page.fill(`${card} [data-form="external-client"] input[data-pointer="/clientId"]`, portalClient.client_id);
    await page.fill(`${card} [data-form="external-client"] input[data-pointer="/clientSecret"]`, portalClient.client_secret);
    await page.click(`${card} [data-form="external-client"] button[type="submit"]`);
    await page.waitForSelector(`${card} [data-client="${portalClient.client_id}"]`);
    await page.screenshot({ path: join(shots, 'external-clients.png'), fullPage: true });
    await page.context().close();
    const token = await idp.clientCredentials(portalClient.client_id, portalClient.client_secret, { resource: AUDIENCE });
    expect((await get(`${ctx.open}/v1/items`, token)).status).toBe(200);
  });

  it('shows the admin the registered key manager with what discovery found', async () => {
    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/key-managers`);
    const row = await page.waitForSelector(`[data-key-manager="${kmName}"]`);
    const text = (await row.textContent()) ?? '';
    expect(text).toContain(idp.issuer);
    expect(text).toContain('JWT (JWKS), opaque (introspection)');
    await page.screenshot({ path: join(shots, 'admin-key-managers.png'), fullPage: true });
    await page.context().close();
  });

  it('lets the publisher stop accepting the key manager for an API in Chromium, after which its tokens are refused there', async () => {
    const token = await idp.clientCredentials(portalClient.client_id, portalClient.client_secret, { resource: AUDIENCE });
    const page = await signIn(demo.users.publisher);
    await page.goto(`${portalUrl}/#/publisher/apis/${apiIds.open}/key-managers`);
    const box = `#key-managers-form input[value="${kmName}"]`;
    await page.waitForSelector(box);
    expect(await page.isChecked(box)).toBe(true);
    await page.uncheck(box);
    await page.click('#key-managers-form button[type="submit"]');
    await page.waitForFunction((selector) => document.querySelector<HTMLInputElement>(selector)?.checked === false, box);
    await page.context().close();
    const publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, ['api:view']);
    expect(
      (await publisher.expect<{ keyManagers: string[] }>([200], 'GET', `/api/publisher/v1/apis/${apiIds.open}/key-managers`)).body
        .keyManagers,
    ).toEqual([]);
    // Live: no revision or deploy, and the issuer is no longer one this API trusts.
    expect((await get(`${ctx.open}/v1/items`, token)).status).toBe(401);
  });
});
