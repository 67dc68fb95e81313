import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken, publishApi, webhookReceiver } from './support.ts';

interface UsagePoint {
  apiId: string;
  requests: number;
  statusClasses: Record<string, number>;
  throttled: number;
  latencyMs: { p50: number | null; p95: number | null; max: number };
}

/** Known traffic through the running gateway, read back from the analytics API (queue → rollups). */
describe('usage analytics', () => {
  const { gatewayUrl, controlPlaneUrl, demoBackendUrl, demo } = usePlatform();

  it('counts every call exactly, by status class, throttling and error code, with sane latencies', async () => {
    const anon = new Client(controlPlaneUrl);
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    const context = `/counted${Date.now()}`;
    const apiId = await publishApi(publisher, {
      name: `Counted ${Date.now()}`,
      context,
      version: 'v1',
      subscriptionTiers: ['Demo5PerMin'],
      resources: [{ method: 'GET', path: '/pets', authType: 'oauth2' }],
      endpoints: { production: { urls: [{ url: demoBackendUrl }] } },
    });
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: `Counted ${Date.now()}` });
    const keys = await developer.expect<{ consumerKey: string; consumerSecret: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      { keyType: 'PRODUCTION' },
    );
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: app.body.id,
      apiId: apiId,
      tier: 'Demo5PerMin',
    });
    const token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, keys.body.consumerKey, keys.body.consumerSecret);

    // Stay inside one minute window so the tier's five are the five that pass.
    const secondsLeft = 60 - (Math.floor(Date.now() / 1000) % 60);
    if (secondsLeft < 10) await new Promise((r) => setTimeout(r, (secondsLeft + 1) * 1000));
    const from = Date.now() - 60_000;
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++)
      statuses.push((await fetch(`${gatewayUrl}${context}/v1/pets`, { headers: { authorization: `Bearer ${token}` } })).status);
    for (let i = 0; i < 2; i++) statuses.push((await fetch(`${gatewayUrl}${context}/v1/pets`)).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 401, 401]);

    // Usage leaves the gateway in a batch up to 15 s later (decision 0059), through the queue: poll, bounded.
    let points: UsagePoint[] = [];
    for (let i = 0; i < 60; i++) {
      const usage = await publisher.expect<{ list: UsagePoint[] }>(
        [200],
        'GET',
        `/api/publisher/v1/usage?apiId=${apiId}&granularity=day&from=${from}`,
      );
      points = usage.body.list;
      if (points.reduce((n, p) => n + p.requests, 0) >= 9) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const sum = (f: (p: UsagePoint) => number) => points.reduce((n, p) => n + f(p), 0);
    expect(sum((p) => p.requests)).toBe(9);
    expect(sum((p) => p.statusClasses['2xx'] ?? 0)).toBe(5);
    expect(sum((p) => p.statusClasses['4xx'] ?? 0)).toBe(4);
    expect(sum((p) => p.throttled)).toBe(2);
    for (const p of points) {
      expect(p.latencyMs.max).toBeGreaterThanOrEqual(0);
      expect(p.latencyMs.max).toBeLessThan(10_000);
      expect(p.latencyMs.p50).not.toBeNull();
    }

    const errors = await publisher.expect<{ list: Array<{ code: number; count: number }> }>(
      [200],
      'GET',
      `/api/publisher/v1/usage/errors?apiId=${apiId}&granularity=day&from=${from}`,
    );
    const byCode = new Map<number, number>();
    for (const e of errors.body.list) byCode.set(e.code, (byCode.get(e.code) ?? 0) + e.count);
    expect(Object.fromEntries(byCode)).toEqual({ 900804: 2, 900902: 2 });

    // The developer sees the same calls of their application, and nobody else's.
    const mine = await developer.expect<{ list: UsagePoint[] }>(
      [200],
      'GET',
      `/api/devportal/v1/usage?applicationId=${app.body.id}&granularity=day&from=${from}`,
    );
    expect(mine.body.list.reduce((n, p) => n + p.requests, 0)).toBe(7);

    // An alert on the API's error rate (2 of 9 calls were 401: 22 %) fires from the control plane's
    // scheduled handler, run by the local launcher as the cron would be, and its webhook arrives signed.
    const hook = await webhookReceiver('/hook');
    const { received } = hook;
    try {
      const rule = await publisher.expect<{ id: string; secret: string }>([201], 'POST', '/api/publisher/v1/alerts', {
        scopeType: 'API',
        scopeId: apiId,
        metric: 'error_rate',
        threshold: 20,
        webhookUrl: hook.url,
      });
      for (let i = 0; i < 120 && received.length === 0; i++) await new Promise((r) => setTimeout(r, 500));
      expect(received).toHaveLength(1);
      const delivery = received[0];
      const payload = JSON.parse(delivery?.body ?? '{}') as { alertId: string; metric: string; value: number; threshold: number };
      expect(payload).toMatchObject({ alertId: rule.body.id, metric: 'error_rate', threshold: 20 });
      expect(payload.value).toBeCloseTo((2 / 9) * 100, 0);
      const [t, v1] = String(delivery?.headers['turnpike-signature'] ?? '')
        .split(',')
        .map((part) => part.split('=')[1]);
      expect(v1).toBe(createHmac('sha256', rule.body.secret).update(`${t}.${delivery?.body}`).digest('hex'));
      const events = await publisher.expect<{ list: Array<{ ruleId: string; deliveryStatus: number | null }> }>(
        [200],
        'GET',
        `/api/publisher/v1/alerts/events?alertId=${rule.body.id}`,
      );
      expect(events.body.list).toEqual([expect.objectContaining({ ruleId: rule.body.id, deliveryStatus: 204 })]);
    } finally {
      await hook.close();
    }
  });
});
