import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, DEMO_TIER, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken, publishApi } from './support.ts';

/** Response caching through the running gateway, against a backend that counts what reaches it. */
const { gatewayUrl, controlPlaneUrl, demo } = usePlatform();
const context = `/cached${Date.now().toString(36)}`;
let backend: Server;
let backendCalls = 0;
let apiId = '';
let token = '';
let publisher: Client;

const stored = () => new Promise((r) => setTimeout(r, 500));

beforeAll(async () => {
  backend = createServer((req, res) => {
    backendCalls += 1;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ served: req.url, call: backendCalls }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const anon = new Client(controlPlaneUrl);
  publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
  apiId = await publishApi(publisher, {
    name: 'cached',
    context,
    version: 'v1',
    subscriptionTiers: [DEMO_TIER.name],
    resources: [
      {
        method: 'GET',
        path: '/items',
        authType: 'oauth2',
        policies: [{ name: 'response-cache', config: { ttlSeconds: 120, queryParams: ['page'] } }],
      },
      { method: 'GET', path: '/open', authType: 'none', policies: [{ name: 'response-cache', config: { ttlSeconds: 120 } }] },
    ],
    endpoints: { production: { urls: [{ url: base }] } },
  });
  const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
  await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
    applicationId: demo.application.id,
    apiId,
    tier: DEMO_TIER.name,
  });
  token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
});

afterAll(async () => {
  await new Promise<void>((r) => backend.close(() => r()));
});

describe('response cache through the gateway', () => {
  it(
    'answers from the cache without the backend, with X-Cache and Age, still authenticated and counted against the tier',
    { timeout: 90_000 },
    async () => {
      // The tier counts per minute window (aligned to the epoch): start with most of one ahead.
      if (Date.now() % 60_000 > 45_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 500));
      const headers = { authorization: `Bearer ${token}` };
      const url = `${gatewayUrl}${context}/v1/items?page=1&utm=x`;
      const first = await fetch(url, { headers });
      expect(first.status).toBe(200);
      expect(first.headers.get('x-cache')).toBe('MISS');
      const body = await first.text();
      const before = backendCalls;
      await stored();
      const statuses: number[] = [];
      const cacheStates: Array<string | null> = [];
      for (let i = 0; i < DEMO_TIER.limit; i++) {
        const res = await fetch(`${gatewayUrl}${context}/v1/items?utm=y&page=1`, { headers });
        statuses.push(res.status);
        cacheStates.push(res.headers.get('x-cache'));
        if (res.status === 200) {
          expect(await res.text()).toBe(body);
          expect(Number(res.headers.get('age'))).toBeGreaterThanOrEqual(0);
        } else await res.arrayBuffer();
      }
      // One call went to the backend; the tier's other four were hits; the sixth is over the tier.
      expect(statuses).toEqual([200, 200, 200, 200, 429]);
      expect(cacheStates.slice(0, 4)).toEqual(['HIT', 'HIT', 'HIT', 'HIT']);
      expect(backendCalls).toBe(before);
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
      await anonymous.arrayBuffer();
    },
  );

  it('purges on demand from the publisher and on redeploy: the next call reaches the backend again', async () => {
    const url = `${gatewayUrl}${context}/v1/open`;
    await (await fetch(url)).arrayBuffer();
    await stored();
    const hit = await fetch(url);
    expect(hit.headers.get('x-cache')).toBe('HIT');
    await hit.arrayBuffer();

    const purged = await publisher.expect<{ environments: string[] }>(
      [200],
      'POST',
      `/api/publisher/v1/apis/${apiId}/response-cache/purge`,
    );
    expect(purged.body.environments).toContain('production');
    const before = backendCalls;
    const afterPurge = await fetch(url);
    expect(afterPurge.headers.get('x-cache')).toBe('MISS');
    await afterPurge.arrayBuffer();
    expect(backendCalls).toBe(before + 1);
    await stored();
    expect((await fetch(url)).headers.get('x-cache')).toBe('HIT');

    const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${apiId}/revisions`, {});
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${apiId}/deployments`, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    const afterDeploy = await fetch(url);
    expect(afterDeploy.headers.get('x-cache')).toBe('MISS');
    await afterDeploy.arrayBuffer();
  });
});
