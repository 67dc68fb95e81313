import { SELF, env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { linkIn, mailsTo } from '../../../../test/workers/mailbox.ts';
import { schema } from '../db.ts';
import {
  api,
  db,
  deployedSnapshot,
  propagated,
  publishedApi,
  userWithRole,
  type ProblemBody,
} from '../../../../test/workers/control-plane-helpers.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';

describe('admin: throttling policies', () => {
  it('returns every stored field, so an edit can send the policy back unchanged', async () => {
    const admin = await userWithRole('admin');
    const created = await api<Record<string, unknown> & { id: string }>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'subscription',
      name: `Overage${Date.now()}`,
      limit: 10,
      quotaType: 'bandwidth',
      stopOnQuotaReach: false,
      failMode: 'closed',
      burstLimit: 2,
      burstTimeUnit: 'sec',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ stopOnQuotaReach: false, failMode: 'closed', quotaType: 'bandwidth', burstLimit: 2 });
    const { id, ...body } = created.body;
    const saved = await api<Record<string, unknown>>('PUT', `/api/admin/v1/throttling-policies/${id}`, admin, body);
    expect(saved.status).toBe(200);
    expect(saved.body).toEqual(created.body);
  });

  it('creates a tier with burst control, refuses duplicates and names bad fields', async () => {
    const admin = await userWithRole('admin');
    const name = `Burst${Date.now()}`;
    const created = await api<{ id: string; limit: number; burstLimit: number }>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'subscription',
      name,
      limit: 1000,
      unitTime: 1,
      timeUnit: 'hour',
      burstLimit: 10,
      burstTimeUnit: 'sec',
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ limit: 1000, burstLimit: 10 });
    expect((await api('POST', '/api/admin/v1/throttling-policies', admin, { kind: 'subscription', name, limit: 5 })).status).toBe(409);
    const bad = await api<ProblemBody>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'custom',
      name: 'x y',
      limit: 0,
      burstLimit: 3,
    });
    expect(bad.body.errors?.map((e) => e.pointer)).toEqual(expect.arrayContaining(['/name', '/limit']));
    const listed = await api<{ list: Array<{ name: string }> }>('GET', '/api/admin/v1/throttling-policies?kind=subscription', admin);
    expect(listed.body.list.map((p) => p.name)).toEqual(expect.arrayContaining(['Unlimited', 'Gold', 'Silver', 'Bronze', name]));
  });

  it('compiles conditional groups and custom policies into the snapshot, and names what is wrong with them', async () => {
    const admin = await userWithRole('admin');
    const publisher = await userWithRole('publisher');
    const name = `Cond${Date.now()}`;
    const groups = [
      {
        description: 'partners',
        conditions: [
          { type: 'header', name: 'x-partner', value: 'acme' },
          { type: 'ip', cidr: '203.0.113.0/24', invert: true },
        ],
        limit: { limit: 10, unitTime: 1, timeUnit: 'min' },
      },
    ];
    const advanced = await api<{ conditionalGroups: unknown[] }>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'advanced',
      name,
      limit: 100,
      failMode: 'closed',
      conditionalGroups: groups,
    });
    expect(advanced.status).toBe(201);
    expect(advanced.body.conditionalGroups).toHaveLength(1);
    const apiId = await publishedApi(publisher, { apiThrottlingPolicy: name });
    const custom = await api<{ id: string }>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'custom',
      name: `PerUser${Date.now()}`,
      limit: 50,
      keyTemplate: '$userId:$apiContext',
    });
    expect(custom.status).toBe(201);

    type Snapshot = {
      apis: Array<{
        id: string;
        limits: Array<{ failOpen?: boolean }>;
        conditional?: Array<{ conditions: unknown[]; limits: Array<{ policy: string; limit: number }> }>;
      }>;
      customPolicies?: Array<{ name: string; keyTemplate: string }>;
    };
    const snapshot = (await deployedSnapshot()) as unknown as Snapshot;
    const compiled = snapshot.apis.find((a) => a.id === apiId);
    expect(compiled?.limits[0]?.failOpen).toBe(false);
    expect(compiled?.conditional?.[0]).toMatchObject({
      conditions: [
        { type: 'header', name: 'x-partner', value: 'acme', invert: false },
        { type: 'ip', cidr: '203.0.113.0/24', invert: true },
      ],
      limits: [{ policy: `${name}.g1`, limit: 10 }],
    });
    expect(snapshot.customPolicies).toContainEqual(expect.objectContaining({ keyTemplate: '$userId:$apiContext' }));
    // Deleting the custom policy takes it off the gateways.
    expect((await api('DELETE', `/api/admin/v1/throttling-policies/${custom.body.id}`, admin)).status).toBe(204);
    const after = (await deployedSnapshot()) as unknown as Snapshot;
    expect(after.customPolicies?.some((p) => p.keyTemplate === '$userId:$apiContext') ?? false).toBe(false);

    const bad = await api<ProblemBody>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'custom',
      name: `Bad${Date.now()}`,
      limit: 5,
      keyTemplate: '$userid:$tenant',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]).toMatchObject({ pointer: '/keyTemplate' });
    const badGroup = await api<ProblemBody>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'advanced',
      name: `BadG${Date.now()}`,
      limit: 5,
      conditionalGroups: [
        {
          conditions: [
            { type: 'ip', cidr: 'not an ip' },
            { type: 'cookie', name: 'x', value: 'y' },
          ],
          limit: { limit: 0 },
        },
      ],
    });
    expect(badGroup.status).toBe(400);
    expect(badGroup.body.errors?.map((e) => e.pointer)).toEqual(
      expect.arrayContaining(['/conditionalGroups/0/conditions/0/cidr', '/conditionalGroups/0/limit/limit']),
    );
    const onTier = await api<ProblemBody>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'subscription',
      name: `BadT${Date.now()}`,
      limit: 5,
      conditionalGroups: groups,
    });
    expect(onTier.body.errors?.[0]?.pointer).toBe('/conditionalGroups');
  });

  it('refuses to delete a policy in use (409 naming its users) and pushes tier changes to subscriptions', async () => {
    const admin = await userWithRole('admin');
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const name = `Tier${Date.now()}`;
    const policy = await api<{ id: string }>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'subscription',
      name,
      limit: 5,
      unitTime: 1,
      timeUnit: 'min',
    });
    const apiId = await publishedApi(publisher, { subscriptionTiers: [name] });
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Tiered' });
    await api('POST', '/api/devportal/v1/subscriptions', dev, { applicationId: app.body.id, apiId, tier: name });
    const inUse = await api<ProblemBody & { usedBy: string[] }>('DELETE', `/api/admin/v1/throttling-policies/${policy.body.id}`, admin);
    expect(inUse.status).toBe(409);
    expect(inUse.body.usedBy).toEqual(expect.arrayContaining([`api ${apiId}`]));
    const changed = await api('PUT', `/api/admin/v1/throttling-policies/${policy.body.id}`, admin, {
      kind: 'subscription',
      name,
      limit: 7,
      unitTime: 1,
      timeUnit: 'min',
    });
    expect(changed.status).toBe(200);
    expect(await propagated(admin, policy.body.id, 1)).toMatchObject({ total: 1, done: 1, lastError: null });
    const state = await throttleNamespace(env).getByName(subscriptionObjectName(app.body.id, apiId)).inspect();
    expect(state.state?.limits).toEqual([{ policy: name, scope: 'subscription', limit: 7, windowSeconds: 60 }]);
    const unused = await api<{ id: string }>('POST', '/api/admin/v1/throttling-policies', admin, {
      kind: 'application',
      name: `Unused${Date.now()}`,
      limit: 3,
    });
    expect((await api('DELETE', `/api/admin/v1/throttling-policies/${unused.body.id}`, admin)).status).toBe(204);
  });

  it('is for admins: publishers may read tiers but not write them, developers may do neither', async () => {
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    expect((await api('GET', '/api/admin/v1/throttling-policies', publisher)).status).toBe(200);
    expect(
      (await api('POST', '/api/admin/v1/throttling-policies', publisher, { kind: 'subscription', name: 'Nope', limit: 1 })).status,
    ).toBe(403);
    expect((await api('GET', '/api/admin/v1/throttling-policies', dev)).status).toBe(403);
    expect((await api('GET', '/api/admin/v1/users', publisher)).status).toBe(403);
    expect(
      (
        await api('POST', '/api/admin/v1/users', dev, {
          email: 'a@b.co',
          password: 'long enough password',
          displayName: 'A',
          role: 'admin',
        })
      ).status,
    ).toBe(403);
  });
});

describe('admin: applications', () => {
  it("lists every developer's applications with their clients' grant types, for admins only", async () => {
    const admin = await userWithRole('admin');
    const dev = await userWithRole('developer');
    const name = `Listed ${Date.now()}`;
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name });
    await api('POST', `/api/devportal/v1/applications/${app.body.id}/keys`, dev, { keyType: 'SANDBOX' });
    await api('PUT', `/api/admin/v1/applications/${app.body.id}/keys/SANDBOX/password-grant`, admin, { enabled: true });
    type Listed = { list: Array<{ id: string; name: string; owner: string; keys: Array<{ keyType: string; grantTypes: string[] }> }> };
    const byName = await api<Listed>('GET', `/api/admin/v1/applications?query=${encodeURIComponent(name)}`, admin);
    expect(byName.status).toBe(200);
    expect(byName.body.list).toEqual([
      expect.objectContaining({
        id: app.body.id,
        name,
        owner: dev.email,
        keys: [expect.objectContaining({ keyType: 'SANDBOX', grantTypes: expect.arrayContaining(['client_credentials', 'password']) })],
      }),
    ]);
    const byOwner = await api<Listed>('GET', `/api/admin/v1/applications?query=${encodeURIComponent(dev.email)}`, admin);
    expect(byOwner.body.list.map((a) => a.id)).toEqual([app.body.id]);
    expect((await api('GET', '/api/admin/v1/applications', dev)).status).toBe(403);
  });
});

describe('admin: users and environments', () => {
  it('creates users with roles and refuses a taken email', async () => {
    const admin = await userWithRole('admin');
    const email = `made-${Date.now()}@example.com`;
    const made = await api<{ role: string }>('POST', '/api/admin/v1/users', admin, {
      email,
      password: 'long enough password',
      displayName: 'Made',
      role: 'publisher',
    });
    expect(made.status).toBe(201);
    expect(made.body.role).toBe('publisher');
    expect(
      (await api('POST', '/api/admin/v1/users', admin, { email, password: 'long enough password', displayName: 'Made', role: 'publisher' }))
        .status,
    ).toBe(409);
  });

  it('limits an environment to its visibleRoles (listing and deploying) and compiles its type into the key types it serves', async () => {
    const admin = await userWithRole('admin');
    const publisher = await userWithRole('publisher');
    const name = `restricted-${Date.now()}`;
    const made = await api<{ id: string }>('POST', '/api/admin/v1/environments', admin, {
      name,
      displayName: 'Admins only',
      type: 'sandbox',
      visibleRoles: ['admin'],
      allowPrivateBackends: true,
    });
    expect(made.status).toBe(201);
    const listed = async (who: typeof admin) =>
      (await api<{ list: Array<{ name: string }> }>('GET', '/api/admin/v1/environments', who)).body.list.map((e) => e.name);
    expect(await listed(admin)).toContain(name);
    expect(await listed(publisher)).not.toContain(name);
    expect(await listed(publisher)).toContain('production');
    const apiId = await publishedApi(publisher);
    const revision = (await api<{ list: Array<{ id: string }> }>('GET', `/api/publisher/v1/apis/${apiId}/revisions`, publisher)).body
      .list[0]?.id;
    const refused = await api<ProblemBody>('POST', `/api/publisher/v1/apis/${apiId}/deployments`, publisher, {
      revisionId: revision,
      environments: [name],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.pointer).toBe('/environments/0');
    await api('PATCH', `/api/admin/v1/environments/${made.body.id}`, admin, { visibleRoles: ['publisher'] });
    expect(await listed(publisher)).toContain(name);
    expect(
      (await api('POST', `/api/publisher/v1/apis/${apiId}/deployments`, publisher, { revisionId: revision, environments: [name] })).status,
    ).toBe(201);
    const row = await env.DB.prepare(`SELECT body FROM gateway_snapshots WHERE environment_id = ?`)
      .bind(made.body.id)
      .first<{ body: string }>();
    const { decodeSnapshot } = await import('../../../shared/snapshot-codec.ts');
    expect((await decodeSnapshot(row?.body ?? '')).keyTypes).toEqual(['SANDBOX']);
    expect((await deployedSnapshot()).keyTypes).toBeUndefined();
    expect(
      (await api<ProblemBody>('PATCH', `/api/admin/v1/environments/${made.body.id}`, admin, { visibleRoles: ['nobody'] })).status,
    ).toBe(400);
  });

  it('creates and changes gateway environments', async () => {
    const admin = await userWithRole('admin');
    const name = `edge-${Date.now()}`;
    const created = await api<{ id: string; allowPrivateBackends: boolean }>('POST', '/api/admin/v1/environments', admin, {
      name,
      displayName: 'Edge',
      type: 'production',
      hostname: 'api.example.com',
    });
    expect(created.status).toBe(201);
    expect(created.body.allowPrivateBackends).toBe(false);
    expect((await api('POST', '/api/admin/v1/environments', admin, { name, displayName: 'Again' })).status).toBe(409);
    const patched = await api<{ allowPrivateBackends: boolean }>('PATCH', `/api/admin/v1/environments/${created.body.id}`, admin, {
      allowPrivateBackends: true,
    });
    expect(patched.body.allowPrivateBackends).toBe(true);
    expect((await api('PATCH', '/api/admin/v1/environments/env_nope', admin, { displayName: 'X' })).status).toBe(404);
  });
});

describe('admin: blocking conditions and audit log', () => {
  it('compiles enabled conditions into the snapshot and validates addresses', async () => {
    const admin = await userWithRole('admin');
    const bad = await api<ProblemBody>('POST', '/api/admin/v1/blocking-conditions', admin, {
      conditionType: 'IP_RANGE',
      conditionValue: '300.1.1.1/99',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]?.pointer).toBe('/conditionValue');
    const made = await api<{ id: string }>('POST', '/api/admin/v1/blocking-conditions', admin, {
      conditionType: 'IP_RANGE',
      conditionValue: '2001:db8::/32',
      inverted: true,
    });
    expect(made.status).toBe(201);
    const snapshotOf = deployedSnapshot;
    expect((await snapshotOf()).blocking?.ips).toContainEqual({ range: '2001:db8::/32', inverted: true });
    await api('PATCH', `/api/admin/v1/blocking-conditions/${made.body.id}`, admin, { enabled: false });
    expect((await snapshotOf()).blocking?.ips).not.toContainEqual({ range: '2001:db8::/32', inverted: true });
    expect((await api('DELETE', `/api/admin/v1/blocking-conditions/${made.body.id}`, admin)).status).toBe(204);
  });

  it('accepts an API block as a context (every version) or as context and version (that version), and compiles both into the snapshot', async () => {
    const admin = await userWithRole('admin');
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher);
    const { context } = (await api<{ context: string }>('GET', `/api/publisher/v1/apis/${apiId}`, publisher)).body;
    for (const value of [context, `${context}/v1`, `${context}/v1/`]) {
      const made = await api<{ id: string; conditionValue: string }>('POST', '/api/admin/v1/blocking-conditions', admin, {
        conditionType: 'API',
        conditionValue: value,
      });
      expect(made.status, value).toBe(201);
      expect((await deployedSnapshot()).blocking?.apiContexts).toContain(made.body.conditionValue);
      expect((await api('DELETE', `/api/admin/v1/blocking-conditions/${made.body.id}`, admin)).status).toBe(204);
    }
  });

  it.each([
    ['API', '/no-such-context'],
    ['API', '/no-such-context/v1'],
    ['API', 'petstore'],
    ['APPLICATION', 'app_does_not_exist'],
    ['USER', 'usr_does_not_exist'],
    ['USER', 'nobody@example.com'],
    ['IP', '10.0.0.256'],
    ['IP', '1:2:3:4:5:6:7:8::9'],
    ['IP', '::1::2'],
    ['IP', '10.0.0.0/8'],
    ['IP_RANGE', '10.0.0.0'],
    ['IP_RANGE', '10.0.0.0/33'],
    ['IP_RANGE', '2001:db8::/129'],
    ['IP_RANGE', '10.0.0.0/8/8'],
  ])(
    'refuses a %s condition %s that could never match, with 400 naming conditionValue, and stores nothing',
    async (conditionType, conditionValue) => {
      const admin = await userWithRole('admin');
      const before = (await api<{ list: unknown[] }>('GET', '/api/admin/v1/blocking-conditions', admin)).body.list.length;
      const res = await api<ProblemBody>('POST', '/api/admin/v1/blocking-conditions', admin, { conditionType, conditionValue });
      expect(res.status).toBe(400);
      expect(res.body.errors?.map((e) => e.pointer)).toContain('/conditionValue');
      expect((await api<{ list: unknown[] }>('GET', '/api/admin/v1/blocking-conditions', admin)).body.list.length).toBe(before);
    },
  );

  it('stores a user block by the id the gateway compares, given the id or the email', async () => {
    const admin = await userWithRole('admin');
    const dev = await userWithRole('developer');
    const me = { id: dev.id };
    const byEmail = await api<{ id: string; conditionValue: string }>('POST', '/api/admin/v1/blocking-conditions', admin, {
      conditionType: 'USER',
      conditionValue: dev.email,
    });
    expect(byEmail.status).toBe(201);
    expect(byEmail.body.conditionValue).toBe(me.id);
    expect((await deployedSnapshot()).blocking?.users).toContain(me.id);
    await api('DELETE', `/api/admin/v1/blocking-conditions/${byEmail.body.id}`, admin);
  });

  it('lists the audit log with filters, before and after included', async () => {
    const admin = await userWithRole('admin');
    const audited = await api<{ id: string }>('POST', '/api/devportal/v1/applications', await userWithRole('developer'), {
      name: 'Audited',
    });
    const made = await api<{ id: string }>('POST', '/api/admin/v1/blocking-conditions', admin, {
      conditionType: 'APPLICATION',
      conditionValue: audited.body.id,
    });
    await api('PATCH', `/api/admin/v1/blocking-conditions/${made.body.id}`, admin, { enabled: false });
    const log = await api<{ list: Array<{ action: string; actorEmail: string; before: unknown; after: unknown }> }>(
      'GET',
      `/api/admin/v1/audit-log?entityId=${made.body.id}`,
      admin,
    );
    expect(log.body.list.map((e) => e.action)).toEqual(['blocking.update', 'blocking.create']);
    expect(log.body.list[0]).toMatchObject({ actorEmail: admin.email, before: { enabled: true }, after: { enabled: false } });
    const dev = await userWithRole('developer');
    expect((await api('GET', '/api/admin/v1/audit-log', dev)).status).toBe(403);
  });

  it('names each entity of the audit log beside its id: API with version, application, user email, subscription as application → API', async () => {
    const admin = await userWithRole('admin');
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const apiId = await publishedApi(publisher, { name: 'Audited API' });
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Audited app' });
    const sub = await api<{ id: string }>('POST', '/api/devportal/v1/subscriptions', dev, {
      applicationId: app.body.id,
      apiId,
      tier: 'Gold',
    });
    const nameOf = async (entityId: string) =>
      (
        await api<{ list: Array<{ entityId: string; entityName: string | null }> }>(
          'GET',
          `/api/admin/v1/audit-log?entityId=${entityId}`,
          admin,
        )
      ).body.list[0]?.entityName;
    expect(await nameOf(apiId)).toBe('Audited API v1');
    expect(await nameOf(app.body.id)).toBe('Audited app');
    expect(await nameOf(sub.body.id)).toBe('Audited app → Audited API v1');
    await api('DELETE', `/api/devportal/v1/applications/${app.body.id}`, dev);
    // Deleted since: the id stays, the name is gone.
    expect(await nameOf(app.body.id)).toBeNull();
  });
});

describe('admin: branding', () => {
  it("lets an admin set the portal's name, logo, colours and landing text, which anyone reads back at once, and refuses a logo that is not an image data: URL", async () => {
    const admin = await userWithRole('admin');
    const logo = `data:image/svg+xml;base64,${btoa('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>')}`;
    const branding = {
      portalName: 'Acme APIs',
      logo,
      primaryColor: '#aa3300',
      headerColor: '#102030',
      landingMarkdown: '# Welcome to **Acme**',
    };
    expect((await api('PUT', '/api/admin/v1/branding', admin, branding)).status).toBe(200);
    expect((await api('GET', '/api/devportal/v1/branding', null)).body).toEqual(branding);
    const bad = await api<ProblemBody>('PUT', '/api/admin/v1/branding', admin, {
      ...branding,
      logo: 'https://evil.example/x.png',
      primaryColor: 'red',
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.pointer).sort()).toEqual(['/logo', '/primaryColor']);
    expect((await api('PUT', '/api/admin/v1/branding', await userWithRole('publisher'), branding)).status).toBe(403);
    expect((await api('PUT', '/api/admin/v1/branding', null, branding)).status).toBe(401);
    const log = await api<{ list: Array<{ action: string; after: { logo: string } }> }>(
      'GET',
      '/api/admin/v1/audit-log?action=branding.update',
      admin,
    );
    expect(log.body.list[0]?.after.logo).toBe(`${logo.length} characters`);
  });
});

describe('admin: approval workflows', () => {
  it("names who asks for what — developer, application, API and tier — and shows the developer the admin's reason for a rejection", async () => {
    const admin = await userWithRole('admin');
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const apiId = await publishedApi(publisher, { name: `Named ${Date.now()}` });
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Asks politely' });
    await api('PATCH', '/api/admin/v1/settings', admin, { workflows: { SUBSCRIPTION_CREATION: true } });
    try {
      const sub = await api<{ id: string; status: string; statusReason: string | null }>('POST', '/api/devportal/v1/subscriptions', dev, {
        applicationId: app.body.id,
        apiId,
        tier: 'Gold',
      });
      expect(sub.body).toMatchObject({ status: 'ON_HOLD', statusReason: null });
      type Flow = {
        id: string;
        referenceId: string;
        subject: {
          developer: { email: string } | null;
          application: { name: string } | null;
          api: { id: string; name: string; version: string } | null;
          tier: string | null;
        };
      };
      const flow = (await api<{ list: Flow[] }>('GET', '/api/admin/v1/workflows?status=PENDING', admin)).body.list.find(
        (w) => w.referenceId === sub.body.id,
      );
      expect(flow?.subject).toEqual({
        developer: { id: dev.id, name: dev.email, email: dev.email },
        application: { id: app.body.id, name: 'Asks politely' },
        api: { id: apiId, name: expect.stringMatching(/^Named /) as unknown, version: 'v1' },
        tier: 'Gold',
      });
      const decided = await api<Flow & { status: string; reason: string }>('POST', `/api/admin/v1/workflows/${flow?.id}/decision`, admin, {
        approve: false,
        reason: 'Gold is for paying partners; ask for Bronze',
      });
      expect(decided.body).toMatchObject({
        status: 'REJECTED',
        reason: 'Gold is for paying partners; ask for Bronze',
        subject: { tier: 'Gold' },
      });
      const mine = await api<{ list: Array<{ id: string; status: string; statusReason: string | null }> }>(
        'GET',
        `/api/devportal/v1/subscriptions?applicationId=${app.body.id}`,
        dev,
      );
      expect(mine.body.list).toEqual([
        expect.objectContaining({ id: sub.body.id, status: 'REJECTED', statusReason: 'Gold is for paying partners; ask for Bronze' }),
      ]);
    } finally {
      await api('PATCH', '/api/admin/v1/settings', admin, { workflows: { SUBSCRIPTION_CREATION: false } });
    }
  });

  it('holds sign-ups, applications and subscriptions until an admin decides, and applies the decision', async () => {
    const admin = await userWithRole('admin');
    const publisher = await userWithRole('publisher');
    const on = await api<{ workflows: Record<string, boolean> }>('PATCH', '/api/admin/v1/settings', admin, {
      workflows: { USER_SIGNUP: true, APPLICATION_CREATION: true, SUBSCRIPTION_CREATION: true },
    });
    expect(on.body.workflows).toEqual({ USER_SIGNUP: true, APPLICATION_CREATION: true, SUBSCRIPTION_CREATION: true });
    try {
      const email = `pending-${Date.now()}@example.com`;
      expect(
        (await api('POST', '/api/devportal/v1/signup', null, { email, password: 'long enough password', displayName: 'P' })).status,
      ).toBe(202);
      const signedUp = (await db.select().from(schema.users).where(eq(schema.users.email, email)))[0];
      const login = () => api<ProblemBody>('POST', '/api/auth/login', null, { email, password: 'long enough password' });
      const flowsNow = async () =>
        (
          await api<{ list: Array<{ id: string; type: string; referenceId: string }> }>(
            'GET',
            '/api/admin/v1/workflows?status=PENDING',
            admin,
          )
        ).body.list;
      // Admins see the sign-up only once its address is confirmed.
      expect((await flowsNow()).find((w) => w.referenceId === signedUp?.id)).toBeUndefined();
      const token =
        linkIn(await vi.waitFor(async () => (await mailsTo(email))[0] ?? Promise.reject(new Error('no mail yet'))), 'verify')?.token ?? '';
      expect((await api<{ status: string }>('POST', '/api/auth/verify-email', null, { token })).body.status).toBe('PENDING');
      expect((await login()).body.detail).toMatch(/waiting for approval/);
      const signupFlow = (await flowsNow()).find((w) => w.referenceId === signedUp?.id);
      expect(signupFlow?.type).toBe('USER_SIGNUP');
      expect((await api('POST', `/api/admin/v1/workflows/${signupFlow?.id}/decision`, admin, { approve: true })).status).toBe(200);
      expect((await api('POST', `/api/admin/v1/workflows/${signupFlow?.id}/decision`, admin, { approve: false })).status).toBe(409);
      expect((await login()).status).toBe(200);

      const dev = await userWithRole('developer');
      const apiId = await publishedApi(publisher);
      const app = await api<{ id: string; status: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Needs approval' });
      expect(app.body.status).toBe('CREATED');
      const keys = await api<{ consumerKey: string; consumerSecret: string }>(
        'POST',
        `/api/devportal/v1/applications/${app.body.id}/keys`,
        dev,
        { keyType: 'PRODUCTION' },
      );
      const tokenFor = () =>
        SELF.fetch('http://cp.test/oauth2/token', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${btoa(`${keys.body.consumerKey}:${keys.body.consumerSecret}`)}`,
          },
          body: 'grant_type=client_credentials',
        });
      expect(((await (await tokenFor()).json()) as { error: string }).error).toBe('unauthorized_client');
      const sub = await api<{ id: string; status: string }>('POST', '/api/devportal/v1/subscriptions', dev, {
        applicationId: app.body.id,
        apiId,
        tier: 'Gold',
      });
      expect(sub.body.status).toBe('ON_HOLD');
      const object = throttleNamespace(env).getByName(subscriptionObjectName(app.body.id, apiId));
      expect((await object.inspect()).state?.status).toBe('ON_HOLD');
      const flows = (
        await api<{ list: Array<{ id: string; referenceId: string }> }>('GET', '/api/admin/v1/workflows?status=PENDING', admin)
      ).body.list;
      for (const ref of [app.body.id, sub.body.id]) {
        const flow = flows.find((w) => w.referenceId === ref);
        expect((await api('POST', `/api/admin/v1/workflows/${flow?.id}/decision`, admin, { approve: true, reason: 'ok' })).status).toBe(
          200,
        );
      }
      expect((await tokenFor()).status).toBe(200);
      expect((await object.inspect()).state?.status).toBe('UNBLOCKED');
    } finally {
      await api('PATCH', '/api/admin/v1/settings', admin, {
        workflows: { USER_SIGNUP: false, APPLICATION_CREATION: false, SUBSCRIPTION_CREATION: false },
      });
    }
  });
});
