/**
 * A bounded property-based fuzz of what a client controls at the gateway — the request line
 * (method, path, query) and the headers — driven through the gateway's fetch handler in workerd
 * with a backend that always answers well. Whatever comes in, the gateway answers 2xx, or a 4xx
 * problem+json whose `status` is the HTTP status, and nothing internal (a stack, SQL, a file path).
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, callStreaming, deploy, resource, signingKey, subscribe, token, type SigningKey } from './test-support.ts';

let key: SigningKey;
let bearer: string;
const APP = 'app_fuzz';

beforeAll(async () => {
  key = await signingKey('kz');
  await deploy(
    [
      api({
        id: 'api_fuzz',
        context: '/fuzz',
        isDefaultVersion: true,
        cors: {
          enabled: true,
          allowOrigins: ['https://app.example'],
          allowMethods: ['GET', 'POST'],
          allowHeaders: ['authorization', 'content-type'],
          exposeHeaders: [],
          allowCredentials: false,
          maxAgeSeconds: 60,
        },
        // Request validation on most operations, so fuzzed parameters and bodies reach the validator.
        policies: [{ name: 'request-validation', config: {} }],
        resources: [
          resource('GET', '/pets', {
            operation: {
              dialect: '2020-12',
              body: null,
              parameters: [
                { name: 'a', in: 'query', required: false, schema: { type: 'array', items: { type: 'integer', minimum: 0 } } },
                { name: 'x-user', in: 'header', required: false, schema: { type: 'string', pattern: '^[a-z]+$' } },
              ],
            },
          }),
          resource('POST', '/pets', {
            authType: 'oauth2_or_api_key',
            operation: {
              dialect: '4',
              parameters: [],
              body: {
                required: false,
                schema: {
                  type: 'object',
                  required: ['name'],
                  properties: { name: { type: 'string', maxLength: 5 } },
                  additionalProperties: false,
                },
              },
            },
          }),
          resource('GET', '/pets/{id}', {
            operation: {
              dialect: '2020-12',
              body: null,
              parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
            },
          }),
          resource('GET', '/files/{name}.json', {
            authType: 'none',
            operation: {
              dialect: '2020-12',
              body: null,
              parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string', minLength: 2, format: 'uuid' } }],
            },
          }),
          resource('POST', '/jobs/{name}:cancel', { authType: 'none' }),
          resource('GET', '/open', {
            authType: 'none',
            limits: [{ policy: 'Many', scope: 'resource', limit: 100_000, windowSeconds: 60 }],
          }),
          resource('GET', '/files/{+path}', { authType: 'none' }),
        ],
      }),
      api({
        id: 'api_fuzz_deep',
        context: '/org/team',
        policies: [{ name: 'request-validation', config: {} }],
        resources: [
          resource('GET', '/'),
          resource('PUT', '/items/{a}-{b}', {
            authType: 'none',
            operation: {
              dialect: '2020-12',
              parameters: [
                { name: 'a', in: 'path', required: true, schema: { type: 'number' } },
                { name: 'b', in: 'path', required: true, schema: { type: 'boolean' } },
              ],
              body: { required: true, schema: { type: 'array', items: { type: 'string' } } },
            },
          }),
        ],
      }),
    ],
    [key],
    {
      customPolicies: [
        { name: 'FuzzIp', keyTemplate: '$clientIp', limits: [{ policy: 'FuzzIp', scope: 'custom', limit: 100_000, windowSeconds: 60 }] },
      ],
    },
  );
  await subscribe(APP, 'api_fuzz');
  await subscribe(APP, 'api_fuzz_deep');
  bearer = await token(key, { applicationId: APP });
});

const pick = <T>(...values: T[]) => fc.constantFrom(...values);
const ascii = (max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: max });
const anyText = (max: number) => fc.string({ unit: 'binary', maxLength: max });

const segment = fc.oneof(
  pick(
    'fuzz',
    'v1',
    'pets',
    'files',
    'jobs',
    'open',
    'org',
    'team',
    'items',
    '42',
    'a.json',
    'x:cancel',
    '1-2',
    '',
    '.',
    '..',
    '%2e%2e',
    '%2F',
    '%252F',
    '%00',
    '%',
    '%zz',
    ';',
    'a;b',
    '~',
    '*',
    '{id}',
  ),
  ascii(12),
  anyText(6).map((s) => encodeURIComponent(s)),
);
const routed = pick(
  '/fuzz/v1/pets',
  '/fuzz/pets',
  '/fuzz/v1/pets/7',
  '/fuzz/v1/open',
  '/fuzz/v1/files/a.json',
  '/fuzz/v1/jobs/x:cancel',
  '/fuzz/v1/files/a/b.txt',
  '/org/team/v1/items/1-2',
  '/org/team/v1/',
);
const path = fc.oneof(
  { arbitrary: routed, weight: 2 },
  { arbitrary: fc.tuple(routed, fc.array(segment, { maxLength: 3 })).map(([r, extra]) => [r, ...extra].join('/')), weight: 1 },
  { arbitrary: fc.array(segment, { maxLength: 7 }).map((segments) => '/' + segments.join('/')), weight: 2 },
);
const query = fc.oneof(
  pick('', '', '', '', '?', '?a=1', '?access_token=x', '?apikey=tpk_0123456789abcdef', '?a=%ZZ', '?&&=&', '?a=1&a=2'),
  ascii(30).map((q) => '?' + q),
);
const method = pick('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'PROPFIND', 'get', 'X-CUSTOM');

const headerName = fc.oneof(
  pick(
    'authorization',
    'apikey',
    'api_key',
    'content-type',
    'origin',
    'access-control-request-method',
    'cf-connecting-ip',
    'x-forwarded-for',
    'forwarded',
    'x-http-method-override',
    'referer',
    'cookie',
    'x-user',
    'cf-access-jwt-assertion',
    'connection',
    'te',
    'upgrade',
    'expect',
    'range',
    'if-none-match',
    'accept-encoding',
  ),
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/),
);
const headerValue = fc.oneof(
  pick(
    '',
    'Bearer',
    'Bearer ',
    'Bearer a.b.c',
    'Basic dXNlcjpwYXNz',
    'Bearer x, Bearer y',
    'tpk_0123456789abcdef0123',
    'application/x-www-form-urlencoded',
    'https://app.example',
    'GET',
    '203.0.113.9',
    '2001:db8::1',
    '::1::2',
    '1:2:3:4:5:6:7:8::9',
    'close, x-user',
    'bytes=0-1',
    'null',
    'application/json',
    'application/problem+json; charset=utf-8',
  ),
  ascii(60),
  ascii(10).map((s) => s.repeat(20)),
);
const headers = fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 });
const withToken = fc.boolean();
const body = fc.option(
  fc.oneof(
    ascii(40),
    pick(
      'access_token=abc',
      'a=1&access_token=x',
      '{"name":"rex"}',
      '{"name":1,"x":[]}',
      '["a",1]',
      '{',
      '"\\ud800"',
      '{"__proto__":{"name":"x"}}',
    ),
  ),
  { nil: undefined },
);

const LEAKS = [
  /\bat .+:\d+:\d+/,
  /\.(ts|js|mjs):\d+/,
  /node_modules|\/work\/|file:\/\//,
  /\b(SELECT|INSERT|UPDATE|DELETE)\b.+\b(FROM|INTO|SET|WHERE)\b/i,
  /SQLITE_|D1_ERROR/,
  /TypeError|RangeError|ReferenceError|SyntaxError/,
];

describe('gateway fuzz: request lines and headers', () => {
  it('answers every request with 2xx or a 4xx problem+json whose status is the HTTP status, leaking nothing', async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(method, path, query, headers, withToken, body, async (m, p, q, hs, tokenToo, b) => {
        const init: RequestInit = { method: m, headers: new Headers() };
        const h = init.headers as Headers;
        try {
          for (const [name, value] of hs) h.append(name, value);
          if (tokenToo) h.set('authorization', `Bearer ${bearer}`);
          if (b !== undefined && !['GET', 'HEAD'].includes(m.toUpperCase())) init.body = b;
          new Request(`http://gateway.test${p}${q}`, init);
        } catch {
          // Not a request a client could put on the wire (the runtime refuses to build it).
          return;
        }
        const res = await callStreaming(`${p}${q}`, init);
        const text = await res.text();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        expect(res.status, `${m} ${p}${q} ${JSON.stringify(hs)} -> ${text}`).toBeLessThan(500);
        expect(
          res.status >= 200 && res.status < 300 ? 'ok' : res.status >= 400 ? 'problem' : 'other',
          `${m} ${p}${q} answered ${res.status}`,
        ).not.toBe('other');
        if (res.status >= 400) {
          expect(res.headers.get('content-type'), `${m} ${p}${q}`).toBe('application/problem+json');
          if (m.toUpperCase() !== 'HEAD') {
            const problem = JSON.parse(text) as { status: number; type: string; title: string };
            expect(problem.status).toBe(res.status);
            expect(typeof problem.type).toBe('string');
            for (const leak of LEAKS) expect(text, `${m} ${p}${q}`).not.toMatch(leak);
          }
        }
      }),
      { numRuns: 400, interruptAfterTimeLimit: 15_000 },
    );
    // The fuzz reached the gateway, and got past routing and authentication at times.
    const total = [...seen.values()].reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(200);
    expect([...seen.keys()].some((s) => s < 300)).toBe(true);
    console.log(JSON.stringify({ fuzz: Object.fromEntries(seen) }));
  }, 30_000);
});
