import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, api, userWithRole, type TestUser } from '../../../../test/workers/control-plane-helpers.ts';
import { CALLBACK, pkce, postForm } from '../../../../test/workers/oauth-helpers.ts';

let developer: TestUser;
let initialToken: string;

async function managementToken(user: TestUser, scopes: string[]): Promise<string> {
  const res = await api<{ token: string }>('POST', '/api/auth/tokens', user, { name: `dcr ${scopes.join(',')}`, scopes });
  expect(res.status).toBe(201);
  return res.body.token;
}

async function send(method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token !== null) headers['authorization'] = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await SELF.fetch(`${ORIGIN}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? null : JSON.parse(text)) as Record<string, unknown> | null };
}

const register = (metadata: Record<string, unknown>, token: string | null = initialToken) =>
  send('POST', '/oauth2/register', token, metadata);

beforeAll(async () => {
  developer = await userWithRole('developer');
  initialToken = await managementToken(developer, ['apps:manage']);
});

describe('dynamic client registration (RFC 7591) and its management (RFC 7592)', () => {
  it('registers a client as an application of the developer holding the initial access token, whose credentials get tokens', async () => {
    const res = await register({
      client_name: 'Robot',
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_method: 'client_secret_post',
      logo_uri: 'https://ignored.example/logo.png',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const info = res.body ?? {};
    expect(info).toMatchObject({
      redirect_uris: [CALLBACK],
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_post',
      client_secret_expires_at: 0,
    });
    expect(info['registration_client_uri']).toBe(`http://127.0.0.1:8788/oauth2/register/${String(info['client_id'])}`);
    expect(String(info['registration_access_token'])).toMatch(/^rat_/);
    expect(info).not.toHaveProperty('logo_uri');

    const apps = await api<{ list: Array<{ id: string; name: string }> }>('GET', '/api/devportal/v1/applications', developer);
    expect(apps.body.list.find((a) => a.id === info['application_id'])?.name).toMatch(/^Robot \(/);
    const grant = await postForm('/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: String(info['client_id']),
      client_secret: String(info['client_secret']),
    });
    expect(grant.status).toBe(200);
    expect(typeof grant.body?.['access_token']).toBe('string');
  });

  it('refuses a registration without an initial access token, or with one lacking apps:manage, with invalid_token', async () => {
    const anonymous = await register({ redirect_uris: [CALLBACK] }, null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('error="invalid_token"');
    expect((await register({ redirect_uris: [CALLBACK] }, 'tpm_not_a_real_token')).status).toBe(401);
    const readOnly = await register({ redirect_uris: [CALLBACK] }, await managementToken(developer, ['subscriptions:manage']));
    expect(readOnly.status).toBe(403);
  });

  it.each([
    ['a javascript: redirect URI', { redirect_uris: ['javascript:alert(1)'] }, 'invalid_redirect_uri'],
    ['a plain-http redirect URI off loopback', { redirect_uris: ['http://client.example/cb'] }, 'invalid_redirect_uri'],
    ['the code grant without redirect URIs', { grant_types: ['authorization_code'] }, 'invalid_redirect_uri'],
    ['an unsupported grant', { grant_types: ['password'], redirect_uris: [CALLBACK] }, 'invalid_client_metadata'],
    ['a public client', { redirect_uris: [CALLBACK], token_endpoint_auth_method: 'none' }, 'invalid_client_metadata'],
    [
      'response types that contradict the grants',
      { grant_types: ['client_credentials'], response_types: ['code'] },
      'invalid_client_metadata',
    ],
  ])('answers %s with 400 and the RFC 7591 §3.2.2 error', async (_name, metadata, error) => {
    const res = await register(metadata);
    expect(res.status).toBe(400);
    expect(res.body?.['error']).toBe(error);
  });

  it('reads, replaces and deletes the configuration with the registration access token only', async () => {
    const created = (await register({ client_name: 'Managed', redirect_uris: [CALLBACK] })).body ?? {};
    const uri = new URL(String(created['registration_client_uri'])).pathname;
    const rat = String(created['registration_access_token']);
    const read = await send('GET', uri, rat);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ client_id: created['client_id'], redirect_uris: [CALLBACK] });
    expect(read.body).not.toHaveProperty('client_secret');

    // Another client's token, or the initial access token, does not manage this client.
    const other = (await register({ redirect_uris: [CALLBACK] })).body ?? {};
    expect((await send('GET', uri, String(other['registration_access_token']))).status).toBe(401);
    expect((await send('GET', uri, initialToken)).status).toBe(401);

    const next = 'https://client.example/other-cb';
    expect((await send('PUT', uri, rat, { client_id: 'someone-else', redirect_uris: [next] })).status).toBe(400);
    const replaced = await send('PUT', uri, rat, {
      client_id: created['client_id'],
      client_name: 'Renamed',
      redirect_uris: [next],
      grant_types: ['authorization_code'],
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ redirect_uris: [next], client_name: expect.stringMatching(/^Renamed \(/) });
    // The authorization endpoint follows the new redirect URIs at once.
    const { challenge } = await pkce();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: String(created['client_id']),
      redirect_uri: CALLBACK,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    expect((await SELF.fetch(`${ORIGIN}/oauth2/authorize?${query}`)).status).toBe(400);

    expect((await send('DELETE', uri, rat)).status).toBe(204);
    expect((await send('GET', uri, rat)).status).toBe(401);
    const token = await postForm('/oauth2/token', {
      grant_type: 'client_credentials',
      client_id: String(created['client_id']),
      client_secret: String(created['client_secret']),
    });
    expect(token.status).toBe(401);
  });

  it('is named in the authorization server metadata', async () => {
    const metadata = (await (await SELF.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(metadata['registration_endpoint']).toBe('http://127.0.0.1:8788/oauth2/register');
  });
});
