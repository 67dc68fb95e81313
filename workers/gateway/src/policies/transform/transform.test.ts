import { beforeAll, describe, expect, it } from 'vitest';
import { api, call, deploy, resource, signingKey, subscribe, token, type Echo, type SigningKey } from '../../test-support.ts';
import { applyBodyEdits, BodyEdits } from './json-body.ts';

let key: SigningKey;
const APP = 'app_transform';

beforeAll(async () => {
  key = await signingKey('k1');
  await deploy(
    [
      api({
        id: 'api_transform',
        context: '/transform',
        resources: [
          resource('GET', '/items/{id}', { policies: [{ name: 'transform', config: { path: '/v2/things/{id}/detail' } }] }),
          resource('POST', '/users', {
            policies: [
              {
                name: 'transform',
                config: {
                  request: { map: { '/user/name': '/name' }, remove: ['/secret'], set: { '/source': 'gateway' } },
                  response: { map: { '/method': '/verb' }, remove: ['/headers'], set: { '/transformed': true } },
                },
              },
            ],
          }),
          resource('POST', '/plain'),
        ],
      }),
    ],
    [key],
  );
  await subscribe(APP, 'api_transform');
});

describe('transform policy', () => {
  it("rewrites the backend path from the operation's path parameters, keeping the query", async () => {
    const t = await token(key, { applicationId: APP });
    const res = await call('/transform/v1/items/caf%C3%A9?x=1', { headers: { authorization: `Bearer ${t}` } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    // The value goes as received, still percent-encoded.
    expect(new URL(echo.url).pathname).toBe('/base/v2/things/caf%C3%A9/detail');
    expect(new URL(echo.url).search).toBe('?x=1');
  });

  it('maps, removes and sets fields of the JSON request body on the way in and of the JSON response body on the way out', async () => {
    const t = await token(key, { applicationId: APP });
    const res = await call('/transform/v1/users', {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user: { name: 'Ada', age: 36 }, secret: 'x' }),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { verb?: string; method?: string; headers?: unknown; body: string; transformed?: boolean };
    expect(JSON.parse(answer.body)).toEqual({ user: { age: 36 }, name: 'Ada', source: 'gateway' });
    expect(answer.verb).toBe('POST');
    expect(answer.method).toBeUndefined();
    expect(answer.headers).toBeUndefined();
    expect(answer.transformed).toBe(true);
  });

  it('refuses a request body that says it is JSON and is not with 400, before the backend', async () => {
    const t = await token(key, { applicationId: APP });
    const res = await call('/transform/v1/users', {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: '{"user":',
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-backend')).toBeNull();
  });

  it('leaves operations without the policy and bodies that are not JSON as they are', async () => {
    const t = await token(key, { applicationId: APP });
    const plain = await call('/transform/v1/plain', {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
      body: '{"secret":"x"}',
    });
    expect(((await plain.json()) as Echo).body).toBe('{"secret":"x"}');
    const text = await call('/transform/v1/users', {
      method: 'POST',
      headers: { authorization: `Bearer ${t}`, 'content-type': 'text/plain' },
      body: 'secret',
    });
    expect(((await text.json()) as Echo).body).toBe('secret');
  });
});

describe('JSON body edits', () => {
  it('moves into arrays, appends with -, creates objects on the way and ignores absent sources', () => {
    const edits = BodyEdits.parse({ map: { '/a~1b': '/list/-', '/missing': '/never' }, set: { '/deep/er/value': 1 }, remove: ['/list/0'] });
    expect(applyBodyEdits({ 'a/b': 'moved', list: ['first'] }, edits)).toEqual({ list: ['moved'], deep: { er: { value: 1 } } });
  });

  it('refuses a config whose pointers are not RFC 6901 JSON pointers', () => {
    expect(BodyEdits.safeParse({ map: { name: '/to' } }).success).toBe(false);
    expect(BodyEdits.safeParse({ remove: ['/a~2'] }).success).toBe(false);
  });
});
