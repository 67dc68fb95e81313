import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { counterObjectName, subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { api, call, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';

let key: SigningKey;
const perMinute = (scope: 'application' | 'api' | 'resource' | 'subscription', policy: string, limit: number) => ({
  policy,
  scope,
  limit,
  windowSeconds: 60,
});

async function codeOf(res: Response): Promise<number | undefined> {
  return ((await res.json()) as { code?: number }).code;
}

beforeAll(async () => {
  key = await signingKey('kp');
  await deploy(
    [
      api({ id: 'api_a', context: '/a' }),
      api({ id: 'api_b', context: '/b' }),
      api({ id: 'api_limited', context: '/limited', limits: [perMinute('api', '3PerMin', 3)] }),
      api({
        id: 'api_res',
        context: '/res',
        resources: [resource('GET', '/pets', { limits: [perMinute('resource', '1PerMin', 1)] }), resource('GET', '/other')],
      }),
      api({ id: 'api_blocked_ctx', context: '/blockedctx' }),
    ],
    [key],
    {
      applicationPolicies: { AppTwo: [perMinute('application', 'AppTwo', 2)] },
      blocking: {
        apiContexts: ['/blockedctx'],
        applicationIds: ['app_banned'],
        users: [],
        ips: [{ range: '198.51.100.0/24', inverted: false }],
      },
    },
  );
});

describe('several policies on one call', () => {
  it('shares the application tier across APIs and gives back what a refused call counted', async () => {
    const app = 'app_tier_shared';
    await subscribe(app, 'api_a', [perMinute('subscription', 'Sub10', 10)]);
    await subscribe(app, 'api_b', [perMinute('subscription', 'Sub10', 10)]);
    const t = await token(key, { applicationId: app, claims: { application_tier: 'AppTwo' } });
    const auth = { authorization: `Bearer ${t}` };
    const first = await call('/a/v1/pets', { headers: auth });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"subscription:Sub10";q=10;w=60, "application:AppTwo";q=2;w=60');
    expect((await call('/b/v1/pets', { headers: auth })).status).toBe(200);
    const third = await call('/a/v1/pets', { headers: auth });
    expect(third.status).toBe(429);
    expect(await codeOf(third)).toBe(900803);
    // The refused call was given back to the subscription's counter.
    const sub = await counterNamespace(env).getByName(subscriptionObjectName(app, 'api_a')).inspect();
    expect(sub.limits[0]?.remaining).toBe(9);
  });

  it('holds an API-level limit across applications', async () => {
    const statuses: number[] = [];
    for (const app of ['app_l1', 'app_l2']) {
      await subscribe(app, 'api_limited');
      const t = await token(key, { applicationId: app });
      for (let i = 0; i < 2; i++) statuses.push((await call('/limited/v1/pets', { headers: { authorization: `Bearer ${t}` } })).status);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
    const counted = await counterNamespace(env).getByName(counterObjectName.api('api_limited')).inspect();
    expect(counted.state).toBeNull();
  });

  it('applies a resource-level policy to that resource only', async () => {
    const app = 'app_res';
    await subscribe(app, 'api_res');
    const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
    expect((await call('/res/v1/pets', { headers: auth })).status).toBe(200);
    const over = await call('/res/v1/pets', { headers: auth });
    expect(over.status).toBe(429);
    expect(await codeOf(over)).toBe(900802);
    expect((await call('/res/v1/other', { headers: auth })).status).toBe(200);
  });
});

describe('blocking conditions', () => {
  it('blocks by API context, client IP and application with 403 900805', async () => {
    const app = 'app_block_check';
    await subscribe(app, 'api_a');
    await subscribe(app, 'api_blocked_ctx');
    const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
    const ctx = await call('/blockedctx/v1/pets', { headers: auth });
    expect(ctx.status).toBe(403);
    expect(await codeOf(ctx)).toBe(900805);
    expect((await call('/a/v1/pets', { headers: { ...auth, 'cf-connecting-ip': '198.51.100.7' } })).status).toBe(403);
    expect((await call('/a/v1/pets', { headers: { ...auth, 'cf-connecting-ip': '192.0.2.7' } })).status).toBe(200);
    await subscribe('app_banned', 'api_a');
    const banned = await call('/a/v1/pets', { headers: { authorization: `Bearer ${await token(key, { applicationId: 'app_banned' })}` } });
    expect(banned.status).toBe(403);
  });
});

describe('lease mode for hot keys', () => {
  it('answers only 200 or 429 to 220 concurrent callers of one leased key, and admits exactly the limit', { timeout: 60_000 }, async () => {
    const app = 'app_hot_crowd';
    await subscribe(app, 'api_b', [perMinute('subscription', 'Thousand', 1000)]);
    const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
    const { leaseStats } = await import('./lease.ts');
    const strictBefore = leaseStats.strict;
    // Warm-up in the same minute window: strict calls teach the isolate the key's limits, and a rate
    // above the lease threshold makes it hot.
    const windowStart = Math.floor(Date.now() / 60_000);
    const statuses: number[] = [];
    while (statuses.length < 60)
      statuses.push(...(await Promise.all(Array.from({ length: 30 }, () => call('/b/v1/pets', { headers: auth }).then((r) => r.status)))));
    await new Promise((r) => setTimeout(r, 1000 - (Date.now() % 1000) + 5));
    // Then waves of 220 at once until well past the limit: concurrent callers outnumber any lease.
    for (let wave = 0; wave < 6; wave++)
      statuses.push(...(await Promise.all(Array.from({ length: 220 }, () => call('/b/v1/pets', { headers: auth }).then((r) => r.status)))));
    if (Math.floor(Date.now() / 60_000) !== windowStart) return; // crossed a window boundary: the count below would span two windows
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1000);
    // Some calls found their lease spent by the others and were decided by the object instead.
    expect(leaseStats.strict).toBeGreaterThan(strictBefore);
  });

  it(
    'switches a hot key with a large limit to leases, stays within the limit and still bites on revocation',
    { timeout: 30_000 },
    async () => {
      const app = 'app_hot';
      await subscribe(app, 'api_b', [perMinute('subscription', 'Big', 100_000)]);
      const jti = 'hot-token';
      const auth = { authorization: `Bearer ${await token(key, { applicationId: app, jti })}` };
      // The counts below are of one minute window: start well inside one.
      const left = 60_000 - (Date.now() % 60_000);
      if (left < 5000) await new Promise((r) => setTimeout(r, left + 50));
      // Warm-up: one strict call tells the isolate the key's limits; then a burst makes it hot.
      let statuses: number[] = [];
      const started = Date.now();
      while (Date.now() - started < 2200)
        statuses.push(
          ...(await Promise.all(Array.from({ length: 10 }, () => call('/b/v1/pets', { headers: auth }).then((r) => r.status)))),
        );
      expect(statuses.every((s) => s === 200)).toBe(true);
      const used = statuses.length;
      const { leaseStats } = await import('./lease.ts');
      // Most calls were admitted from leases, with far fewer calls to the object.
      expect(leaseStats.spent).toBeGreaterThan(used / 4);
      expect(leaseStats.leases).toBeLessThan(leaseStats.spent / 2);
      const object = counterNamespace(env).getByName(subscriptionObjectName(app, 'api_b'));
      const remaining = (await object.inspect()).limits[0]?.remaining ?? 0;
      // The object has counted at least every call made, plus at most what is leased and unspent.
      expect(100_000 - remaining).toBeGreaterThanOrEqual(used);
      expect(100_000 - remaining - used).toBeLessThanOrEqual(Math.ceil(100_000 * 0.1));

      await object.revokeCredential(jti, Date.now() + 600_000);
      const { dropLeases } = await import('./lease.ts');
      dropLeases(new Set([app]));
      statuses = await Promise.all(Array.from({ length: 5 }, () => call('/b/v1/pets', { headers: auth }).then((r) => r.status)));
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
    },
  );
});

describe('lease mode for quiet keys with large limits', () => {
  it(
    'leases to a key called one call at a time, ten a second, so most of its calls never wait for the object',
    { timeout: 30_000 },
    async () => {
      const app = 'app_quiet';
      await subscribe(app, 'api_b', [perMinute('subscription', 'BigQuiet', 100_000)]);
      const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
      const { leaseStats } = await import('./lease.ts');
      const before = { ...leaseStats };
      const statuses: number[] = [];
      const started = Date.now();
      while (Date.now() - started < 3000) {
        statuses.push((await call('/b/v1/pets', { headers: auth })).status);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(statuses.every((s) => s === 200)).toBe(true);
      const spent = leaseStats.spent - before.spent;
      // The first second is strict (it teaches the isolate the key's limits and rate); after it, calls spend leases.
      expect(spent).toBeGreaterThan(statuses.length / 3);
      expect(leaseStats.leases - before.leases).toBeLessThan(spent / 3);
    },
  );
});

// Last: it deploys snapshots of its own.
describe('blocking conditions by API version', () => {
  it('blocks one version for a context-and-version rule (/ctx/v1) and every version for a context rule (/ctx)', async () => {
    const app = 'app_block_version';
    const versions = [api({ id: 'api_ver1', context: '/ver', version: 'v1' }), api({ id: 'api_ver2', context: '/ver', version: 'v2' })];
    await subscribe(app, 'api_ver1');
    await subscribe(app, 'api_ver2');
    const auth = { headers: { authorization: `Bearer ${await token(key, { applicationId: app })}` } };
    const statuses = async () => [(await call('/ver/v1/pets', auth)).status, (await call('/ver/v2/pets', auth)).status];
    await deploy(versions, [key], { blocking: { apiContexts: ['/ver/v1'], applicationIds: [], users: [], ips: [] } });
    expect(await statuses()).toEqual([403, 200]);
    await deploy(versions, [key], { blocking: { apiContexts: ['/ver'], applicationIds: [], users: [], ips: [] } });
    expect(await statuses()).toEqual([403, 403]);
    await deploy(versions, [key]);
    expect(await statuses()).toEqual([200, 200]);
  });
});
