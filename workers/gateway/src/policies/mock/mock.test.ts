import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotOperation } from '../../../../shared/snapshot.ts';
import { api, call, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../../test-support.ts';
import { exampleFromSchema } from './generate.ts';

let key: SigningKey;
const APP = 'app_mock';

const getPet: SnapshotOperation = {
  dialect: '4',
  parameters: [],
  body: null,
  responses: [
    {
      status: '200',
      mediaType: 'application/json',
      example: { id: 1, name: 'Rex' },
      examples: { cat: { id: 2, name: 'Tom' } },
      schema: { type: 'object' },
    },
    {
      status: '404',
      mediaType: 'application/problem+json',
      examples: {},
      schema: {
        type: 'object',
        properties: { title: { type: 'string', example: 'No such pet' }, status: { type: 'integer', enum: [404] } },
      },
    },
  ],
};
const listOrders: SnapshotOperation = {
  dialect: '2020-12',
  parameters: [],
  body: null,
  responses: [
    {
      status: '2XX',
      mediaType: 'application/json',
      examples: {},
      schema: {
        type: 'array',
        items: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', format: 'uuid' }, total: { type: 'number', minimum: 1 }, paid: { type: 'boolean' } },
        },
      },
    },
  ],
};

beforeAll(async () => {
  key = await signingKey('k1');
  await deploy(
    [
      // A prototype API: no endpoint at all, every operation mocked.
      api({
        id: 'api_proto',
        context: '/proto',
        endpoints: {},
        policies: [{ name: 'mock', config: {} }],
        resources: [
          resource('GET', '/pets/{id}', { operation: getPet }),
          resource('GET', '/orders', { operation: listOrders }),
          resource('GET', '/open', { authType: 'none', operation: getPet }),
        ],
      }),
      // One mocked operation on an API with a backend; a fixed body needs no document.
      api({
        id: 'api_part',
        context: '/part',
        resources: [
          resource('GET', '/soon', {
            policies: [{ name: 'mock', config: { status: '201', body: { ready: false }, headers: { 'x-note': 'prototype' } } }],
          }),
          resource('GET', '/live'),
        ],
      }),
    ],
    [key],
  );
  await subscribe(APP, 'api_proto', [{ policy: 'Three', scope: 'subscription', limit: 3, windowSeconds: 60 }]);
  await subscribe(APP, 'api_part');
});

describe('mock policy', () => {
  it("answers an API with no backend from the operation's documented example, and still authenticates and counts the call", async () => {
    expect((await call('/proto/v1/pets/1')).status).toBe(401);
    const t = await token(key, { applicationId: APP });
    const res = await call('/proto/v1/pets/1', { headers: { authorization: `Bearer ${t}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('x-turnpike-mock')).toBe('example');
    expect(res.headers.get('x-backend')).toBeNull();
    expect(await res.json()).toEqual({ id: 1, name: 'Rex' });
    await call('/proto/v1/pets/1', { headers: { authorization: `Bearer ${t}` } });
    await call('/proto/v1/pets/1', { headers: { authorization: `Bearer ${t}` } });
    expect((await call('/proto/v1/pets/1', { headers: { authorization: `Bearer ${t}` } })).status).toBe(429);
  });

  it('lets the caller pick a documented status or named example with Prefer, and says so in Preference-Applied', async () => {
    const cat = await call('/proto/v1/open', { headers: { prefer: 'example=cat' } });
    expect(await cat.json()).toEqual({ id: 2, name: 'Tom' });
    expect(cat.headers.get('preference-applied')).toBe('example=cat');
    const missing = await call('/proto/v1/open', { headers: { prefer: 'code=404' } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    expect(missing.headers.get('x-turnpike-mock')).toBe('generated');
    expect(await missing.json()).toEqual({ title: 'No such pet', status: 404 });
    // A preference the document cannot meet is ignored (RFC 7240 §2).
    const ignored = await call('/proto/v1/open', { headers: { prefer: 'code=418' } });
    expect(ignored.status).toBe(200);
    expect(ignored.headers.get('preference-applied')).toBeNull();
  });

  it('generates a body from the schema when the document has no example', async () => {
    const res = await call('/proto/v1/orders', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: 'app_other' })}` },
    });
    // app_other is not subscribed: the mock is behind the same authorization as any API.
    expect(res.status).toBe(403);
    await subscribe('app_orders', 'api_proto');
    const ok = await call('/proto/v1/orders', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: 'app_orders' })}` },
    });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-turnpike-mock')).toBe('generated');
    expect(await ok.json()).toEqual([{ id: '00000000-0000-4000-8000-000000000000', total: 1, paid: true }]);
  });

  it('mocks only the operation it is attached to, with a fixed body, status and headers', async () => {
    const t = await token(key, { applicationId: APP });
    const soon = await call('/part/v1/soon', { headers: { authorization: `Bearer ${t}` } });
    expect(soon.status).toBe(201);
    expect(soon.headers.get('x-note')).toBe('prototype');
    expect(soon.headers.get('x-turnpike-mock')).toBe('fixed');
    expect(await soon.json()).toEqual({ ready: false });
    const live = await call('/part/v1/live', { headers: { authorization: `Bearer ${t}` } });
    expect(live.headers.get('x-backend')).toBe('echo');
  });
});

describe('values generated from a schema', () => {
  it("prefers the schema's own const, example, default and enum, and merges allOf", () => {
    expect(
      exampleFromSchema({
        allOf: [
          { type: 'object', properties: { a: { const: 1 } } },
          { type: 'object', properties: { b: { type: 'string', default: 'd' }, c: { enum: ['x', 'y'] } } },
        ],
      }),
    ).toEqual({ a: 1, b: 'd', c: 'x' });
    expect(exampleFromSchema({ type: ['null', 'integer'], exclusiveMinimum: 4 })).toBe(5);
    expect(exampleFromSchema({ type: 'array', minItems: 2, items: { type: 'string', format: 'date' } })).toEqual([
      '2026-01-01',
      '2026-01-01',
    ]);
  });

  it('stops at a bounded depth on a schema that refers to itself', () => {
    const node: Record<string, unknown> = { type: 'object', properties: {} };
    (node.properties as Record<string, unknown>).child = node;
    let depth = 0;
    for (
      let v = exampleFromSchema(node) as Record<string, unknown> | null;
      v !== null && typeof v === 'object';
      v = v.child as Record<string, unknown> | null
    )
      depth++;
    expect(depth).toBeLessThan(12);
  });
});
