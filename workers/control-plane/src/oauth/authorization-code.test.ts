import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { base64url } from '../../../shared/crypto.ts';
import { ORIGIN, PASSWORD, api, userWithRole, type TestUser } from '../../../../test/workers/control-plane-helpers.ts';

const CALLBACK = 'https://client.example/cb';
let client: { id: string; secret: string };
let owner: TestUser;

const basic = () => `Basic ${btoa(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`)}`;
async function token(form: Record<string, string>) {
  const res = await SELF.fetch(`${ORIGIN}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
async function pkce() {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  return { verifier, challenge };
}
async function authorize(challenge: string, extra: Record<string, string> = {}) {
  const form = new URLSearchParams({
    response_type: 'code',
    client_id: client.id,
    redirect_uri: CALLBACK,
    scope: '',
    state: 'xyz',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    email: owner.email,
    password: PASSWORD,
    decision: 'allow',
    ...extra,
  });
  const res = await SELF.fetch(`${ORIGIN}/oauth2/authorize`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: ORIGIN },
    body: form,
    redirect: 'manual',
  });
  return res;
}
async function codeFor(challenge: string): Promise<string> {
  const res = await authorize(challenge);
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location') ?? '');
  expect(location.origin + location.pathname).toBe(CALLBACK);
  expect(location.searchParams.get('state')).toBe('xyz');
  return location.searchParams.get('code') ?? '';
}

beforeAll(async () => {
  owner = await userWithRole('developer');
  const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', owner, { name: 'Web client' });
  const keys = await api<{ consumerKey: string; consumerSecret: string }>(
    'POST',
    `/api/devportal/v1/applications/${app.body.id}/keys`,
    owner,
    { keyType: 'PRODUCTION', grantTypes: ['authorization_code', 'refresh_token'], callbackUrls: [CALLBACK] },
  );
  client = { id: keys.body.consumerKey, secret: keys.body.consumerSecret };
});

describe('authorization code with PKCE', () => {
  it('shows a consent page without script, and never redirects to an unregistered URI', async () => {
    const { challenge } = await pkce();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: CALLBACK,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const pageRes = await SELF.fetch(`${ORIGIN}/oauth2/authorize?${query}`);
    expect(pageRes.status).toBe(200);
    expect(pageRes.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await pageRes.text()).toContain('Web client');
    query.set('redirect_uri', 'https://evil.example/cb');
    const evil = await SELF.fetch(`${ORIGIN}/oauth2/authorize?${query}`, { redirect: 'manual' });
    expect(evil.status).toBe(400);
    expect(evil.headers.get('location')).toBeNull();
    query.set('redirect_uri', CALLBACK);
    query.set('code_challenge_method', 'plain');
    const plain = await SELF.fetch(`${ORIGIN}/oauth2/authorize?${query}`, { redirect: 'manual' });
    expect(new URL(plain.headers.get('location') ?? '').searchParams.get('error')).toBe('invalid_request');
  });

  it('exchanges a code once, with the right verifier and redirect URI, for an access and a refresh token', async () => {
    const { verifier, challenge } = await pkce();
    const code = await codeFor(challenge);
    expect(
      (await token({ grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: base64url(new Uint8Array(32)) })).body[
        'error'
      ],
    ).toBe('invalid_grant');
    // The failed attempt above used the code up: a code is single-use whatever happens.
    const code2 = await codeFor(challenge);
    expect(
      (
        await token({
          grant_type: 'authorization_code',
          code: code2,
          redirect_uri: 'https://client.example/other',
          code_verifier: verifier,
        })
      ).body['error'],
    ).toBe('invalid_grant');
    const code3 = await codeFor(challenge);
    const ok = await token({ grant_type: 'authorization_code', code: code3, redirect_uri: CALLBACK, code_verifier: verifier });
    expect(ok.status).toBe(200);
    expect(ok.body['refresh_token']).toMatch(/^rt_/);
    const replay = await token({ grant_type: 'authorization_code', code: code3, redirect_uri: CALLBACK, code_verifier: verifier });
    expect(replay.body['error']).toBe('invalid_grant');
    // The replay revoked what the code had issued.
    expect((await token({ grant_type: 'refresh_token', refresh_token: ok.body['refresh_token'] ?? '' })).body['error']).toBe(
      'invalid_grant',
    );
  });

  it('rotates refresh tokens, lets exactly one of concurrent refreshes win, and revokes the family on reuse', async () => {
    const { verifier, challenge } = await pkce();
    const first = await token({
      grant_type: 'authorization_code',
      code: await codeFor(challenge),
      redirect_uri: CALLBACK,
      code_verifier: verifier,
    });
    const r1 = first.body['refresh_token'] ?? '';
    const racers = await Promise.all(Array.from({ length: 5 }, () => token({ grant_type: 'refresh_token', refresh_token: r1 })));
    const winners = racers.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    const r2 = winners[0]?.body['refresh_token'] ?? '';
    expect(r2).not.toBe(r1);
    // r1 was rotated: presenting it again is a replay and revokes the family, r2 included.
    expect((await token({ grant_type: 'refresh_token', refresh_token: r1 })).body['error']).toBe('invalid_grant');
    expect((await token({ grant_type: 'refresh_token', refresh_token: r2 })).body['error']).toBe('invalid_grant');
    const introspect = await SELF.fetch(`${ORIGIN}/oauth2/introspect`, {
      method: 'POST',
      headers: { authorization: basic(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: first.body['access_token'] ?? '' }),
    });
    expect(await introspect.json()).toEqual({ active: false });
  });

  it('sends the user back with access_denied when they deny, and refuses a wrong password', async () => {
    const { challenge } = await pkce();
    const denied = await authorize(challenge, { decision: 'deny' });
    expect(new URL(denied.headers.get('location') ?? '').searchParams.get('error')).toBe('access_denied');
    const wrong = await authorize(challenge, { password: 'nope' });
    expect(wrong.status).toBe(401);
  });
});
