import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { unseal } from '../../../shared/seal.ts';
import { api, db, publishedApi, userWithRole, type ProblemBody, type TestUser } from '../../../../test/workers/control-plane-helpers.ts';
import { schema } from '../db.ts';

interface Rule {
  id: string;
  scopeType: string;
  scopeId: string;
  metric: string;
  threshold: number;
  webhookUrl: string;
  lastFiredAt: number | null;
  secret?: string;
}

const HOOK = 'https://hooks.example.com/turnpike';
const rule = (scopeId: string, over: Record<string, unknown> = {}) => ({
  scopeId,
  metric: 'error_rate',
  threshold: 10,
  webhookUrl: HOOK,
  ...over,
});

async function subscription(dev: TestUser, apiId: string): Promise<string> {
  const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: `Alerts ${Math.random()}` });
  const sub = await api<{ id: string }>('POST', '/api/devportal/v1/subscriptions', dev, {
    applicationId: app.body.id,
    apiId,
    tier: 'Gold',
  });
  expect(sub.status).toBe(201);
  return sub.body.id;
}

describe('alert rules API', () => {
  it('creates a rule on an own API, shows the secret once and stores it AES-GCM sealed to the rule', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher);
    const created = await api<Rule>('POST', '/api/publisher/v1/alerts', publisher, rule(apiId));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      scopeType: 'API',
      scopeId: apiId,
      metric: 'error_rate',
      threshold: 10,
      webhookUrl: HOOK,
      lastFiredAt: null,
    });
    const secret = created.body.secret ?? '';
    expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const stored = (await db.select().from(schema.alertRules).where(eq(schema.alertRules.id, created.body.id)))[0];
    expect(stored?.secretCiphertext).toMatch(/^v1\./);
    expect(JSON.stringify(stored)).not.toContain(secret);
    expect(await unseal(env.ENCRYPTION_KEY, stored?.secretCiphertext ?? '', created.body.id)).toBe(secret);
    await expect(unseal(env.ENCRYPTION_KEY, stored?.secretCiphertext ?? '', 'alr_other')).rejects.toThrow();

    const listed = await api<{ list: Rule[] }>('GET', '/api/publisher/v1/alerts', publisher);
    expect(listed.body.list.map((r) => r.id)).toEqual([created.body.id]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const audit = await db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, created.body.id));
    expect(audit.map((a) => a.action)).toEqual(['alert.create']);
    expect(JSON.stringify(audit)).not.toContain(secret);
  });

  it("answers 404 for other people's APIs, subscriptions and rules exactly like for ids that do not exist", async () => {
    const alice = await userWithRole('publisher');
    const mallory = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const eve = await userWithRole('developer');
    const admin = await userWithRole('admin');
    const apiId = await publishedApi(alice);
    const subId = await subscription(dev, apiId);
    const apiRule = await api<Rule>('POST', '/api/publisher/v1/alerts', alice, rule(apiId));
    const subRule = await api<Rule>('POST', '/api/devportal/v1/alerts', dev, rule(subId, { metric: 'quota_use', threshold: 80 }));
    expect(subRule.status).toBe(201);
    expect(subRule.body.scopeType).toBe('SUBSCRIPTION');

    const missing = await api<ProblemBody>('DELETE', '/api/publisher/v1/alerts/alr_doesnotexist', mallory);
    expect(missing.status).toBe(404);
    for (const [method, path, user, body] of [
      ['POST', '/api/publisher/v1/alerts', mallory, rule(apiId)],
      ['POST', '/api/publisher/v1/alerts', mallory, rule('api_doesnotexist')],
      ['DELETE', `/api/publisher/v1/alerts/${apiRule.body.id}`, mallory, undefined],
      ['DELETE', `/api/publisher/v1/alerts/${subRule.body.id}`, alice, undefined],
      ['POST', '/api/devportal/v1/alerts', eve, rule(subId)],
      ['POST', '/api/devportal/v1/alerts', eve, rule('sub_doesnotexist')],
      ['DELETE', `/api/devportal/v1/alerts/${subRule.body.id}`, eve, undefined],
      ['DELETE', `/api/devportal/v1/alerts/${apiRule.body.id}`, dev, undefined],
    ] as const) {
      const res = await api<ProblemBody>(method, path, user, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.type, `${method} ${path}`).toBe(missing.body.type);
    }
    expect((await api<{ list: Rule[] }>('GET', '/api/publisher/v1/alerts', mallory)).body.list).toEqual([]);
    expect((await api<{ list: Rule[] }>('GET', '/api/devportal/v1/alerts', eve)).body.list).toEqual([]);
    expect((await api<{ list: Rule[] }>('GET', '/api/devportal/v1/alerts', dev)).body.list.map((r) => r.id)).toEqual([subRule.body.id]);

    const all = await api<{ list: Rule[] }>('GET', '/api/admin/v1/alerts', admin);
    expect(all.body.list.map((r) => r.id)).toEqual(expect.arrayContaining([apiRule.body.id, subRule.body.id]));
    expect(
      (await api('POST', '/api/admin/v1/alerts', admin, rule(subId, { scopeType: 'SUBSCRIPTION', metric: 'latency_p95', threshold: 500 })))
        .status,
    ).toBe(201);
    expect((await api('DELETE', `/api/devportal/v1/alerts/${subRule.body.id}`, dev)).status).toBe(204);
    expect((await api('DELETE', `/api/admin/v1/alerts/${apiRule.body.id}`, admin)).status).toBe(204);
    expect((await api('DELETE', `/api/admin/v1/alerts/${apiRule.body.id}`, admin)).status).toBe(404);
    expect((await api('GET', '/api/admin/v1/alerts', dev)).status).toBe(403);
    expect((await api('POST', '/api/devportal/v1/alerts', null, rule(subId))).status).toBe(401);
  });

  it('names the field at fault for bad rules and unsafe webhook URLs', async () => {
    const publisher = await userWithRole('publisher');
    const admin = await userWithRole('admin');
    const apiId = await publishedApi(publisher);
    const pointers = async (user: TestUser, path: string, body: unknown) => {
      const res = await api<ProblemBody>('POST', path, user, body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      return res.body.errors?.map((e) => e.pointer).sort();
    };
    expect(
      await pointers(publisher, '/api/publisher/v1/alerts', rule(apiId, { threshold: 150, webhookUrl: 'ftp://hooks.example.com/x' })),
    ).toEqual(['/threshold', '/webhookUrl']);
    expect(await pointers(publisher, '/api/publisher/v1/alerts', rule(apiId, { metric: 'quota_use', threshold: 80 }))).toEqual(['/metric']);
    expect(await pointers(publisher, '/api/publisher/v1/alerts', rule(apiId, { scopeType: 'SUBSCRIPTION' }))).toEqual(['/scopeType']);
    expect(await pointers(publisher, '/api/publisher/v1/alerts', rule(apiId, { metric: 'p99', secret: 'mine' }))).toEqual([
      '/metric',
      '/secret',
    ]);
    expect(
      await pointers(publisher, '/api/publisher/v1/alerts', rule(apiId, { webhookUrl: 'https://user:pw@hooks.example.com/' })),
    ).toEqual(['/webhookUrl']);
    expect(await pointers(publisher, '/api/publisher/v1/alerts', { metric: 'error_rate' })).toEqual([
      '/scopeId',
      '/threshold',
      '/webhookUrl',
    ]);
    for (const url of ['http://hooks.example.com/x', 'http://127.0.0.1:9999/hook', 'https://10.0.0.8/hook', 'https://localhost/hook']) {
      expect(await pointers(publisher, '/api/publisher/v1/alerts', rule(apiId, { webhookUrl: url })), url).toEqual(['/webhookUrl']);
    }

    // Deployed to an environment that allows private backends: loopback http is accepted, plain http elsewhere still not.
    const dev = await api<{ id: string; name: string }>('POST', '/api/admin/v1/environments', admin, {
      name: `dev-${Date.now()}`,
      displayName: 'Dev',
      allowPrivateBackends: true,
    });
    expect(dev.status).toBe(201);
    const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${apiId}/revisions`, publisher, {});
    expect(
      (
        await api('POST', `/api/publisher/v1/apis/${apiId}/deployments`, publisher, {
          revisionId: revision.body.id,
          environments: [dev.body.name],
        })
      ).status,
    ).toBe(201);
    expect(
      (await api('POST', '/api/publisher/v1/alerts', publisher, rule(apiId, { webhookUrl: 'http://127.0.0.1:9999/hook' }))).status,
    ).toBe(201);
    expect(await pointers(publisher, '/api/publisher/v1/alerts', rule(apiId, { webhookUrl: 'http://hooks.example.com/x' }))).toEqual([
      '/webhookUrl',
    ]);
  });
  it('changes a rule (threshold, metric, webhook, off) with the same checks as creating one, and only for who may see it', async () => {
    const publisher = await userWithRole('publisher');
    const other = await userWithRole('publisher');
    const apiId = await publishedApi(publisher);
    const created = await api<Rule & { enabled: boolean }>('POST', '/api/publisher/v1/alerts', publisher, rule(apiId));
    const path = `/api/publisher/v1/alerts/${created.body.id}`;
    const changed = await api<Rule & { enabled: boolean; secret?: string }>('PATCH', path, publisher, {
      metric: 'latency_p95',
      threshold: 800,
      webhookUrl: 'https://hooks.example.com/other',
      enabled: false,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      id: created.body.id,
      scopeId: apiId,
      metric: 'latency_p95',
      threshold: 800,
      webhookUrl: 'https://hooks.example.com/other',
      enabled: false,
    });
    expect(changed.body.secret).toBeUndefined();

    const pointers = async (body: unknown) => {
      const res = await api<ProblemBody>('PATCH', path, publisher, body);
      expect(res.status).toBe(400);
      return res.body.errors?.map((e) => e.pointer).sort();
    };
    // The threshold is judged against the metric it ends up with: 800 ms is no error rate.
    expect(await pointers({ metric: 'error_rate' })).toEqual(['/threshold']);
    expect(await pointers({ metric: 'quota_use', threshold: 50 })).toEqual(['/metric']);
    expect(await pointers({ webhookUrl: 'https://10.0.0.8/hook' })).toEqual(['/webhookUrl']);
    expect(await pointers({ scopeId: 'api_other' })).toEqual(['/scopeId']);
    expect((await api<{ list: Rule[] }>('GET', '/api/publisher/v1/alerts', publisher)).body.list[0]).toMatchObject({
      metric: 'latency_p95',
      threshold: 800,
    });

    expect((await api('PATCH', path, other, { enabled: true })).status).toBe(404);
    const audit = await db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, created.body.id));
    expect(audit.map((a) => a.action).sort()).toEqual(['alert.create', 'alert.update']);
  });
});
