import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { counterObjectName } from '../../../../durable-objects/throttle/types.ts';
import { api, call, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';

let key: SigningKey;
const perMinute = (scope: 'api' | 'resource' | 'custom', policy: string, limit: number, failOpen?: boolean) => ({
  policy,
  scope,
  limit,
  windowSeconds: 60,
  ...(failOpen === undefined ? {} : { failOpen }),
});
// A limit no counter can count: the object refuses it, as it would refuse any call it cannot serve.
const broken = (failOpen: boolean) => ({
  policy: failOpen ? 'Lenient' : 'Strict',
  scope: 'api' as const,
  limit: 5,
  windowSeconds: 0,
  failOpen,
});

async function codeOf(res: Response): Promise<number | undefined> {
  return ((await res.json()) as { code?: number }).code;
}

beforeAll(async () => {
  key = await signingKey('kc');
  await deploy(
    [
      api({
        id: 'api_cond',
        context: '/cond',
        limits: [perMinute('api', 'Adv', 3)],
        conditional: [
          { conditions: [{ type: 'header', name: 'x-partner', value: 'acme', invert: false }], limits: [perMinute('api', 'Adv.g1', 1)] },
          {
            conditions: [
              { type: 'ip', cidr: '203.0.113.0/24', invert: true },
              { type: 'query', name: 'bulk', value: 'true', invert: false },
            ],
            limits: [perMinute('api', 'Adv.g2', 2)],
          },
        ],
      }),
      api({
        id: 'api_claim',
        context: '/claim',
        resources: [
          resource('GET', '/pets', {
            conditional: [
              {
                conditions: [{ type: 'jwtClaim', claim: 'plan', value: 'free', invert: false }],
                limits: [perMinute('resource', 'ResAdv.g1', 1)],
              },
            ],
          }),
        ],
      }),
      api({ id: 'api_custom_a', context: '/ca' }),
      api({ id: 'api_custom_b', context: '/cb' }),
      api({ id: 'api_open_fail', context: '/failopen', limits: [broken(true)] }),
      api({ id: 'api_closed_fail', context: '/failclosed', limits: [broken(false)] }),
    ],
    [key],
    { customPolicies: [{ name: 'PerUserAllApis', keyTemplate: '$userId', limits: [perMinute('custom', 'PerUserAllApis', 4)] }] },
  );
});

describe('conditional groups of advanced policies', () => {
  it('charges a call matching a header group to that group only, and the rest to the default', async () => {
    const app = 'app_cond_header';
    await subscribe(app, 'api_cond');
    const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
    const partner = await call('/cond/v1/pets', { headers: { ...auth, 'x-partner': 'acme' } });
    expect(partner.status).toBe(200);
    expect(partner.headers.get('ratelimit-policy')).toContain('"api:Adv.g1";q=1;w=60');
    const over = await call('/cond/v1/pets', { headers: { ...auth, 'x-partner': 'acme' } });
    expect(over.status).toBe(429);
    expect(await codeOf(over)).toBe(900800);
    // Everyone else still has the default's three.
    const plain = await call('/cond/v1/pets', { headers: auth });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('ratelimit')).toContain('"api:Adv";r=2;');
  });

  it('needs every condition of a group, honours inverted ones, and counts the group across callers', async () => {
    const bulk = { 'cf-connecting-ip': '192.0.2.10' };
    const statuses: number[] = [];
    for (const app of ['app_cond_q1', 'app_cond_q2']) {
      await subscribe(app, 'api_cond');
      const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
      for (let i = 0; i < 2; i++) statuses.push((await call('/cond/v1/pets?bulk=true', { headers: { ...auth, ...bulk } })).status);
    }
    expect(statuses).toEqual([200, 200, 429, 429]);
    // From inside 203.0.113.0/24 the inverted condition fails: the call falls back to the default.
    const inside = await call('/cond/v1/pets?bulk=true', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: 'app_cond_q1' })}`, 'cf-connecting-ip': '203.0.113.9' },
    });
    expect(inside.headers.get('ratelimit-policy')).toContain('"api:Adv";');
    const group = await counterNamespace(env)
      .getByName(counterObjectName.group(counterObjectName.api('api_cond'), 2))
      .inspect();
    expect(group.state).toBeNull();
  });

  it('matches a JWT claim on a resource-level group', async () => {
    const app = 'app_claim';
    await subscribe(app, 'api_claim');
    const free = { authorization: `Bearer ${await token(key, { applicationId: app, claims: { plan: 'free' } })}` };
    const paid = { authorization: `Bearer ${await token(key, { applicationId: app, claims: { plan: 'paid' } })}` };
    expect((await call('/claim/v1/pets', { headers: free })).status).toBe(200);
    const over = await call('/claim/v1/pets', { headers: free });
    expect(over.status).toBe(429);
    expect(await codeOf(over)).toBe(900802);
    expect((await call('/claim/v1/pets', { headers: paid })).status).toBe(200);
  });
});

describe('custom policies', () => {
  it('counts a user across every API with the custom code 900806, separately per user', async () => {
    const app = 'app_custom';
    await subscribe(app, 'api_custom_a');
    await subscribe(app, 'api_custom_b');
    const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
    const statuses: number[] = [];
    for (const path of ['/ca/v1/pets', '/cb/v1/pets', '/ca/v1/pets', '/cb/v1/pets'])
      statuses.push((await call(path, { headers: auth })).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const over = await call('/cb/v1/pets', { headers: auth });
    expect(over.status).toBe(429);
    expect(await codeOf(over)).toBe(900806);
    expect(over.headers.get('ratelimit-policy')).toContain('"custom:PerUserAllApis";q=4;w=60');
    // Another user (token subject) has a counter of its own.
    await subscribe('app_custom_other', 'api_custom_a');
    expect(
      (await call('/ca/v1/pets', { headers: { authorization: `Bearer ${await token(key, { applicationId: 'app_custom_other' })}` } }))
        .status,
    ).toBe(200);
  });
});

describe('fail mode when a counter cannot answer', () => {
  it('lets the call through for a policy that fails open and refuses it with 503 for one that fails closed', async () => {
    const app = 'app_fail_modes';
    await subscribe(app, 'api_open_fail');
    await subscribe(app, 'api_closed_fail');
    const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
    expect((await call('/failopen/v1/pets', { headers: auth })).status).toBe(200);
    const closed = await call('/failclosed/v1/pets', { headers: auth });
    expect(closed.status).toBe(503);
    expect(closed.headers.get('content-type')).toBe('application/problem+json');
    expect(closed.headers.get('retry-after')).toBe('1');
  });
});
