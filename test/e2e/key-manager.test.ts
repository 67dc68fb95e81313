import * as oauth from 'oauth4webapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { decodeProtectedHeader } from 'jose';
import { LOCAL_SIGNING_KEY_PUBLISH_SECONDS } from '../../scripts/lib/platform.ts';
import { publishApi } from './support.ts';

/**
 * Turnpike's own Key Manager over HTTP: a client registered dynamically by oauth4webapi calls an
 * API through the gateway; an API key rolled with an overlap works beside its successor, and one
 * rolled without an overlap stops at the very next call.
 */
const { controlPlaneUrl, gatewayUrl, demoBackendUrl, demo } = usePlatform();
const insecure = { [oauth.allowInsecureRequests]: true };
const context = `/kmown${Date.now().toString(36)}`;
let apiId = '';
let as: oauth.AuthorizationServer;
let developer: Client;
let initialAccessToken = '';

beforeAll(async () => {
  const anon = new Client(controlPlaneUrl);
  const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
  apiId = await publishApi(publisher, {
    name: `Key Manager e2e ${context}`,
    context,
    version: 'v1',
    subscriptionTiers: ['Unlimited'],
    resources: [{ method: 'GET', path: '/pets', authType: 'oauth2_or_api_key' }],
    endpoints: { production: { urls: [{ url: demoBackendUrl, timeoutMs: 5000 }] } },
  });
  developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
  await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
    applicationId: demo.application.id,
    apiId,
    tier: 'Unlimited',
  });
  initialAccessToken = (
    await developer.expect<{ token: string }>([201], 'POST', '/api/auth/tokens', {
      name: 'dcr initial access token',
      scopes: ['apps:manage'],
    })
  ).body.token;
  as = await oauth.processDiscoveryResponse(
    new URL(controlPlaneUrl),
    await oauth.discoveryRequest(new URL(controlPlaneUrl), { algorithm: 'oauth2', ...insecure }),
  );
});

const call = (headers: Record<string, string>) =>
  fetch(`${gatewayUrl}${context}/v1/pets`, { headers }).then(async (res) => (await res.arrayBuffer(), res.status));

describe('dynamic client registration, judged by oauth4webapi', () => {
  it('registers a client that gets a token and calls a subscribed API through the gateway, until it deregisters', async () => {
    expect(as.registration_endpoint).toBe(`${controlPlaneUrl}/oauth2/register`);
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        { client_name: 'e2e robot', grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_basic' },
        { initialAccessToken, ...insecure },
      ),
    );
    expect(registered.client_id).toMatch(/^ck_/);
    const applicationId = String(registered['application_id']);
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', { applicationId, apiId, tier: 'Unlimited' });

    const client: oauth.Client = { client_id: registered.client_id };
    const auth = oauth.ClientSecretBasic(String(registered['client_secret']));
    const grant = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure),
    );
    expect(await call({ authorization: `Bearer ${grant.access_token}` })).toBe(200);

    // RFC 7592: the registration access token deletes it; its tokens stop at the gateway at once.
    const uri = String(registered['registration_client_uri']);
    const deleted = await fetch(uri, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${String(registered['registration_access_token'])}` },
    });
    expect(deleted.status).toBe(204);
    expect(await call({ authorization: `Bearer ${grant.access_token}` })).toBe(401);
  });

  it('refuses a registration with a non-web redirect URI as invalid_redirect_uri', async () => {
    const response = await oauth.dynamicClientRegistrationRequest(
      as,
      { redirect_uris: ['javascript:alert(1)'] },
      { initialAccessToken, ...insecure },
    );
    await expect(oauth.processDynamicClientRegistrationResponse(response)).rejects.toMatchObject({ error: 'invalid_redirect_uri' });
  });
});

describe('rolling an API key', () => {
  it('keeps the old key working beside the new one during the overlap, and with no overlap stops it at the next call', async () => {
    const first = await developer.expect<{ id: string; key: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${demo.application.id}/api-keys`,
      { name: 'rolled in e2e' },
    );
    expect(await call({ apikey: first.body.key })).toBe(200);

    const second = await developer.expect<{ key: { id: string; key: string }; previous: { expiresAt: number } }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${demo.application.id}/api-keys/${first.body.id}/roll`,
      { overlapSeconds: 3600 },
    );
    expect(await call({ apikey: first.body.key })).toBe(200);
    expect(await call({ apikey: second.body.key.key })).toBe(200);

    const third = await developer.expect<{ key: { key: string } }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${demo.application.id}/api-keys/${second.body.key.id}/roll`,
      { overlapSeconds: 0 },
    );
    expect(await call({ apikey: second.body.key.key })).toBe(401);
    expect(await call({ apikey: third.body.key.key })).toBe(200);
  });
});

describe('signing-key rotation in the middle of traffic', () => {
  it('drops no valid call: tokens of the old and the new key pass the gateway before, during and after the switch', async () => {
    const admin = await tokenFor(new Client(controlPlaneUrl), demo.users.admin, ['admin:settings']);
    const client: oauth.Client = { client_id: demo.application.clientId };
    const auth = oauth.ClientSecretBasic(demo.application.clientSecret);
    const fresh = async () =>
      (
        await oauth.processClientCredentialsResponse(
          as,
          client,
          await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure),
        )
      ).access_token;
    const oldToken = await fresh();
    const added = await admin.expect<{ kid: string }>([201], 'POST', '/api/admin/v1/signing-keys');
    const statuses: number[] = [];
    const kids = new Set<string>();
    let running = true;
    // Traffic: a fresh token and a call with it, plus a call with the token issued before the rotation.
    const traffic = (async () => {
      while (running) {
        const token = await fresh();
        kids.add(decodeProtectedHeader(token).kid ?? '');
        statuses.push(await call({ authorization: `Bearer ${token}` }), await call({ authorization: `Bearer ${oldToken}` }));
      }
    })();
    await new Promise((r) => setTimeout(r, LOCAL_SIGNING_KEY_PUBLISH_SECONDS * 1000 + 500));
    await admin.expect([200], 'POST', `/api/admin/v1/signing-keys/${added.body.kid}/activate`);
    // Isolates re-read the key set within 10 s; keep calling until the new key has signed a while.
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !kids.has(added.body.kid)) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 1000));
    running = false;
    await traffic;
    expect(kids.has(added.body.kid)).toBe(true);
    expect(kids.size).toBe(2);
    expect(statuses.length).toBeGreaterThan(10);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });
});
