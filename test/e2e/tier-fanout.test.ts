import { describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken, publishApi } from './support.ts';

const { gatewayUrl, controlPlaneUrl, demoBackendUrl, demo } = usePlatform();

interface Propagation {
  generation: number;
  total: number | null;
  done: number;
  finishedAt: number | null;
}

describe('a tier edit on the running platform', () => {
  it("reaches the gateway through the control plane's own queue (wrangler dev runs turnpike-sync)", async () => {
    const anon = new Client(controlPlaneUrl);
    const admin = await tokenFor(anon, demo.users.admin, ['admin:policies']);
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    const name = `E2eFan${Date.now()}`;
    const policy = await admin.expect<{ id: string }>([201], 'POST', '/api/admin/v1/throttling-policies', {
      kind: 'subscription',
      name,
      limit: 100,
      unitTime: 1,
      timeUnit: 'min',
    });
    const context = `/fanout${Date.now()}`;
    const apiId = await publishApi(publisher, {
      name: `Fan-out ${name}`,
      context,
      version: 'v1',
      subscriptionTiers: [name],
      resources: [{ method: 'GET', path: '/pets', authType: 'oauth2' }],
      endpoints: { production: { urls: [{ url: `${demoBackendUrl}/petstore` }] } },
    });
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', { applicationId: demo.application.id, apiId, tier: name });
    const token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
    const call = async () => (await fetch(`${gatewayUrl}${context}/v1/pets`, { headers: { authorization: `Bearer ${token}` } })).status;
    await expect.poll(call, { timeout: 20_000, interval: 250 }).toBe(200);

    await admin.expect([200], 'PUT', `/api/admin/v1/throttling-policies/${policy.body.id}`, {
      kind: 'subscription',
      name,
      limit: 1,
      unitTime: 1,
      timeUnit: 'min',
    });
    await expect
      .poll(
        async () => (await admin.expect<Propagation>([200], 'GET', `/api/admin/v1/throttling-policies/${policy.body.id}/propagation`)).body,
        { timeout: 30_000, interval: 250 },
      )
      .toMatchObject({ generation: 1, total: 1, done: 1, finishedAt: expect.any(Number) });
    // One call left in this minute's window at most (the count carries over the tier change), then 429.
    const statuses = [await call(), await call()];
    expect(statuses).toContain(429);
  });
});
