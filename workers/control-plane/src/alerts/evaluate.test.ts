import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { hmacSha256Hex } from '../../../shared/crypto.ts';
import { api, db, publishedApi, userWithRole } from '../../../../test/workers/control-plane-helpers.ts';
import { schema } from '../db.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';
import { evaluateAlerts, SIGNATURE_HEADER, type WebhookSender } from './evaluate.ts';

interface Created {
  id: string;
  secret: string;
}
interface Delivery {
  url: string;
  headers: Headers;
  body: string;
}

const hist = (bucket: number, n: number) => Array.from({ length: 14 }, (_, i) => (i === bucket ? n : 0));
const rollup = (
  apiId: string,
  applicationId: string,
  bucketStart: number,
  statusClass: string,
  requests: number,
  throttled: number,
  histogram: number[],
) => ({
  granularity: 'minute' as const,
  bucketStart,
  apiId,
  applicationId,
  keyType: 'PRODUCTION',
  statusClass,
  requests,
  throttled,
  requestBytes: 0,
  responseBytes: 0,
  latencyMsSum: 0,
  latencyMsMax: 0,
  latencyHistogram: histogram,
});

function recorder(): { send: WebhookSender; deliveries: Delivery[] } {
  const deliveries: Delivery[] = [];
  const send: WebhookSender = async (url, init) => {
    deliveries.push({ url, headers: new Headers(init.headers), body: String(init.body) });
    if (url.includes('down.example')) throw new Error('connection refused');
    return new Response(null, { status: 204 });
  };
  return { send, deliveries };
}

describe('alert evaluation', () => {
  it('fires rules at or over their threshold once per cooldown, signs the payload and keeps the firing queryable', async () => {
    const admin = await userWithRole('admin');
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const tier = `Alert${Date.now()}`;
    expect(
      (
        await api('POST', '/api/admin/v1/throttling-policies', admin, {
          kind: 'subscription',
          name: tier,
          limit: 5,
          unitTime: 1,
          timeUnit: 'min',
        })
      ).status,
    ).toBe(201);
    const apiId = await publishedApi(publisher, { subscriptionTiers: [tier] });
    const quietApi = await publishedApi(publisher);
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Alerted' });
    const sub = await api<{ id: string }>('POST', '/api/devportal/v1/subscriptions', dev, { applicationId: app.body.id, apiId, tier });
    expect(sub.status).toBe(201);

    const create = async (path: string, user: typeof dev, body: Record<string, unknown>) => {
      const res = await api<Created>('POST', path, user, { webhookUrl: 'https://hooks.example.com/a', ...body });
      expect(res.status).toBe(201);
      return res.body;
    };
    const errorRate = await create('/api/publisher/v1/alerts', publisher, { scopeId: apiId, metric: 'error_rate', threshold: 20 });
    const latency = await create('/api/publisher/v1/alerts', publisher, {
      scopeId: apiId,
      metric: 'latency_p95',
      threshold: 100,
      webhookUrl: 'https://down.example.com/hook',
    });
    const notReached = await create('/api/publisher/v1/alerts', publisher, { scopeId: apiId, metric: 'error_rate', threshold: 90 });
    const quiet = await create('/api/publisher/v1/alerts', publisher, { scopeId: quietApi, metric: 'error_rate', threshold: 1 });
    const quota = await create('/api/devportal/v1/alerts', dev, { scopeId: sub.body.id, metric: 'quota_use', threshold: 60 });

    const now = Date.now();
    const minute = Math.floor(now / 60_000) * 60_000 - 60_000;
    await db.insert(schema.usageRollups).values([
      // 12 calls in the window: 2 throttled 429s (not errors), 2 other 4xx and 2 5xx → 33.3 %; p95 in the 500 ms bucket.
      rollup(apiId, app.body.id, minute, '2xx', 6, 0, hist(0, 6)),
      rollup(apiId, app.body.id, minute, '4xx', 4, 2, hist(0, 4)),
      rollup(apiId, app.body.id, minute, '5xx', 2, 0, hist(8, 2)),
      // Outside the five-minute window: would push the error rate over 90 % if it were counted.
      rollup(apiId, app.body.id, minute - 6 * 60_000, '5xx', 1000, 0, hist(0, 1000)),
    ]);
    const counter = throttleNamespace(env).getByName(subscriptionObjectName(app.body.id, apiId));
    for (let i = 0; i < 4; i++) expect((await counter.admit({ keyType: 'PRODUCTION', credentialId: 'cred', issuedAt: now })).ok).toBe(true);

    const { send, deliveries } = recorder();
    const fired = await evaluateAlerts(env, { now, send });
    expect(Object.fromEntries(fired.map((f) => [f.ruleId, [f.value, f.deliveryStatus]]))).toEqual({
      [errorRate.id]: [33.3, 204],
      [latency.id]: [500, null],
      [quota.id]: [80, 204],
    });
    expect(fired.map((f) => f.ruleId)).not.toContain(notReached.id);
    expect(fired.map((f) => f.ruleId)).not.toContain(quiet.id);

    const delivered = deliveries.find((d) => d.url === 'https://hooks.example.com/a' && d.body.includes(errorRate.id));
    const header = delivered?.headers.get(SIGNATURE_HEADER) ?? '';
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header) ?? [];
    expect(Number(t)).toBe(Math.floor(now / 1000));
    expect(v1).toBe(await hmacSha256Hex(errorRate.secret, `${t}.${delivered?.body}`));
    expect(v1).not.toBe(await hmacSha256Hex(quota.secret, `${t}.${delivered?.body}`));
    expect(delivered?.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(delivered?.body ?? '{}')).toMatchObject({
      type: 'alert.fired',
      alertId: errorRate.id,
      metric: 'error_rate',
      threshold: 20,
      value: 33.3,
      firedAt: now,
      scope: { type: 'API', id: apiId, apiId },
    });
    expect(delivered?.body).not.toContain(errorRate.secret);

    const rules = await api<{ list: Array<{ id: string; lastFiredAt: number | null }> }>('GET', '/api/publisher/v1/alerts', publisher);
    expect(Object.fromEntries(rules.body.list.map((r) => [r.id, r.lastFiredAt]))).toMatchObject({
      [errorRate.id]: now,
      [latency.id]: now,
      [notReached.id]: null,
    });
    const events = await api<{ list: Array<{ ruleId: string; value: number; deliveryStatus: number | null }> }>(
      'GET',
      '/api/publisher/v1/alerts/events',
      publisher,
    );
    expect(events.body.list.map((e) => [e.ruleId, e.value, e.deliveryStatus]).sort()).toEqual(
      [
        [errorRate.id, 33.3, 204],
        [latency.id, 500, null],
      ].sort(),
    );
    const devEvents = await api<{ list: Array<{ ruleId: string }> }>('GET', '/api/devportal/v1/alerts/events', dev);
    expect(devEvents.body.list.map((e) => e.ruleId)).toEqual([quota.id]);
    const other = await userWithRole('publisher');
    expect((await api<{ list: unknown[] }>('GET', `/api/publisher/v1/alerts/events?alertId=${errorRate.id}`, other)).body.list).toEqual([]);

    // Within the cooldown nothing fires again, although the condition still holds.
    expect(await evaluateAlerts(env, { now: now + 60_000, send })).toEqual([]);

    // After it, the rule fires again — once, even when two runs overlap.
    const later = now + 16 * 60_000;
    await db
      .insert(schema.usageRollups)
      .values(rollup(apiId, app.body.id, Math.floor(later / 60_000) * 60_000 - 60_000, '5xx', 10, 0, hist(0, 10)));
    const [a, b] = await Promise.all([evaluateAlerts(env, { now: later, send }), evaluateAlerts(env, { now: later, send })]);
    expect([...a, ...b].filter((f) => f.ruleId === errorRate.id)).toHaveLength(1);
    expect([...a, ...b].filter((f) => f.ruleId === notReached.id)).toHaveLength(1);
  });
});
