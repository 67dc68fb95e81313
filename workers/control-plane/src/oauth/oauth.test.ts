import { SELF, env } from 'cloudflare:test';
import { SignJWT, createLocalJWKSet, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { ORIGIN, PASSWORD, api, publishedApi, userWithRole } from '../../../../test/workers/control-plane-helpers.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';

interface Client {
  appId: string;
  id: string;
  secret: string;
  apiId: string;
}
let client: Client;
let other: Client;

async function makeClient(name: string): Promise<Client> {
  const publisher = await userWithRole('publisher');
  const dev = await userWithRole('developer');
  const apiId = await publishedApi(publisher, {
    resources: [{ method: 'GET', path: '/items', authType: 'oauth2', scopes: ['items:read'] }],
  });
  const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name, throttlingPolicy: '50PerMin' });
  const keys = await api<{ consumerKey: string; consumerSecret: string }>(
    'POST',
    `/api/devportal/v1/applications/${app.body.id}/keys`,
    dev,
    { keyType: 'PRODUCTION' },
  );
  await api('POST', '/api/devportal/v1/subscriptions', dev, { applicationId: app.body.id, apiId, tier: 'Gold' });
  return { appId: app.body.id, id: keys.body.consumerKey, secret: keys.body.consumerSecret, apiId };
}

const basic = (id: string, secret: string) => `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`)}`;
async function post(path: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await SELF.fetch(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? null : JSON.parse(text)) as Record<string, unknown> };
}
const token = (c: Client, form: Record<string, string> = {}) =>
  post('/oauth2/token', { grant_type: 'client_credentials', ...form }, { authorization: basic(c.id, c.secret) });

beforeAll(async () => {
  client = await makeClient('OAuth App');
  other = await makeClient('Other App');
});

describe('Key Manager', () => {
  it('publishes RFC 8414 metadata and a JWKS without private members', async () => {
    const meta = (await (await SELF.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta).toMatchObject({
      issuer: env.ISSUER,
      token_endpoint: `${env.ISSUER}/oauth2/token`,
      code_challenge_methods_supported: ['S256'],
    });
    const jwks = (await (await SELF.fetch(`${ORIGIN}/oauth2/jwks`)).json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).toMatchObject({ kid: 'test-key', alg: 'ES256', use: 'sig', kty: 'EC' });
    expect(jwks.keys[0]).not.toHaveProperty('d');
  });

  it('issues an RFC 9068 access token carrying what the gateway needs and nothing it would not read', async () => {
    const res = await token(client, { scope: 'items:read' });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'items:read' });
    expect(res.body).not.toHaveProperty('refresh_token');
    const jwt = String(res.body['access_token']);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'ES256', kid: 'test-key', typ: 'at+jwt' });
    const jwks = (await (await SELF.fetch(`${ORIGIN}/oauth2/jwks`)).json()) as { keys: [] };
    const { payload } = await jwtVerify(jwt, createLocalJWKSet(jwks), { issuer: env.ISSUER, audience: env.TOKEN_AUDIENCE, typ: 'at+jwt' });
    expect(payload).toMatchObject({
      sub: client.id,
      client_id: client.id,
      application_id: client.appId,
      key_type: 'PRODUCTION',
      application_tier: '50PerMin',
      scope: 'items:read',
    });
    // Subscriptions are the counter objects' to decide, on every call (decision 0018): a claim would go stale.
    expect(payload).not.toHaveProperty('subscribed_apis');
    expect(typeof payload.jti).toBe('string');
  });

  it('accepts client_secret_post and answers RFC 6749 errors exactly', async () => {
    expect(
      (await post('/oauth2/token', { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret })).status,
    ).toBe(200);
    const wrong = await post('/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic(client.id, 'nope') });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ error: 'invalid_client' });
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic/);
    expect(wrong.headers.get('cache-control')).toBe('no-store');
    expect((await post('/oauth2/token', { grant_type: 'client_credentials' })).body).toMatchObject({ error: 'invalid_client' });
    expect((await token(client, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code' })).body).toMatchObject({
      error: 'unsupported_grant_type',
    });
    expect((await post('/oauth2/token', {}, { authorization: basic(client.id, client.secret) })).body).toMatchObject({
      error: 'invalid_request',
    });
    const both = await post(
      '/oauth2/token',
      { grant_type: 'client_credentials', client_secret: client.secret },
      { authorization: basic(client.id, client.secret) },
    );
    expect(both).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    const json = await SELF.fetch(`${ORIGIN}/oauth2/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basic(client.id, client.secret) },
      body: '{"grant_type":"client_credentials"}',
    });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { error: string }).error).toBe('invalid_request');
  });

  it('introspects: active tokens with their claims, anything else exactly {"active":false}', async () => {
    const jwt = String((await token(client)).body['access_token']);
    const active = await post('/oauth2/introspect', { token: jwt }, { authorization: basic(client.id, client.secret) });
    expect(active.body).toMatchObject({ active: true, client_id: client.id, application_id: client.appId });
    expect((await post('/oauth2/introspect', { token: 'garbage' }, { authorization: basic(client.id, client.secret) })).body).toEqual({
      active: false,
    });
    expect((await post('/oauth2/introspect', { token: jwt })).status).toBe(401);
  });

  it("revokes only the client's own tokens, reaching the counter object at once", async () => {
    const mine = String((await token(client)).body['access_token']);
    const theirs = String((await token(other)).body['access_token']);
    const stranger = await post('/oauth2/revoke', { token: mine }, { authorization: basic(other.id, other.secret) });
    expect(stranger.status).toBe(200);
    expect((await post('/oauth2/introspect', { token: mine }, { authorization: basic(client.id, client.secret) })).body['active']).toBe(
      true,
    );
    expect((await post('/oauth2/revoke', { token: mine }, { authorization: basic(client.id, client.secret) })).status).toBe(200);
    expect((await post('/oauth2/introspect', { token: mine }, { authorization: basic(client.id, client.secret) })).body).toEqual({
      active: false,
    });
    const { payload } = await jwtVerify(
      mine,
      createLocalJWKSet((await (await SELF.fetch(`${ORIGIN}/oauth2/jwks`)).json()) as { keys: [] }),
    );
    const admitted = await throttleNamespace(env)
      .getByName(subscriptionObjectName(client.appId, client.apiId))
      .admit({ keyType: 'PRODUCTION', credentialId: String(payload.jti), issuedAt: Date.now() });
    expect(admitted).toEqual({ ok: false, error: { kind: 'revoked' } });
    expect((await post('/oauth2/introspect', { token: theirs }, { authorization: basic(other.id, other.secret) })).body['active']).toBe(
      true,
    );
    expect((await post('/oauth2/revoke', { token: 'not-a-token' }, { authorization: basic(client.id, client.secret) })).status).toBe(200);
  });

  it('regenerating the secret stops the old secret and every token issued before', async () => {
    const dev = await userWithRole('developer');
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Rotating' });
    const keys = await api<{ consumerKey: string; consumerSecret: string }>(
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      dev,
      { keyType: 'PRODUCTION' },
    );
    const c: Client = { appId: app.body.id, id: keys.body.consumerKey, secret: keys.body.consumerSecret, apiId: '' };
    const old = String((await token(c)).body['access_token']);
    const regenerated = await api<{ consumerSecret: string }>(
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys/PRODUCTION/regenerate-secret`,
      dev,
    );
    expect(regenerated.status).toBe(200);
    expect((await token(c)).status).toBe(401);
    const fresh = await token({ ...c, secret: regenerated.body.consumerSecret });
    expect(fresh.status).toBe(200);
    expect(
      (await post('/oauth2/introspect', { token: old }, { authorization: basic(c.id, regenerated.body.consumerSecret) })).body,
    ).toEqual({ active: false });
    expect(
      (
        await post(
          '/oauth2/introspect',
          { token: String(fresh.body['access_token']) },
          { authorization: basic(c.id, regenerated.body.consumerSecret) },
        )
      ).body['active'],
    ).toBe(true);
  });

  it('refuses the password grant until an admin enables it for the client, then checks the password like a sign-in', async () => {
    const dev = await userWithRole('developer');
    const admin = await userWithRole('admin');
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Legacy' });
    const keys = await api<{ consumerKey: string; consumerSecret: string }>(
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      dev,
      { keyType: 'PRODUCTION' },
    );
    const c: Client = { appId: app.body.id, id: keys.body.consumerKey, secret: keys.body.consumerSecret, apiId: '' };
    const asUser = (password: string) => token(c, { grant_type: 'password', username: dev.email, password });
    expect((await asUser(PASSWORD)).body).toMatchObject({ error: 'unauthorized_client' });
    // Developers cannot pick it themselves, nor switch it on.
    expect(
      (await api('POST', `/api/devportal/v1/applications/${app.body.id}/keys`, dev, { keyType: 'SANDBOX', grantTypes: ['password'] }))
        .status,
    ).toBe(400);
    expect(
      (await api('PUT', `/api/admin/v1/applications/${app.body.id}/keys/PRODUCTION/password-grant`, dev, { enabled: true })).status,
    ).toBe(403);

    const enabled = await api<{ grantTypes: string[] }>(
      'PUT',
      `/api/admin/v1/applications/${app.body.id}/keys/PRODUCTION/password-grant`,
      admin,
      { enabled: true },
    );
    expect(enabled.body.grantTypes).toContain('password');
    const granted = await asUser(PASSWORD);
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ token_type: 'Bearer', refresh_token: expect.stringMatching(/^rt_/) });
    const claims = decodeJwt(String(granted.body['access_token']));
    expect(claims.sub).toBe(dev.id);
    expect((await asUser('wrong password')).body).toMatchObject({ error: 'invalid_grant' });
    expect((await token(c, { grant_type: 'password', username: dev.email })).body).toMatchObject({ error: 'invalid_request' });

    expect(
      (await api('PUT', `/api/admin/v1/applications/${app.body.id}/keys/PRODUCTION/password-grant`, admin, { enabled: false })).status,
    ).toBe(200);
    expect((await asUser(PASSWORD)).body).toMatchObject({ error: 'unauthorized_client' });
    expect(
      (await api('PUT', `/api/admin/v1/applications/${app.body.id}/keys/SANDBOX/password-grant`, admin, { enabled: true })).status,
    ).toBe(404);
  });

  it('exchanges an assertion from a trusted identity provider (RFC 7523) and refuses every other', async () => {
    const admin = await userWithRole('admin');
    const dev = await userWithRole('developer');
    const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256' };
    const privateJwk = { ...(await exportJWK(privateKey)), kid: 'idp-1', alg: 'ES256' };
    const leaked = await api<{ errors?: Array<{ pointer: string }> }>('PUT', '/api/admin/v1/trusted-issuers/idp', admin, {
      name: 'idp',
      issuer: 'https://idp.example',
      jwks: { keys: [privateJwk] },
    });
    expect(leaked.status).toBe(400);
    expect(leaked.body.errors?.[0]?.pointer).toBe('/jwks/keys/0');
    expect(
      (
        await api('PUT', '/api/admin/v1/trusted-issuers/idp', dev, {
          name: 'idp',
          issuer: 'https://idp.example',
          jwks: { keys: [publicJwk] },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await api('PUT', '/api/admin/v1/trusted-issuers/idp', admin, {
          name: 'idp',
          issuer: 'https://idp.example',
          jwks: { keys: [publicJwk] },
        })
      ).status,
    ).toBe(200);

    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Federated' });
    const keys = await api<{ consumerKey: string; consumerSecret: string }>(
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      dev,
      { keyType: 'PRODUCTION', grantTypes: ['client_credentials', 'urn:ietf:params:oauth:grant-type:jwt-bearer'] },
    );
    const c: Client = { appId: app.body.id, id: keys.body.consumerKey, secret: keys.body.consumerSecret, apiId: '' };
    const assertion = (overrides: { iss?: string; aud?: string; exp?: number; key?: typeof privateKey } = {}) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'ES256', kid: 'idp-1' })
        .setIssuer(overrides.iss ?? 'https://idp.example')
        .setSubject('alice')
        .setAudience(overrides.aud ?? `${env.ISSUER}/oauth2/token`)
        .setIssuedAt()
        .setExpirationTime(overrides.exp ?? Math.floor(Date.now() / 1000) + 300)
        .sign(overrides.key ?? privateKey);
    const exchange = async (jwt: string, client = c) =>
      token(client, { grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: jwt });

    const granted = await exchange(await assertion());
    expect(granted.status).toBe(200);
    expect(granted.body['refresh_token']).toBeUndefined();
    const claims = decodeJwt(String(granted.body['access_token']));
    expect(claims.sub).toBe('idp:alice');

    const other = await generateKeyPair('ES256');
    for (const bad of [
      await assertion({ aud: 'https://elsewhere.example' }),
      await assertion({ iss: 'https://evil.example' }),
      await assertion({ exp: Math.floor(Date.now() / 1000) - 600 }),
      await assertion({ key: other.privateKey }),
      'not.a.jwt',
      `${btoa('{"alg":"none"}')}.${btoa('{"iss":"https://idp.example","sub":"x"}')}.`,
    ]) {
      // One description for every refusal: the answer does not say which check to get past next.
      expect((await exchange(bad)).body).toEqual({ error: 'invalid_grant', error_description: 'The assertion is not valid' });
    }
    expect((await exchange(await assertion(), client)).body).toMatchObject({ error: 'unauthorized_client' });
    expect((await api('DELETE', '/api/admin/v1/trusted-issuers/idp', admin)).status).toBe(204);
    expect((await exchange(await assertion())).body).toMatchObject({ error: 'invalid_grant' });
  });
});
