import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotOperation } from '../../../../shared/snapshot.ts';
import { MAX_VALIDATED_BODY_BYTES } from './index.ts';
import { api, call, deploy, resource, signingKey, subscribe, token, type Echo, type SigningKey } from '../../test-support.ts';

let key: SigningKey;
const APP = 'app_validation';
const validate = [{ name: 'request-validation', config: {} }];

const listPets: SnapshotOperation = {
  dialect: '2020-12',
  parameters: [
    { name: 'limit', in: 'query', required: true, schema: { type: 'integer', minimum: 1, maximum: 100 } },
    { name: 'tags', in: 'query', required: false, schema: { type: 'array', items: { type: 'string', enum: ['cat', 'dog'] } } },
    { name: 'x-trace', in: 'header', required: false, schema: { type: 'string', pattern: '^[0-9a-f]{8}$' } },
  ],
  body: null,
};
const getPet: SnapshotOperation = {
  dialect: '2020-12',
  parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer' } }],
  body: null,
};
const createPet: SnapshotOperation = {
  dialect: '4',
  parameters: [],
  body: {
    required: true,
    schema: {
      type: 'object',
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1 }, age: { type: 'integer', minimum: 0 } },
      additionalProperties: false,
    },
  },
};

beforeAll(async () => {
  key = await signingKey('k1');
  await deploy(
    [
      api({
        id: 'api_valid',
        context: '/valid',
        policies: validate,
        resources: [
          resource('GET', '/pets', { operation: listPets }),
          resource('GET', '/pets/{petId}', { operation: getPet }),
          resource('POST', '/pets', { operation: createPet }),
          resource('GET', '/open', { authType: 'none', operation: listPets }),
        ],
      }),
    ],
    [key],
  );
  await subscribe(APP, 'api_valid', [{ policy: 'Two', scope: 'subscription', limit: 2, windowSeconds: 60 }]);
});

async function problem(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  return (await res.json()) as { status: number; type: string; errors?: Array<{ pointer: string; detail: string }> };
}

describe('request-validation policy', () => {
  it('refuses bad query and header parameters with 400 and a JSON pointer per offending field, without spending quota or calling the backend', async () => {
    const t = await token(key, { applicationId: APP });
    for (let i = 0; i < 3; i++) {
      const res = await call('/valid/v1/pets?limit=500&tags=cat&tags=fish', {
        headers: { authorization: `Bearer ${t}`, 'x-trace': 'nothex!' },
      });
      expect(res.status).toBe(400);
      expect(res.headers.get('x-backend')).toBeNull();
      const body = await problem(res);
      expect(body.errors?.map((e) => e.pointer).sort()).toEqual(['/header/x-trace', '/query/limit', '/query/tags/1']);
    }
    // Three refused calls spent nothing of the two the subscription allows per minute.
    const ok = await call('/valid/v1/pets?limit=5&tags=dog', { headers: { authorization: `Bearer ${t}`, 'x-trace': '0badcafe' } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit')).toMatch(/r=1\b/);
  });

  it('names a missing required query parameter', async () => {
    const res = await call('/valid/v1/open');
    expect(res.status).toBe(400);
    expect((await problem(res)).errors).toEqual([{ pointer: '/query/limit', detail: 'The query parameter limit is required' }]);
  });

  it('checks path parameters against their schema', async () => {
    const res = await call('/valid/v1/open?limit=1');
    expect(res.status).toBe(200);
    const t = await token(key, { applicationId: 'app_validation_path' });
    await subscribe('app_validation_path', 'api_valid');
    const bad = await call('/valid/v1/pets/abc', { headers: { authorization: `Bearer ${t}` } });
    expect(bad.status).toBe(400);
    expect((await problem(bad)).errors?.map((e) => e.pointer)).toEqual(['/path/petId']);
    const good = await call('/valid/v1/pets/42', { headers: { authorization: `Bearer ${t}` } });
    expect(good.status).toBe(200);
  });

  it('validates a JSON body and forwards the bytes the caller sent when it passes', async () => {
    const t = await token(key, { applicationId: 'app_validation_body' });
    await subscribe('app_validation_body', 'api_valid');
    const headers = { authorization: `Bearer ${t}`, 'content-type': 'application/json' };
    const bad = await call('/valid/v1/pets', { method: 'POST', headers, body: JSON.stringify({ age: -1, colour: 'red' }) });
    expect(bad.status).toBe(400);
    expect((await problem(bad)).errors?.map((e) => e.pointer).sort()).toEqual(['/body', '/body/age', '/body/colour']);
    const missing = await call('/valid/v1/pets', { method: 'POST', headers: { authorization: `Bearer ${t}` } });
    expect((await problem(missing)).errors).toEqual([{ pointer: '/body', detail: 'This operation requires a JSON body' }]);
    const malformed = await call('/valid/v1/pets', { method: 'POST', headers, body: '{"name":' });
    expect(malformed.status).toBe(400);
    expect((await problem(malformed)).type).toMatch(/malformed-json$/);
    const sent = '{ "name" : "Rex",  "age": 3 }';
    const good = await call('/valid/v1/pets', { method: 'POST', headers, body: sent });
    expect(good.status).toBe(200);
    expect(((await good.json()) as Echo).body).toBe(sent);
  });

  it('refuses a JSON body over the limit with 413, whether or not it declares its length', async () => {
    const t = await token(key, { applicationId: 'app_validation_size' });
    await subscribe('app_validation_size', 'api_valid');
    const big = JSON.stringify({ name: 'x'.repeat(MAX_VALIDATED_BODY_BYTES) });
    const declared = await call('/valid/v1/pets', {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: big,
    });
    expect(declared.status).toBe(413);
    const bytes = new TextEncoder().encode(big);
    const chunked = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.slice(i, i + 64 * 1024));
        controller.close();
      },
    });
    const streamed = await call('/valid/v1/pets', {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
  });
});
