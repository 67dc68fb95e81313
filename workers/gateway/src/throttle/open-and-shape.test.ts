import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { counterObjectName, type WindowLimit } from '../../../../durable-objects/throttle/types.ts';
import { api, call, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';

let key: SigningKey;
const limit = (scope: WindowLimit['scope'], policy: string, n: number, windowSeconds = 60): WindowLimit => ({
  policy,
  scope,
  limit: n,
  windowSeconds,
});
const QUOTA_EXCEEDED = 'https://iana.org/assignments/http-problem-types#quota-exceeded';

interface Problem {
  type: string;
  status: number;
  code?: number;
  'violated-policies'?: string[];
}

beforeAll(async () => {
  key = await signingKey('ko');
  await deploy(
    [
      // An open resource with a resource policy, and one under an API policy only.
      api({
        id: 'api_open_res',
        context: '/openres',
        resources: [resource('GET', '/pub', { authType: 'none', limits: [limit('resource', 'Res3', 3)] })],
      }),
      api({
        id: 'api_open_api',
        context: '/openapi',
        limits: [limit('api', 'Api4', 4)],
        resources: [resource('GET', '/pub', { authType: 'none' })],
      }),
      // A conditional group: calls from 192.0.2.0/24 get 1 per window instead of the default.
      api({
        id: 'api_open_cond',
        context: '/opencond',
        resources: [
          resource('GET', '/pub', {
            authType: 'none',
            limits: [limit('resource', 'Cond', 50)],
            conditional: [{ conditions: [{ type: 'ip', cidr: '192.0.2.0/24', invert: false }], limits: [limit('resource', 'Cond.g1', 1)] }],
          }),
        ],
      }),
      // Custom policy per client IP on an open resource without any other policy.
      api({ id: 'api_open_ip', context: '/openip', resources: [resource('GET', '/pub', { authType: 'none' })] }),
      // Authenticated: API policy + resource policy + subscription tier on one call.
      api({
        id: 'api_every',
        context: '/every',
        limits: [limit('api', 'ApiTen', 10)],
        resources: [resource('GET', '/pets', { limits: [limit('resource', 'ResTwo', 2)] }), resource('GET', '/cats')],
      }),
    ],
    [key],
    {
      customPolicies: [
        { name: 'PerIp', keyTemplate: '$clientIp:$apiContext', limits: [limit('custom', 'PerIp', 2)] },
        { name: 'PerUser', keyTemplate: '$userId', limits: [limit('custom', 'PerUser', 1000)] },
      ],
    },
  );
});

const from = (ip: string) => ({ headers: { 'cf-connecting-ip': ip } });

describe('open resources (authType none) are throttled', () => {
  it('applies a resource policy: 3 of 6 anonymous calls pass, the rest get 429 with RateLimit headers', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call('/openres/v1/pub', from(`203.0.113.${i}`))).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429, 429]);
    const over = await call('/openres/v1/pub', from('203.0.113.99'));
    expect(over.status).toBe(429);
    expect(over.headers.get('ratelimit-policy')).toContain('"resource:Res3";q=3;w=60');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const body = (await over.json()) as Problem;
    expect(body).toMatchObject({ type: QUOTA_EXCEEDED, status: 429, code: 900802, 'violated-policies': ['resource:Res3'] });
  });

  it('applies an API policy across the API', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await call('/openapi/v1/pub', from(`203.0.113.${20 + i}`))).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429, 429]);
  });

  it('applies a conditional group by client address, and the default to everyone else', async () => {
    expect((await call('/opencond/v1/pub', from('192.0.2.7'))).status).toBe(200);
    expect((await call('/opencond/v1/pub', from('192.0.2.8'))).status).toBe(429);
    expect((await call('/opencond/v1/pub', from('198.51.100.1'))).status).toBe(200);
  });

  it('applies a custom policy keyed by $clientIp per address, and no policy keyed by a user an anonymous call does not have', async () => {
    const a = [];
    for (let i = 0; i < 3; i++) a.push((await call('/openip/v1/pub', from('203.0.113.50'))).status);
    expect(a).toEqual([200, 200, 429]);
    expect((await call('/openip/v1/pub', from('203.0.113.51'))).status).toBe(200);
    const res = await call('/openip/v1/pub', from('203.0.113.52'));
    expect(res.headers.get('ratelimit-policy')).toBe('"custom:PerIp";q=2;w=60');
    const perUser = await counterNamespace(env).getByName(counterObjectName.custom('PerUser', '-')).inspect();
    expect(perUser.limits).toEqual([]);
  });
});

describe('the 429 answer', () => {
  it('lists every policy of the call in RateLimit and RateLimit-Policy, the admitting ones given back, with the registered problem type', async () => {
    const app = 'app_every';
    await subscribe(app, 'api_every', [limit('subscription', 'Sub5', 5)]);
    const t = await token(key, { applicationId: app });
    // Each call from its own address, so the per-IP custom policy admits them all.
    const auth = (i: number) => ({ headers: { authorization: `Bearer ${t}`, 'cf-connecting-ip': `198.51.100.${i}` } });
    expect((await call('/every/v1/pets', auth(1))).status).toBe(200);
    expect((await call('/every/v1/pets', auth(2))).status).toBe(200);
    const over = await call('/every/v1/pets', auth(3));
    expect(over.status).toBe(429);
    const policies = over.headers.get('ratelimit-policy') ?? '';
    for (const p of [
      '"subscription:Sub5";q=5;w=60',
      '"api:ApiTen";q=10;w=60',
      '"resource:ResTwo";q=2;w=60',
      '"custom:PerIp";q=2;w=60',
      '"custom:PerUser";q=1000;w=60',
    ])
      expect(policies).toContain(p);
    // Nothing was consumed by the refused call: the subscription and the API still have what two calls left.
    const remaining = Object.fromEntries(
      (over.headers.get('ratelimit') ?? '').split(', ').map((m) => [/^"([^"]+)"/.exec(m)?.[1], Number(/r=(-?\d+)/.exec(m)?.[1])]),
    );
    expect(remaining).toMatchObject({ 'subscription:Sub5': 3, 'api:ApiTen': 8, 'resource:ResTwo': 0 });
    const body = (await over.json()) as Problem;
    expect(body.type).toBe(QUOTA_EXCEEDED);
    expect(body['violated-policies']).toEqual(['resource:ResTwo']);
    expect(body.status).toBe(429);
  });

  it('lists the shared counters that admitted when the subscription refuses', async () => {
    const app = 'app_every_sub';
    await subscribe(app, 'api_every', [limit('subscription', 'SubOne', 1)]);
    const t = await token(key, { applicationId: app });
    const auth = (i: number) => ({ headers: { authorization: `Bearer ${t}`, 'cf-connecting-ip': `198.51.100.${10 + i}` } });
    expect((await call('/every/v1/cats', auth(1))).status).toBe(200);
    const over = await call('/every/v1/cats', auth(2));
    expect(over.status).toBe(429);
    expect(over.headers.get('ratelimit-policy')).toContain('"api:ApiTen"');
    expect(over.headers.get('ratelimit-policy')).toContain('"subscription:SubOne"');
    expect(((await over.json()) as Problem)['violated-policies']).toEqual(['subscription:SubOne']);
  });
});
