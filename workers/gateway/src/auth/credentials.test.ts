import { beforeAll, describe, expect, it } from 'vitest';
import { api, call, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';
import { MAX_CREDENTIAL_HEADER_BYTES, MAX_REQUEST_HEADER_BYTES } from './credentials.ts';

let key: SigningKey;
let bearer: string;
const APP = 'app_creds';

beforeAll(async () => {
  key = await signingKey('kc');
  await deploy(
    [
      api({
        id: 'api_creds',
        context: '/creds',
        resources: [
          resource('GET', '/pets', { authType: 'oauth2_or_api_key' }),
          resource('POST', '/pets', { authType: 'oauth2_or_api_key' }),
          resource('GET', '/open', { authType: 'none' }),
        ],
      }),
    ],
    [key],
  );
  await subscribe(APP, 'api_creds');
  bearer = await token(key, { applicationId: APP });
});

async function problemOf(res: Response) {
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const body = (await res.json()) as { type: string; status: number };
  expect(body.status).toBe(res.status);
  return body;
}

/** Two header fields of one name, as a client sends them on the wire; Fetch joins them with ", ". */
function twice(name: string, a: string, b: string): Headers {
  const h = new Headers();
  h.append(name, a);
  h.append(name, b);
  return h;
}

describe('one credential, sent once', () => {
  it('accepts the token once in the header (the control)', async () => {
    expect((await call('/creds/v1/pets', { headers: { authorization: `Bearer ${bearer}` } })).status).toBe(200);
  });

  it.each([
    [
      'in the header and the query string',
      () => call(`/creds/v1/pets?access_token=${bearer}`, { headers: { authorization: `Bearer ${bearer}` } }),
    ],
    [
      'in two Authorization headers',
      () => call('/creds/v1/pets', { headers: twice('authorization', `Bearer ${bearer}`, `Bearer ${bearer}`) }),
    ],
    [
      'in two Authorization headers of different schemes',
      () => call('/creds/v1/pets', { headers: twice('authorization', `Bearer ${bearer}`, 'Basic dXNlcjpwYXNz') }),
    ],
    ['twice in the query string', () => call(`/creds/v1/pets?access_token=${bearer}&access_token=${bearer}`)],
    [
      'in the header and a form body',
      () =>
        call('/creds/v1/pets', {
          method: 'POST',
          headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-www-form-urlencoded' },
          body: `name=rex&access_token=${bearer}`,
        }),
    ],
    [
      'in the query string and a form body',
      () =>
        call(`/creds/v1/pets?access_token=${bearer}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
          body: `access_token=${bearer}`,
        }),
    ],
  ])('answers 400 invalid_request for a token sent %s (RFC 6750 §2)', async (_name, send) => {
    const res = await send();
    expect(res.status).toBe(400);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_request"');
    expect((await problemOf(res)).type).toMatch(/invalid-request$/);
  });

  it.each([
    [
      'in the header and the query string',
      () => call('/creds/v1/pets?apikey=tpk_aaaaaaaaaaaaaaaaaaaa', { headers: { apikey: 'tpk_aaaaaaaaaaaaaaaaaaaa' } }),
    ],
    [
      'in the header and the query string as api_key',
      () => call('/creds/v1/pets?api_key=tpk_aaaaaaaaaaaaaaaaaaaa', { headers: { apikey: 'tpk_bbbbbbbbbbbbbbbbbbbb' } }),
    ],
    ['in two headers', () => call('/creds/v1/pets', { headers: twice('apikey', 'tpk_aaaaaaaaaaaaaaaaaaaa', 'tpk_bbbbbbbbbbbbbbbbbbbb') })],
    ['twice in the query string', () => call('/creds/v1/pets?apikey=tpk_aaaaaaaaaaaaaaaaaaaa&APIKEY=tpk_bbbbbbbbbbbbbbbbbbbb')],
    [
      'with a token beside it',
      () => call('/creds/v1/pets', { headers: { apikey: 'tpk_aaaaaaaaaaaaaaaaaaaa', authorization: `Bearer ${bearer}` } }),
    ],
    [
      'in the query string with a token in the header',
      () => call('/creds/v1/pets?apikey=tpk_aaaaaaaaaaaaaaaaaaaa', { headers: { authorization: `Bearer ${bearer}` } }),
    ],
  ])('answers 401 for an API key sent %s (as Kong key-auth)', async (_name, send) => {
    const res = await send();
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    await problemOf(res);
  });

  it('reads a form body only to look for a token, and forwards it unchanged', async () => {
    const res = await call('/creds/v1/pets', {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=rex&token_hint=x',
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { body: string }).body).toBe('name=rex&token_hint=x');
  });
});

describe('header size caps (RFC 6585 §5)', () => {
  it.each([
    ['an Authorization header', { authorization: `Bearer ${'a'.repeat(64 * 1024)}` }],
    ['an Authorization header just over the cap', { authorization: `Bearer ${'a'.repeat(MAX_CREDENTIAL_HEADER_BYTES)}` }],
    ['an API key header', { apikey: 'k'.repeat(MAX_CREDENTIAL_HEADER_BYTES + 1) }],
    [
      'headers that together exceed the total cap',
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-filler-${i}`, 'f'.repeat(1000)])),
    ],
  ])('answers 431 problem+json for %s', async (_name, headers) => {
    const res = await call('/creds/v1/pets', { headers });
    expect(res.status).toBe(431);
    expect((await problemOf(res)).type).toMatch(/request-header-fields-too-large$/);
  });

  it('caps every request, open resources and unknown paths included, and admits what is under the caps', async () => {
    const filler = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`x-filler-${i}`, 'f'.repeat(1000)]));
    expect((await call('/creds/v1/open', { headers: filler })).status).toBe(431);
    expect((await call('/nowhere', { headers: filler })).status).toBe(431);
    expect(40 * 1000).toBeGreaterThan(MAX_REQUEST_HEADER_BYTES);
    // (The test backend, a Node server, takes at most 16 KiB of headers itself.)
    expect((await call('/creds/v1/open', { headers: Object.fromEntries(Object.entries(filler).slice(0, 12)) })).status).toBe(200);
  });
});
