import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken, publishApi, rawRequest } from './support.ts';

/** A backend that records every request it receives, so "never reached the backend" is an assertion. */
interface Recorded {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}
const received: Recorded[] = [];
let backend: Server;
let backendUrl = '';

const { gatewayUrl, controlPlaneUrl, demo } = usePlatform();
let token = '';
let recordedApiId = '';
const context = '/recorded';

beforeAll(async () => {
  backend = createServer((req, res) => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ ok: true }));
    });
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;

  const anon = new Client(controlPlaneUrl);
  const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
  const apiId = await publishApi(publisher, {
    name: 'Recorded',
    context,
    version: 'v1',
    subscriptionTiers: ['Unlimited'],
    resources: [
      { method: 'GET', path: '/items', authType: 'oauth2' },
      { method: 'GET', path: '/items/{id}', authType: 'oauth2' },
      { method: 'POST', path: '/items', authType: 'oauth2' },
      { method: 'GET', path: '/keyed', authType: 'oauth2_or_api_key' },
    ],
    endpoints: { production: { urls: [{ url: `${backendUrl}/base`, timeoutMs: 5000 }] } },
  });
  const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
  await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
    applicationId: demo.application.id,
    apiId,
    tier: 'Unlimited',
  });
  recordedApiId = apiId;
  token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
});

afterAll(async () => {
  await new Promise<void>((resolve) => backend.close(() => resolve()));
});

describe('gateway over HTTP', () => {
  it('forwards an authorised call without the credential and with the request id', async () => {
    received.length = 0;
    // A client's own X-Request-ID is replaced, not joined to the gateway's.
    const res = await fetch(`${gatewayUrl}${context}/v1/items?x=1`, {
      headers: {
        authorization: `Bearer ${token}`,
        'x-jwt-assertion': 'forged',
        'x-http-method-override': 'DELETE',
        'x-request-id': 'forged',
      },
    });
    expect(res.status).toBe(200);
    expect(received).toHaveLength(1);
    const got = received[0];
    expect(got?.url).toBe('/base/items?x=1');
    expect(got?.headers['authorization']).toBeUndefined();
    expect(got?.headers['x-jwt-assertion']).toBeUndefined();
    expect(got?.headers['x-http-method-override']).toBeUndefined();
    expect(got?.headers['x-request-id']).toBe(res.headers.get('x-request-id'));
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it.each([
    `${context}/v1/items%2F1`,
    `${context}/v1/items;x=1`,
    `${context}/v1/items/%00`,
    `${context}//v1/items`,
    `${context}/v1/items%5c1`,
    `${context}/v1/%252e%252e/items`,
  ])('refuses the ambiguous path %s with 400 before anything reaches the backend', async (target) => {
    received.length = 0;
    const res = await rawRequest(gatewayUrl, target, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(400);
    expect(res.headers.toLowerCase()).toContain('content-type: application/problem+json');
    expect(received).toHaveLength(0);
  });

  // workerd parses the request target as a WHATWG URL before the Worker runs, resolving dot
  // segments (also percent-encoded ones) and backslashes. The gateway sees, authorises and forwards
  // that one resolved path: never a different resource than the one it checked.
  it.each([
    [`${context}/v1/items/../items`, '/base/items'],
    [`${context}/v1/./items`, '/base/items'],
    [`${context}/v1/items/%2e%2e/items`, '/base/items'],
    [`${context}/v1/items\\1`, '/base/items/1'],
    [`${context}/v1/secret/../../v1/items`, '/base/items'],
  ])('resolves %s once and forwards exactly the resource it authorised', async (target, forwarded) => {
    received.length = 0;
    const anonymous = await rawRequest(gatewayUrl, target);
    expect(anonymous.status).toBe(401);
    expect(received).toHaveLength(0);
    const res = await rawRequest(gatewayUrl, target, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(200);
    expect(received.map((r) => r.url)).toEqual([forwarded]);
  });

  it('never lets a refused call reach the backend', async () => {
    received.length = 0;
    expect((await fetch(`${gatewayUrl}${context}/v1/items`)).status).toBe(401);
    expect((await fetch(`${gatewayUrl}${context}/v1/items`, { headers: { authorization: 'Bearer not-a-jwt' } })).status).toBe(401);
    expect(
      (await fetch(`${gatewayUrl}${context}/v1/items`, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(405);
    expect((await fetch(`${gatewayUrl}${context}/v1/items?access_token=${token}`)).status).toBe(401);
    expect(received).toHaveLength(0);
  });

  it('accepts an API key from the devportal, never forwards it, and refuses it on the next request once revoked', async () => {
    const developer = await tokenFor(new Client(controlPlaneUrl), demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    const created = await developer.expect<{ id: string; key: string; prefix: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${demo.application.id}/api-keys`,
      { name: 'e2e key' },
    );
    expect(created.body.key.startsWith(created.body.prefix)).toBe(true);
    received.length = 0;
    const ok = await fetch(`${gatewayUrl}${context}/v1/keyed`, { headers: { apikey: created.body.key } });
    expect(ok.status).toBe(200);
    expect(received[0]?.headers['apikey']).toBeUndefined();
    expect((await fetch(`${gatewayUrl}${context}/v1/items`, { headers: { apikey: created.body.key } })).status).toBe(401);
    await developer.expect([204], 'DELETE', `/api/devportal/v1/applications/${demo.application.id}/api-keys/${created.body.id}`);
    received.length = 0;
    expect((await fetch(`${gatewayUrl}${context}/v1/keyed`, { headers: { apikey: created.body.key } })).status).toBe(401);
    expect(received).toHaveLength(0);
  });

  it('refuses the next call after the publisher blocks the subscription, and serves again once unblocked', async () => {
    const publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, ['api:subscriptions', 'api:view']);
    const subs = await publisher.expect<{ list: Array<{ id: string; applicationId: string }> }>(
      [200],
      'GET',
      `/api/publisher/v1/apis/${recordedApiId}/subscriptions`,
    );
    const sub = subs.body.list.find((s) => s.applicationId === demo.application.id);
    expect(sub).toBeDefined();
    await publisher.expect([200], 'POST', `/api/publisher/v1/subscriptions/${sub?.id}/block`, { status: 'BLOCKED' });
    received.length = 0;
    const blocked = await fetch(`${gatewayUrl}${context}/v1/items`, { headers: { authorization: `Bearer ${token}` } });
    expect(blocked.status).toBe(403);
    expect(((await blocked.json()) as { code: number }).code).toBe(900909);
    expect(received).toHaveLength(0);
    await publisher.expect([200], 'POST', `/api/publisher/v1/subscriptions/${sub?.id}/unblock`);
    expect((await fetch(`${gatewayUrl}${context}/v1/items`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it('answers 502 when the backend refuses the connection', async () => {
    const anon = new Client(controlPlaneUrl);
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
    const apiId = await publishApi(publisher, {
      name: 'Down',
      context: '/down',
      version: 'v1',
      subscriptionTiers: ['Unlimited'],
      resources: [{ method: 'GET', path: '/items', authType: 'oauth2' }],
      // A port nothing listens on: connection refused.
      endpoints: { production: { urls: [{ url: 'http://127.0.0.1:9', timeoutMs: 3000 }] } },
    });
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: demo.application.id,
      apiId,
      tier: 'Unlimited',
    });
    const fresh = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
    const res = await fetch(`${gatewayUrl}/down/v1/items`, { headers: { authorization: `Bearer ${fresh}` } });
    expect(res.status).toBe(502);
    expect(((await res.json()) as { code: number }).code).toBe(101503);
  });
});
