import { SELF } from 'cloudflare:test';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, api, apiBody, publishedApi, userWithRole, type TestUser } from '../../../../test/workers/control-plane-helpers.ts';

/**
 * Property: whatever the body, the management APIs answer 2xx or a 4xx problem+json whose `status`
 * is the HTTP status — never a 5xx, and never a stack trace, SQL or a file path on the wire. Bodies
 * start valid and are mutated (a value replaced by junk, a member dropped or duplicated, a value
 * wrapped, a member added), or are arbitrary JSON or text. Bounded (RUNS per property, ~10 s in
 * all); no fixed seed, so every run tries new cases — a failure prints its seed and the shrunk case.
 */

const RUNS = 60;

const junk: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(
    '',
    '_',
    ' ',
    'http://a b',
    'http://[::1',
    'https://x:99999/',
    '//x',
    'javascript:alert(1)',
    '%',
    '_%\\',
    "'; DROP TABLE apis; --",
    '\u0000',
    '\ud800',
    'e\u0301',
    '\u202e',
    '/',
    '/..',
    '/_turnpike',
    '{id}',
    'GET',
    'Gold',
    'x'.repeat(5000),
  ),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.integer(),
  fc.constantFrom(0, -1, 1e308, -1e308, 2 ** 53, 2 ** 63, 1.5, -0),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
interface Mutation {
  pick: number;
  action: 'replace' | 'perturb' | 'delete' | 'wrap' | 'add';
  junk: unknown;
  char: string;
}
// One character that parsers, URL readers, LIKE patterns and Unicode comparisons trip on.
const trouble = fc.constantFrom(
  ' ',
  '_',
  '%',
  '\\',
  '\u0000',
  '\ud800',
  '[',
  ':',
  '@',
  '#',
  '?',
  '\u202e',
  '{',
  '}',
  '\u0301',
  '\n',
  '"',
  '/',
);
const mutations = fc.array(
  fc.record({
    pick: fc.nat(),
    action: fc.constantFrom<Mutation['action']>('replace', 'perturb', 'perturb', 'delete', 'wrap', 'add'),
    junk,
    char: trouble,
  }),
  { minLength: 1, maxLength: 4 },
);

function paths(value: unknown, at: Array<string | number> = []): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = at.length === 0 ? [] : [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (typeof value === 'object' && value !== null) for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

function mutate(body: Json, plan: Mutation[]): unknown {
  const copy = structuredClone(body) as unknown;
  for (const m of plan) {
    const all = paths(copy);
    const path = all[m.pick % Math.max(all.length, 1)];
    if (path === undefined) return m.junk;
    const parent = path.slice(0, -1).reduce<unknown>((v, k) => (v as Record<string | number, unknown>)[k], copy) as Record<
      string | number,
      unknown
    >;
    const key = path[path.length - 1] as string | number;
    const current = parent[key];
    if (m.action === 'replace') parent[key] = m.junk;
    else if (m.action === 'perturb')
      parent[key] =
        typeof current === 'string'
          ? current.slice(0, m.pick % (current.length + 1)) + m.char + current.slice(m.pick % (current.length + 1))
          : typeof current === 'number'
            ? -current * 1e6
            : m.junk;
    else if (m.action === 'delete') delete parent[key];
    else if (m.action === 'wrap') parent[key] = [parent[key]];
    else if (typeof parent === 'object' && !Array.isArray(parent)) parent[`x${String(m.pick % 7)}`] = m.junk;
  }
  return copy;
}

// What a stack trace, a driver error or a file path looks like; none of it may reach a body.
const LEAKS = [
  /\bat \S+ \(\S+:\d+:\d+\)/,
  /\/src\/[\w/-]+\.ts/,
  /node_modules/,
  /\/work\//,
  /\bSQLITE_[A-Z]/,
  /\bD1_[A-Z]/,
  /\bselect \S+ from\b/i,
  /\binsert into\b/i,
  /\b(TypeError|RangeError|SyntaxError)\b/,
];

async function send(
  user: TestUser,
  method: string,
  path: string,
  body: string,
  type = 'application/json',
): Promise<{ status: number; text: string }> {
  const res = await SELF.fetch(`${ORIGIN}${path}`, { method, headers: { cookie: user.cookie, 'content-type': type }, body });
  const text = await res.text();
  const where = `${method} ${path} ${body.slice(0, 300)} → ${res.status} ${text.slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  if (res.status >= 400) {
    expect(res.headers.get('content-type'), where).toBe('application/problem+json');
    const problem = JSON.parse(text) as { status?: unknown; type?: unknown };
    expect(problem.status, where).toBe(res.status);
    expect(problem.type, where).toMatch(/^https:\/\/turnpike\.dev\/problems\//);
  }
  for (const leak of LEAKS) expect(leak.test(text) ? String(leak) : null, where).toBeNull();
  return { status: res.status, text };
}

const OPENAPI_DOC: Json = {
  openapi: '3.0.3',
  info: { title: 'Fuzzed', version: '1.0.0', description: 'd' },
  paths: {
    '/items/{id}': { get: { security: [{ oauth2: ['read'] }], responses: { '200': { description: 'ok' } } } },
    '/open': { post: { security: [], responses: {} } },
  },
};

describe('management request bodies under a property-based fuzz', () => {
  let publisher: TestUser;
  let developer: TestUser;
  let admin: TestUser;
  let apiId: string;
  let applicationId: string;
  let policyId: string;
  let policyName: string;
  beforeAll(async () => {
    publisher = await userWithRole('publisher');
    developer = await userWithRole('developer');
    admin = await userWithRole('admin');
    apiId = await publishedApi(publisher);
    applicationId = (await api<{ id: string }>('POST', '/api/devportal/v1/applications', developer, { name: `fuzz ${Date.now()}` })).body
      .id;
    policyName = `Fuzz${Date.now()}`;
    policyId = (
      await api<{ id: string }>('POST', '/api/admin/v1/throttling-policies', admin, { kind: 'application', name: policyName, limit: 10 })
    ).body.id;
  });

  const property = (make: () => { user: TestUser; method: string; path: string; body: Json }) =>
    fc.assert(
      fc.asyncProperty(mutations, async (plan) => {
        const { user, method, path, body } = make();
        await send(user, method, path, JSON.stringify(mutate(body, plan)));
      }),
      { numRuns: RUNS },
    );

  it('create API never answers 5xx', async () => {
    await property(() => ({
      user: publisher,
      method: 'POST',
      path: '/api/publisher/v1/apis',
      body: apiBody({
        description: 'x',
        tags: ['t'],
        cors: { enabled: true },
        headerEdits: { request: { set: { a: 'b' } } },
        endpoints: {
          production: { urls: [{ url: 'https://b.example.com', timeoutMs: 1000 }], security: { type: 'header', name: 'x-k', value: 'v' } },
        },
      }) as Json,
    }));
  }, 60_000);

  it('change API never answers 5xx', async () => {
    await property(() => ({
      user: publisher,
      method: 'PATCH',
      path: `/api/publisher/v1/apis/${apiId}`,
      body: {
        description: 'y',
        resources: [{ method: 'GET', path: '/items/{id}', authType: 'oauth2', scopes: ['read'] }],
        endpoints: { sandbox: { urls: [{ url: 'https://s.example.com' }] } },
      },
    }));
  }, 60_000);

  it('import never answers 5xx', async () => {
    await property(() => ({
      user: publisher,
      method: 'POST',
      path: '/api/publisher/v1/apis/import',
      body: { context: `/fz${Math.random().toString(36).slice(2, 8)}`, version: 'v1', definition: OPENAPI_DOC },
    }));
  }, 60_000);

  it('create application and subscription never answer 5xx', async () => {
    await property(() => ({
      user: developer,
      method: 'POST',
      path: '/api/devportal/v1/applications',
      body: { name: `a ${Math.random()}`, description: 'd', throttlingPolicy: 'Unlimited' },
    }));
    await property(() => ({
      user: developer,
      method: 'POST',
      path: '/api/devportal/v1/subscriptions',
      body: { applicationId, apiId, tier: 'Gold' },
    }));
  }, 60_000);

  it('create and change throttling policy never answer 5xx', async () => {
    await property(() => ({
      user: admin,
      method: 'POST',
      path: '/api/admin/v1/throttling-policies',
      body: {
        kind: 'subscription',
        name: `P${Math.random().toString(36).slice(2, 8)}`,
        limit: 100,
        unitTime: 1,
        timeUnit: 'min',
        burstLimit: 5,
        burstTimeUnit: 'sec',
        conditionalGroups: [{ conditions: [{ type: 'header', name: 'x-a', value: 'b' }], limit: 3 }],
      },
    }));
    await property(() => ({
      user: admin,
      method: 'PUT',
      path: `/api/admin/v1/throttling-policies/${policyId}`,
      body: { kind: 'application', name: policyName, limit: 20 },
    }));
  }, 60_000);

  it('arbitrary JSON and arbitrary text never answer 5xx', async () => {
    const targets: Array<[TestUser, string, string]> = [
      [publisher, 'POST', '/api/publisher/v1/apis'],
      [publisher, 'POST', '/api/publisher/v1/apis/import'],
      [developer, 'POST', '/api/devportal/v1/applications'],
      [admin, 'POST', '/api/admin/v1/throttling-policies'],
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(),
        fc.oneof(
          fc.json({ depthSize: 'medium' }),
          fc.string({ unit: 'binary', maxLength: 200 }),
          fc.jsonValue().map((v) => JSON.stringify({ definition: v })),
        ),
        async (which, text) => {
          const [user, method, path] = targets[which % targets.length] as [TestUser, string, string];
          await send(user, method, path, text);
        },
      ),
      { numRuns: RUNS * 2 },
    );
  }, 60_000);

  it('search text and unknown query parameters never answer 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 30 }), fc.string({ maxLength: 10 }), async (query, name) => {
        for (const path of [
          `/api/publisher/v1/apis?query=${encodeURIComponent(query)}`,
          `/api/admin/v1/applications?query=${encodeURIComponent(query)}`,
          `/api/devportal/v1/apis?query=${encodeURIComponent(query)}&${encodeURIComponent(name)}=1`,
        ]) {
          const res = await SELF.fetch(`${ORIGIN}${path}`, { headers: { cookie: admin.cookie } });
          const text = await res.text();
          expect(res.status, `${path} → ${text.slice(0, 200)}`).toBeLessThan(500);
          if (res.status >= 400) expect((JSON.parse(text) as { status: number }).status).toBe(res.status);
        }
      }),
      { numRuns: RUNS },
    );
  }, 60_000);

  it('answers the cases an earlier run found with 400 naming the field', async () => {
    const definition = (security: unknown) => ({
      ...(OPENAPI_DOC as Record<string, Json>),
      paths: { '/a': { get: { security, responses: { '200': { description: 'ok' } } } } },
    });
    for (const [security, pointer] of [
      [[null], '/definition/paths/~1a/get/security/0'],
      ['x', '/definition/paths/~1a/get/security'],
      [[1], '/definition/paths/~1a/get/security/0'],
    ] as const) {
      const res = await send(
        publisher,
        'POST',
        '/api/publisher/v1/apis/import',
        JSON.stringify({ context: `/fx${Math.random().toString(36).slice(2, 8)}`, definition: definition(security) }),
      );
      expect(res.status).toBe(400);
      expect((JSON.parse(res.text) as { errors: Array<{ pointer: string }> }).errors[0]?.pointer).toBe(pointer);
    }
  });
});
