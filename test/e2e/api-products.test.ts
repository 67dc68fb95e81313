import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, DEMO_TIER, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken, publishApi } from './support.ts';

/** An API product (decision 0049) through the running gateway: one subscription, one quota, two APIs. */
const { gatewayUrl, controlPlaneUrl, demo } = usePlatform();
const suffix = Date.now().toString(36);
let backend: Server;
let token = '';
let subscriptionId = '';
let publisher: Client;

beforeAll(async () => {
  backend = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ served: req.url }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  const anon = new Client(controlPlaneUrl);
  publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view', 'api:subscriptions']);
  const definition = (name: string) => ({
    name,
    context: `/${name}${suffix}`,
    version: 'v1',
    subscriptionTiers: [DEMO_TIER.name],
    resources: [
      { method: 'GET', path: '/items', authType: 'oauth2' },
      { method: 'POST', path: '/items', authType: 'oauth2' },
    ],
    endpoints: { production: { urls: [{ url: base }] } },
  });
  const shop = await publishApi(publisher, definition('shop'));
  const billing = await publishApi(publisher, definition('billing'));
  const product = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/products', {
    name: `Bundle ${suffix}`,
    context: `/bundle${suffix}`,
    version: 'v1',
    subscriptionTiers: [DEMO_TIER.name],
    operations: [
      { apiId: shop, method: 'GET', path: '/items' },
      { apiId: billing, method: 'GET', path: '/items' },
    ],
  });
  await publisher.expect([200], 'POST', `/api/publisher/v1/products/${product.body.id}/lifecycle`, { state: 'PUBLISHED' });
  const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
  const sub = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/subscriptions', {
    applicationId: demo.application.id,
    apiId: product.body.id,
    tier: DEMO_TIER.name,
  });
  subscriptionId = sub.body.id;
  token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
});

afterAll(async () => {
  await new Promise<void>((r) => backend.close(() => r()));
});

describe('API products through the gateway', () => {
  it(
    "admits the product tier's quota once across operations of two APIs, refuses the rest with 429 on either, refuses an operation outside it with 403, and a block bites",
    { timeout: 90_000 },
    async () => {
      // The tier counts per minute window (aligned to the epoch): start with most of one ahead.
      if (Date.now() % 60_000 > 40_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 500));
      const headers = { authorization: `Bearer ${token}` };
      const urls = Array.from(
        { length: DEMO_TIER.limit + 3 },
        (_, i) => `${gatewayUrl}/${i % 2 === 0 ? 'shop' : 'billing'}${suffix}/v1/items`,
      );
      const answers = await Promise.all(
        urls.map(async (u) => {
          const res = await fetch(u, { headers });
          return { status: res.status, body: res.status === 200 ? '' : await res.text() };
        }),
      );
      const statuses = answers.map((a) => a.status);
      expect(
        statuses.filter((s) => s === 200),
        answers.map((a) => `${a.status} ${a.body}`).join('\n'),
      ).toHaveLength(DEMO_TIER.limit);
      expect(statuses.filter((s) => s === 429)).toHaveLength(3);
      for (const name of ['shop', 'billing']) {
        const over = await fetch(`${gatewayUrl}/${name}${suffix}/v1/items`, { headers });
        expect(over.status, name).toBe(429);
        await over.arrayBuffer();
      }
      const outside = await fetch(`${gatewayUrl}/shop${suffix}/v1/items`, { method: 'POST', headers, body: '{}' });
      expect(outside.status).toBe(403);
      expect(((await outside.json()) as { code: number }).code).toBe(900908);
      await publisher.expect([200], 'POST', `/api/publisher/v1/subscriptions/${subscriptionId}/block`, {});
      const blocked = await fetch(`${gatewayUrl}/billing${suffix}/v1/items`, { headers });
      expect(blocked.status).toBe(403);
      expect(((await blocked.json()) as { code: number }).code).toBe(900909);
    },
  );
});
