import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { AUDIENCE, startProvider, type TestProvider } from '../support/oidc-provider.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';
import { publishApi } from './support.ts';

/**
 * A developer registers a client at an external provider from the application page (RFC 7591,
 * decision 0052): panva's oidc-provider with its registration feature behind an initial access
 * token the admin gave Turnpike. The new client is mapped at once, so its client-credentials
 * token calls the application's subscribed API through the gateway.
 */
const { gatewayUrl, controlPlaneUrl, portalUrl, demo } = usePlatform();
const { signIn } = useBrowser(portalUrl);
// Two past the port external-key-managers.test.ts gives its provider.
const IDP_PORT = Number(process.env.TURNPIKE_E2E_PORT_BASE ?? 28787) + 102;
const INITIAL_ACCESS_TOKEN = 'dcr-initial-access-token-0123456789';
const stamp = Date.now().toString(36);
const kmName = `dcr-${stamp}`;
const context = `/dcr${stamp}`;
const appName = `DCR app ${stamp}`;

let idp: TestProvider;
let backend: Server;

beforeAll(async () => {
  idp = await startProvider(IDP_PORT, [], { registrationAccessToken: INITIAL_ACCESS_TOKEN });
  backend = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const anon = new Client(controlPlaneUrl);
  const admin = await tokenFor(anon, demo.users.admin, ['admin:settings']);
  const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
  const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
  const km = await admin.expect<{ id: string; registrationEndpoint: string | null }>([201], 'POST', '/api/admin/v1/key-managers', {
    name: kmName,
    displayName: 'DCR IdP',
    discoveryUrl: idp.discoveryUrl,
    audience: AUDIENCE,
  });
  expect(km.body.registrationEndpoint).toBe(`${idp.issuer}/reg`);
  await admin.expect([200], 'PUT', `/api/admin/v1/key-managers/${km.body.id}/registration`, { initialAccessToken: INITIAL_ACCESS_TOKEN });
  const apiId = await publishApi(publisher, {
    name: `DCR ${stamp}`,
    context,
    version: 'v1',
    subscriptionTiers: ['Unlimited'],
    resources: [{ method: 'GET', path: '/items', authType: 'oauth2' }],
    endpoints: {
      production: {
        strategy: 'single',
        urls: [{ url: `http://127.0.0.1:${(backend.address() as AddressInfo).port}/backend`, timeoutMs: 2000 }],
      },
    },
  });
  await publisher.expect([200], 'PUT', `/api/publisher/v1/apis/${apiId}/key-managers`, { keyManagers: [kmName] });
  const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: appName });
  await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', { applicationId: app.body.id, apiId, tier: 'Unlimited' });
});

afterAll(async () => {
  await idp?.close();
  await new Promise<void>((r) => (backend === undefined ? r() : backend.close(() => r())));
});

describe('client registration from the portal: at an external provider, and at Turnpike with an admin-issued token (Chromium)', () => {
  it('registers a client at oidc-provider with the initial access token, maps it, and its token calls the API (200)', async () => {
    const page = await signIn(demo.users.developer);
    await page.click('a[href="#/applications"]');
    const row = `[data-app="${appName}"] [data-section="key-manager-choice"] tr[data-key-manager-choice="${kmName}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain(`DCR ${stamp} v1`);
    await page.click(`${row} [data-form="register-client"] button[type="submit"]`);
    const clientId = (await page.textContent(`${row} [data-field="client-id"]`, { timeout: 30_000 })) ?? '';
    const clientSecret = (await page.textContent(`${row} [data-field="client-secret"]`)) ?? '';
    expect(clientId).not.toBe('');
    await page.screenshot({ path: join(shots, 'portal-external-registration.png'), fullPage: true });
    await page.click(`${row} button:has-text("Done")`);
    await page.waitForSelector(`[data-app="${appName}"] [data-client="${clientId}"]`);
    await page.context().close();

    const token = await idp.clientCredentials(clientId, clientSecret, { resource: AUDIENCE });
    let status = 0;
    for (let i = 0; i < 40 && status !== 200; i++) {
      status = (await fetch(`${gatewayUrl}${context}/v1/items`, { headers: { authorization: `Bearer ${token}` } })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(status).toBe(200);
  });

  it('is refused by the provider without the initial access token, so only Turnpike can register there', async () => {
    const res = await fetch(`${idp.issuer}/reg`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_types: ['client_credentials'], response_types: [], redirect_uris: [] }),
    });
    expect(res.status).toBe(401);
  });

  it('lets an admin issue an initial access token in Chromium with which a client registers at Turnpike once, as the named developer', async () => {
    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/registration-tokens`);
    await page.fill('#iat-owner', demo.users.developer.email);
    await page.fill('#iat-uses', '1');
    await page.click('#iat-issue');
    const token = (await page.textContent('#iat-token')) ?? '';
    expect(token).toMatch(/^tpi_/);
    await page.context().close();
    const registerWith = () =>
      fetch(`${controlPlaneUrl}/oauth2/register`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ client_name: `Partner ${stamp}`, grant_types: ['client_credentials'] }),
      });
    const first = await registerWith();
    expect(first.status).toBe(201);
    const info = (await first.json()) as { application_id: string };
    expect((await registerWith()).status).toBe(401);
    const developer = await tokenFor(new Client(controlPlaneUrl), demo.users.developer, ['apps:manage']);
    const apps = await developer.expect<{ list: Array<{ id: string }> }>([200], 'GET', '/api/devportal/v1/applications');
    expect(apps.body.list.map((a) => a.id)).toContain(info.application_id);
  });
});
