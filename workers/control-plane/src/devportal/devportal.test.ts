import { SELF, env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it, vi } from 'vitest';
import { linkIn, mailsTo } from '../../../../test/workers/mailbox.ts';
import { counterObjectName, subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { ORIGIN, api, apiBody, db, publishedApi, userWithRole, type ProblemBody } from '../../../../test/workers/control-plane-helpers.ts';
import { schema } from '../db.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';

const object = (appId: string, apiId: string) => throttleNamespace(env).getByName(subscriptionObjectName(appId, apiId));

describe('devportal: sign-up', () => {
  it('signs up a developer who can sign in once the mailed link is followed, and refuses a weak password and extra fields', async () => {
    const email = `dev-${Date.now()}@example.com`;
    const res = await api<{ status: string }>('POST', '/api/devportal/v1/signup', null, {
      email,
      password: 'correct horse battery',
      displayName: 'Dev',
    });
    expect(res.status).toBe(202);
    const token =
      linkIn(await vi.waitFor(async () => (await mailsTo(email))[0] ?? Promise.reject(new Error('no mail yet'))), 'verify')?.token ?? '';
    expect((await api('POST', '/api/auth/verify-email', null, { token })).status).toBe(200);
    const user = (await db.select().from(schema.users).where(eq(schema.users.email, email)))[0];
    expect(user).toMatchObject({ role: 'developer', status: 'ACTIVE', emailVerified: true });
    const login = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: 'correct horse battery' }),
    });
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    const weak = await api<ProblemBody>('POST', '/api/devportal/v1/signup', null, {
      email: 'x@example.com',
      password: 'short',
      displayName: 'X',
      role: 'admin',
    });
    expect(weak.body.errors?.map((e) => e.pointer)).toEqual(expect.arrayContaining(['/password', '/role']));
  });
});

describe('devportal: applications, keys and subscriptions', () => {
  it('shows a secret once, stores only its hash, and answers 404 for other developers', async () => {
    const alice = await userWithRole('developer');
    const bob = await userWithRole('developer');
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', alice, { name: 'Alice App' });
    expect(app.status).toBe(201);
    const keys = await api<{ consumerKey: string; consumerSecret: string }>(
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      alice,
      { keyType: 'PRODUCTION' },
    );
    expect(keys.status).toBe(201);
    const stored = (await db.select().from(schema.applicationKeys).where(eq(schema.applicationKeys.consumerKey, keys.body.consumerKey)))[0];
    expect(stored?.secretHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(keys.body.consumerSecret);
    const listed = await api<{ list: Array<Record<string, unknown>> }>('GET', `/api/devportal/v1/applications/${app.body.id}/keys`, alice);
    expect(JSON.stringify(listed.body)).not.toContain(keys.body.consumerSecret);
    expect((await api('POST', `/api/devportal/v1/applications/${app.body.id}/keys`, alice, { keyType: 'PRODUCTION' })).status).toBe(409);
    for (const [method, path, body] of [
      ['GET', `/api/devportal/v1/applications/${app.body.id}`, undefined],
      ['DELETE', `/api/devportal/v1/applications/${app.body.id}`, undefined],
      ['GET', `/api/devportal/v1/applications/${app.body.id}/keys`, undefined],
      ['POST', `/api/devportal/v1/applications/${app.body.id}/keys/PRODUCTION/regenerate-secret`, undefined],
      ['GET', `/api/devportal/v1/subscriptions?applicationId=${app.body.id}`, undefined],
      ['POST', '/api/devportal/v1/subscriptions', { applicationId: app.body.id, apiId: 'api_x', tier: 'Gold' }],
    ] as const) {
      expect((await api(method, path, bob, body)).status, `${method} ${path}`).toBe(404);
    }
    expect((await api('GET', '/api/devportal/v1/applications/app_doesnotexist', alice)).status).toBe(404);
    expect((await api('POST', '/api/devportal/v1/applications', alice, { name: 'X', ownerId: bob.id })).status).toBe(400);
  });

  it('renames an application, changes its tier, and refuses a taken name, an unknown tier and other developers', async () => {
    const alice = await userWithRole('developer');
    const bob = await userWithRole('developer');
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', alice, { name: 'Before' });
    await api('POST', '/api/devportal/v1/applications', alice, { name: 'Taken' });
    const renamed = await api<{ name: string; description: string; throttlingPolicy: string }>(
      'PATCH',
      `/api/devportal/v1/applications/${app.body.id}`,
      alice,
      { name: 'After', description: 'renamed', throttlingPolicy: '10PerMin' },
    );
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'After', description: 'renamed', throttlingPolicy: '10PerMin' });
    const taken = await api<ProblemBody>('PATCH', `/api/devportal/v1/applications/${app.body.id}`, alice, { name: 'Taken' });
    expect(taken.status).toBe(409);
    expect(taken.body.errors?.[0]?.pointer).toBe('/name');
    const tier = await api<ProblemBody>('PATCH', `/api/devportal/v1/applications/${app.body.id}`, alice, { throttlingPolicy: 'Gold' });
    expect(tier.status).toBe(400);
    expect(tier.body.errors?.[0]?.pointer).toBe('/throttlingPolicy');
    expect((await api('PATCH', `/api/devportal/v1/applications/${app.body.id}`, alice, { owner: 'someone' })).status).toBe(400);
    expect((await api('PATCH', `/api/devportal/v1/applications/${app.body.id}`, bob, { name: 'Hijacked' })).status).toBe(404);
    expect((await api<{ name: string }>('GET', `/api/devportal/v1/applications/${app.body.id}`, alice)).body.name).toBe('After');
  });

  it('subscribes on an offered tier, pushes it to the counter object, and takes it back on unsubscribe', async () => {
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const apiId = await publishedApi(publisher);
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Subscriber App' });
    const wrongTier = await api<ProblemBody>('POST', '/api/devportal/v1/subscriptions', dev, {
      applicationId: app.body.id,
      apiId,
      tier: 'Silver',
    });
    expect(wrongTier.status).toBe(400);
    expect(wrongTier.body.errors?.[0]?.pointer).toBe('/tier');
    const sub = await api<{ id: string; status: string }>('POST', '/api/devportal/v1/subscriptions', dev, {
      applicationId: app.body.id,
      apiId,
      tier: 'Bronze',
    });
    expect(sub.status).toBe(201);
    expect((await object(app.body.id, apiId).inspect()).state).toMatchObject({
      status: 'UNBLOCKED',
      tier: 'Bronze',
      limits: [{ limit: 1000, windowSeconds: 60 }],
    });
    expect((await api('PATCH', `/api/devportal/v1/subscriptions/${sub.body.id}`, dev, { tier: 'Gold' })).status).toBe(200);
    expect((await object(app.body.id, apiId).inspect()).state?.tier).toBe('Gold');
    expect((await api('DELETE', `/api/devportal/v1/subscriptions/${sub.body.id}`, dev)).status).toBe(204);
    expect((await object(app.body.id, apiId).inspect()).deleted).toBe(true);
  });

  it("shows what is left of the subscription's tier, counted by its counter object, to its owner only", async () => {
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const other = await userWithRole('developer');
    const apiId = await publishedApi(publisher);
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Quota App' });
    const sub = await api<{ id: string }>('POST', '/api/devportal/v1/subscriptions', dev, {
      applicationId: app.body.id,
      apiId,
      tier: 'Bronze',
    });
    const now = Date.now();
    for (let i = 0; i < 3; i++)
      expect((await object(app.body.id, apiId).admit({ keyType: 'PRODUCTION', credentialId: 'cred', issuedAt: now })).ok).toBe(true);
    const quota = await api<{
      tier: string;
      limits: Array<{ policy: string; limit: number; remaining: number; windowSeconds: number; resetSeconds: number; unit: string }>;
    }>('GET', `/api/devportal/v1/subscriptions/${sub.body.id}/quota`, dev);
    expect(quota.status).toBe(200);
    expect(quota.body.tier).toBe('Bronze');
    expect(quota.body.limits).toEqual([
      expect.objectContaining({ policy: 'Bronze', limit: 1000, remaining: 997, windowSeconds: 60, unit: 'requests' }),
    ]);
    expect(quota.body.limits[0]?.resetSeconds).toBeGreaterThan(0);
    expect(quota.body.limits[0]?.resetSeconds).toBeLessThanOrEqual(60);
    expect((await api('GET', `/api/devportal/v1/subscriptions/${sub.body.id}/quota`, other)).status).toBe(404);
  });

  it('gives exactly one 201 to concurrent duplicate subscriptions', async () => {
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const apiId = await publishedApi(publisher);
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Racer' });
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () =>
        api('POST', '/api/devportal/v1/subscriptions', dev, { applicationId: app.body.id, apiId, tier: 'Gold' }).then((r) => r.status),
      ),
    );
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(7);
  });

  it('takes an API key expiry as an exact RFC 3339 time or as seconds, and refuses a past one, two at once, or a malformed one', async () => {
    const dev = await userWithRole('developer');
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Expiring' });
    const path = `/api/devportal/v1/applications/${app.body.id}/api-keys`;
    const at = new Date(Date.now() + 90 * 60_000);
    at.setMilliseconds(0);
    const exact = await api<{ expiresAt: number }>('POST', path, dev, { name: 'exact', expiresAt: at.toISOString() });
    expect(exact.status).toBe(201);
    expect(exact.body.expiresAt).toBe(at.getTime());
    const offset = await api<{ expiresAt: number }>('POST', path, dev, { name: 'offset', expiresAt: '2030-06-01T12:00:00+02:00' });
    expect(offset.body.expiresAt).toBe(Date.parse('2030-06-01T10:00:00Z'));
    const before = Date.now();
    const seconds = await api<{ expiresAt: number }>('POST', path, dev, { name: 'seconds', validityPeriod: 90 });
    expect(seconds.status).toBe(201);
    expect(seconds.body.expiresAt).toBeGreaterThanOrEqual(before + 90_000);
    expect(seconds.body.expiresAt).toBeLessThanOrEqual(Date.now() + 90_000);
    expect((await api<{ expiresAt: number | null }>('POST', path, dev, { name: 'never' })).body.expiresAt).toBeNull();
    for (const [body, pointer] of [
      [{ expiresAt: new Date(Date.now() - 1000).toISOString() }, '/expiresAt'],
      [{ expiresAt: '2030-06-01 12:00' }, '/expiresAt'],
      [{ expiresAt: '2030-06-01T12:00:00' }, '/expiresAt'],
      [{ validityPeriod: 0 }, '/validityPeriod'],
      [{ validityPeriod: 1.5 }, '/validityPeriod'],
      [{ validityPeriod: 60, expiresInDays: 1 }, '/validityPeriod'],
    ] as const) {
      const res = await api<ProblemBody>('POST', path, dev, { name: 'bad', ...body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        res.body.errors?.map((e) => e.pointer),
        JSON.stringify(body),
      ).toContain(pointer);
    }
  });

  it('refuses subscriptions to deprecated APIs', async () => {
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const apiId = await publishedApi(publisher);
    await api('POST', `/api/publisher/v1/apis/${apiId}/lifecycle`, publisher, { state: 'DEPRECATED' });
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Late' });
    expect((await api('POST', '/api/devportal/v1/subscriptions', dev, { applicationId: app.body.id, apiId, tier: 'Gold' })).status).toBe(
      409,
    );
  });

  it('deleting an application removes every counter object it had as revoked, so its tokens are dead (401), also after an app of the same name is made again', async () => {
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const apiId = await publishedApi(publisher);
    const otherApiId = await publishedApi(publisher);
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Doomed' });
    await api('POST', '/api/devportal/v1/subscriptions', dev, { applicationId: app.body.id, apiId, tier: 'Gold' });
    expect((await api('DELETE', `/api/devportal/v1/applications/${app.body.id}`, dev)).status).toBe(204);
    const call = { keyType: 'PRODUCTION' as const, credentialId: 'x', issuedAt: Date.now() };
    expect(await object(app.body.id, apiId).admit(call)).toEqual({ ok: false, error: { kind: 'revoked' } });
    // The application's own object answers for the APIs it was never subscribed to.
    expect(await throttleNamespace(env).getByName(counterObjectName.application(app.body.id)).admit(call)).toEqual({
      ok: false,
      error: { kind: 'revoked' },
    });
    expect(await object(app.body.id, otherApiId).admit(call)).toEqual({ ok: false, error: { kind: 'unknown-subscription' } });
    const again = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Doomed' });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(app.body.id);
    await api('POST', '/api/devportal/v1/subscriptions', dev, { applicationId: again.body.id, apiId, tier: 'Gold' });
    expect(await object(app.body.id, apiId).admit(call)).toEqual({ ok: false, error: { kind: 'revoked' } });
    expect((await object(again.body.id, apiId).admit(call)).ok).toBe(true);
  });

  it('shows PRIVATE APIs to signed-in users and RESTRICTED ones to their roles only, in the catalog and for subscribing', async () => {
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const tag = `vis${Date.now()}`;
    const privateId = await publishedApi(publisher, { tags: [tag], visibility: 'PRIVATE' });
    const publishersOnly = await publishedApi(publisher, { tags: [tag], visibility: 'RESTRICTED', visibleRoles: ['publisher'] });
    const forDevelopers = await publishedApi(publisher, { tags: [tag], visibility: 'RESTRICTED', visibleRoles: ['developer'] });
    const seen = async (user: Awaited<ReturnType<typeof userWithRole>> | null) =>
      (await api<{ list: Array<{ id: string }> }>('GET', `/api/devportal/v1/apis?tag=${tag}`, user)).body.list.map((a) => a.id).sort();
    expect(await seen(null)).toEqual([]);
    expect(await seen(dev)).toEqual([privateId, forDevelopers].sort());
    expect(await seen(publisher)).toEqual([privateId, publishersOnly].sort());
    expect((await api('GET', `/api/devportal/v1/apis/${privateId}`, null)).status).toBe(404);
    expect((await api('GET', `/api/devportal/v1/apis/${publishersOnly}`, dev)).status).toBe(404);

    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Visibility' });
    expect(
      (await api('POST', '/api/devportal/v1/subscriptions', dev, { applicationId: app.body.id, apiId: publishersOnly, tier: 'Gold' }))
        .status,
    ).toBe(404);
    expect(
      (await api('POST', '/api/devportal/v1/subscriptions', dev, { applicationId: app.body.id, apiId: forDevelopers, tier: 'Gold' }))
        .status,
    ).toBe(201);

    const noRoles = await api<ProblemBody>('POST', '/api/publisher/v1/apis', publisher, {
      name: 'R',
      context: `/r${Date.now()}`,
      version: 'v1',
      visibility: 'RESTRICTED',
    });
    expect(noRoles.status).toBe(400);
    expect(noRoles.body.errors?.[0]?.pointer).toBe('/visibleRoles');
    const madePublic = await api<{ visibility: string; visibleRoles: string[] }>(
      'PATCH',
      `/api/publisher/v1/apis/${publishersOnly}`,
      publisher,
      { visibility: 'PUBLIC' },
    );
    expect(madePublic.body).toMatchObject({ visibility: 'PUBLIC', visibleRoles: [] });
  });

  it('lets an anonymous visitor read a PUBLIC API — page, documents, OpenAPI document — and answers 404 for PRIVATE and RESTRICTED ones', async () => {
    const publisher = await userWithRole('publisher');
    const tag = `anon${Date.now()}`;
    const open = await publishedApi(publisher, { tags: [tag] });
    const hidden = [
      await publishedApi(publisher, { tags: [tag], visibility: 'PRIVATE' }),
      await publishedApi(publisher, { tags: [tag], visibility: 'RESTRICTED', visibleRoles: ['developer'] }),
    ];
    expect(
      (
        await api('POST', `/api/publisher/v1/apis/${open}/documents`, publisher, {
          name: 'Getting started',
          type: 'HOWTO',
          sourceType: 'INLINE',
          content: '# Hello',
        })
      ).status,
    ).toBe(201);
    expect(
      (await api<{ list: Array<{ id: string }> }>('GET', `/api/devportal/v1/apis?tag=${tag}`, null)).body.list.map((a) => a.id),
    ).toEqual([open]);
    for (const suffix of ['', '/documents', '/openapi', '/ratings']) {
      expect((await api('GET', `/api/devportal/v1/apis/${open}${suffix}`, null)).status, `public ${suffix}`).toBe(200);
      for (const id of hidden)
        expect((await api('GET', `/api/devportal/v1/apis/${id}${suffix}`, null)).status, `hidden ${suffix}`).toBe(404);
    }
    expect(
      (await api<{ list: Array<{ name: string }> }>('GET', `/api/devportal/v1/apis/${open}/documents`, null)).body.list.map((d) => d.name),
    ).toEqual(['Getting started']);
    // What needs an account still needs one.
    expect((await api('GET', '/api/devportal/v1/applications', null)).status).toBe(401);
    expect((await api('POST', '/api/devportal/v1/subscriptions', null, { applicationId: 'app_x', apiId: open, tier: 'Gold' })).status).toBe(
      401,
    );
  });

  it('shows each offered tier with what it allows, in the order the API lists them', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher, { subscriptionTiers: ['Unlimited', 'Gold'] });
    const detail = await api<{ tiers: Array<Record<string, unknown>> }>('GET', `/api/devportal/v1/apis/${apiId}`, null);
    expect(detail.body.tiers).toEqual([
      expect.objectContaining({ name: 'Unlimited', limit: null }),
      expect.objectContaining({ name: 'Gold', displayName: 'Gold', quotaType: 'requestCount', limit: 5000, unitTime: 1, timeUnit: 'min' }),
    ]);
    const listed = await api<{ list: Array<{ id: string; tiers: Array<{ name: string }> }> }>(
      'GET',
      `/api/devportal/v1/apis?limit=100`,
      null,
    );
    expect(listed.body.list.find((a) => a.id === apiId)?.tiers.map((t) => t.name)).toEqual(['Unlimited', 'Gold']);
  });

  it('finds a public API however many APIs the caller may not see were published after it', async () => {
    const publisher = await userWithRole('publisher');
    const tag = `deep${Date.now()}`;
    const publicId = await publishedApi(publisher, { tags: [tag], description: 'Findable by a Word in its description' });
    // 1,100 newer PRIVATE APIs, copied from the public one in one statement.
    const cols = (await env.DB.prepare('SELECT name FROM pragma_table_info(?)').bind('apis').all<{ name: string }>()).results.map(
      (r) => r.name,
    );
    const select = cols.map((col) =>
      col === 'id'
        ? `'api_deep' || seq.n`
        : col === 'context'
          ? `'/deep${Date.now()}-' || seq.n`
          : col === 'visibility'
            ? `'PRIVATE'`
            : col === 'created_at'
              ? `t.created_at + seq.n`
              : `t.${col}`,
    );
    await env.DB.prepare(
      `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 1100) INSERT INTO apis (${cols.join(', ')}) SELECT ${select.join(', ')} FROM apis AS t, seq WHERE t.id = ?`,
    )
      .bind(publicId)
      .run();
    const anonymous = await api<{ total: number; list: Array<{ id: string }> }>('GET', `/api/devportal/v1/apis?tag=${tag}`, null);
    expect(anonymous.body.list.map((a) => a.id)).toEqual([publicId]);
    expect(anonymous.body.total).toBe(1);
    const byText = await api<{ list: Array<{ id: string }> }>(
      'GET',
      `/api/devportal/v1/apis?query=${encodeURIComponent('a word IN its')}&tag=${tag}`,
      null,
    );
    expect(byText.body.list.map((a) => a.id)).toEqual([publicId]);
    const signedIn = await api<{ total: number; list: Array<{ id: string }> }>(
      'GET',
      `/api/devportal/v1/apis?tag=${tag}&limit=10&offset=1095`,
      publisher,
    );
    expect(signedIn.body.total).toBe(1101);
    expect(signedIn.body.list.map((a) => a.id)).toEqual(['api_deep5', 'api_deep4', 'api_deep3', 'api_deep2', 'api_deep1', publicId]);
  });

  it('shows published APIs in the catalog and hides created ones', async () => {
    const publisher = await userWithRole('publisher');
    const publishedId = await publishedApi(publisher, { name: `Catalog visible ${Date.now()}` });
    const hidden = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, {
      name: `Catalog hidden ${Date.now()}`,
      context: `/hidden${Date.now()}`,
      version: 'v1',
    });
    const catalog = await api<{ list: Array<{ id: string }> }>('GET', '/api/devportal/v1/apis?query=Catalog&limit=100', null);
    const ids = catalog.body.list.map((a) => a.id);
    expect(ids).toContain(publishedId);
    expect(ids).not.toContain(hidden.body.id);
    expect((await api('GET', `/api/devportal/v1/apis/${hidden.body.id}`, null)).status).toBe(404);
  });

  it('says whether an API takes API keys at all, in the catalog and on its page', async () => {
    const publisher = await userWithRole('publisher');
    const tag = `keys${Date.now()}`;
    const oauthOnly = await publishedApi(publisher, { tags: [tag] });
    const withKeys = await publishedApi(publisher, {
      tags: [tag],
      resources: [
        { method: 'GET', path: '/a', authType: 'oauth2' },
        { method: 'GET', path: '/b', authType: 'oauth2_or_api_key' },
      ],
    });
    const listed = await api<{ list: Array<{ id: string; acceptsApiKeys: boolean }> }>('GET', `/api/devportal/v1/apis?tag=${tag}`, null);
    expect(Object.fromEntries(listed.body.list.map((a) => [a.id, a.acceptsApiKeys]))).toEqual({ [oauthOnly]: false, [withKeys]: true });
    expect((await api<{ acceptsApiKeys: boolean }>('GET', `/api/devportal/v1/apis/${withKeys}`, null)).body.acceptsApiKeys).toBe(true);
    expect((await api<{ acceptsApiKeys: boolean }>('GET', `/api/devportal/v1/apis/${oauthOnly}`, null)).body.acceptsApiKeys).toBe(false);
  });

  it("tells developers the API's key header, for the try-it console", async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher, { apiKeyHeader: 'X-Api-Key' });
    expect((await api<{ apiKeyHeader: string }>('GET', `/api/devportal/v1/apis/${apiId}`, null)).body.apiKeyHeader).toBe('x-api-key');
  });

  it('lists the gateway environments an API is deployed to, with their public URL, and hides environments from roles they are not visible to', async () => {
    const admin = await userWithRole('admin');
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const stamp = `${Date.now()}${Math.random().toString(36).slice(2, 6)}`;
    const open = await api<{ id: string }>('POST', '/api/admin/v1/environments', admin, {
      name: `open-${stamp}`,
      displayName: 'Open',
      hostname: `open-${stamp}.example.com`,
    });
    const staff = await api<{ id: string }>('POST', '/api/admin/v1/environments', admin, {
      name: `staff-${stamp}`,
      displayName: 'Staff',
      visibleRoles: ['publisher'],
    });
    expect([open.status, staff.status]).toEqual([201, 201]);
    const tag = `envs${stamp}`;
    const apiId = await publishedApi(publisher, { tags: [tag] });
    const revisions = await api<{ list: Array<{ id: string }> }>('GET', `/api/publisher/v1/apis/${apiId}/revisions`, publisher);
    expect(
      (
        await api('POST', `/api/publisher/v1/apis/${apiId}/deployments`, publisher, {
          revisionId: revisions.body.list[0]?.id,
          environments: [`open-${stamp}`, `staff-${stamp}`],
        })
      ).status,
    ).toBe(201);
    // Published but never deployed: in the catalog, served nowhere.
    const nowhere = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody({ tags: [tag] }));
    expect((await api('POST', `/api/publisher/v1/apis/${nowhere.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' })).status).toBe(200);

    type Env = { name: string; displayName: string; gatewayUrl: string | null };
    const production: Env = { name: 'production', displayName: 'Default', gatewayUrl: null };
    const openEnv: Env = { name: `open-${stamp}`, displayName: 'Open', gatewayUrl: `https://open-${stamp}.example.com` };
    const staffEnv: Env = { name: `staff-${stamp}`, displayName: 'Staff', gatewayUrl: null };
    const seen = async (user: Awaited<ReturnType<typeof userWithRole>> | null) => {
      const list = await api<{ list: Array<{ id: string; environments: Env[] }> }>('GET', `/api/devportal/v1/apis?tag=${tag}`, user);
      const detail = await api<{ environments: Env[] }>('GET', `/api/devportal/v1/apis/${apiId}`, user);
      expect(list.body.list.find((a) => a.id === apiId)?.environments).toEqual(detail.body.environments);
      expect(list.body.list.find((a) => a.id === nowhere.body.id)?.environments).toEqual([]);
      return detail.body.environments;
    };
    expect(await seen(null)).toEqual([production, openEnv]);
    expect(await seen(dev)).toEqual([production, openEnv]);
    expect(await seen(admin)).toEqual([production, openEnv]);
    expect(await seen(publisher)).toEqual([production, openEnv, staffEnv]);

    // Undeployed from an environment: no longer listed there.
    expect((await api('DELETE', `/api/publisher/v1/apis/${apiId}/deployments/open-${stamp}`, publisher)).status).toBe(204);
    expect(await seen(null)).toEqual([production]);
  });
});
