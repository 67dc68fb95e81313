import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, api, userWithRole } from '../../../../test/workers/control-plane-helpers.ts';
import {
  CALLBACK,
  authorizeAsOwner,
  basic,
  oauthClient,
  pkce,
  tokenRequest,
  type OAuthClient,
} from '../../../../test/workers/oauth-helpers.ts';
import { GRANTS } from './grant-registry.ts';

let client: OAuthClient;

beforeAll(async () => {
  client = await oauthClient('Endpoint app');
});

describe('the Key Manager’s endpoints take only their methods (RFC 9110 §15.5.6)', () => {
  it('answers any other method on token, revoke and introspect with 405, Allow: POST and an RFC 6749 body', async () => {
    for (const path of ['/oauth2/token', '/oauth2/revoke', '/oauth2/introspect']) {
      for (const method of ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE']) {
        const res = await SELF.fetch(`${ORIGIN}${path}?grant_type=client_credentials`, {
          method,
          headers: { authorization: basic(client) },
        });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get('allow'), `${method} ${path}`).toBe('POST');
        expect(res.headers.get('cache-control')).toBe('no-store');
        if (method !== 'HEAD') expect(await res.json()).toMatchObject({ error: 'invalid_request' });
      }
      const options = await SELF.fetch(`${ORIGIN}${path}`, { method: 'OPTIONS' });
      expect(options.status).toBe(204);
      expect(options.headers.get('allow')).toBe('POST');
    }
    const metadata = await SELF.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`, { method: 'POST' });
    expect(metadata.status).toBe(405);
    expect(metadata.headers.get('allow')).toBe('GET, HEAD');
    const authorize = await SELF.fetch(`${ORIGIN}/oauth2/authorize`, { method: 'DELETE' });
    expect(authorize.headers.get('allow')).toBe('GET, HEAD, POST');
  });
});

describe('the metadata advertises what a client can actually get (RFC 8414 §2)', () => {
  it('lists exactly the grants a developer can choose for a client, without the admin-only password grant', async () => {
    const meta = (await (await SELF.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`)).json()) as {
      grant_types_supported: string[];
    };
    expect(meta.grant_types_supported).not.toContain('password');
    expect(meta.grant_types_supported).toEqual(expect.arrayContaining(['client_credentials', 'authorization_code', 'refresh_token']));
    // Every advertised grant can be chosen by a developer, and a client with it gets past dispatch.
    const dev = await userWithRole('developer');
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'All grants' });
    const keys = await api<{ consumerKey: string; consumerSecret: string; grantTypes: string[] }>(
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      dev,
      { keyType: 'PRODUCTION', grantTypes: meta.grant_types_supported, callbackUrls: [CALLBACK] },
    );
    expect(keys.status).toBe(201);
    const all: OAuthClient = { appId: app.body.id, id: keys.body.consumerKey, secret: keys.body.consumerSecret, owner: dev };
    for (const grantType of meta.grant_types_supported) {
      const answer = await tokenRequest(all, { grant_type: grantType });
      expect(answer.body?.['error'], grantType).not.toBe('unsupported_grant_type');
      expect(answer.body?.['error'], grantType).not.toBe('unauthorized_client');
    }
    // What is not advertised cannot be chosen.
    expect(
      (await api('POST', `/api/devportal/v1/applications/${app.body.id}/keys`, dev, { keyType: 'SANDBOX', grantTypes: ['password'] }))
        .status,
    ).toBe(400);
    // The registry knows the password grant all the same, for the clients an admin enables it for.
    expect(GRANTS.map((g) => g.type)).toContain('password');
    expect((await tokenRequest(all, { grant_type: 'password', username: dev.email, password: 'x' })).body).toMatchObject({
      error: 'unauthorized_client',
    });
  });
});

describe('PKCE at the token endpoint (RFC 7636 §4.6)', () => {
  it('answers invalid_grant when a code issued with a challenge comes without a code_verifier, or with a malformed one, and uses the code up', async () => {
    for (const verifier of [null, 'short', `${'a'.repeat(42)}!`]) {
      const { verifier: good, challenge } = await pkce();
      const code = (await authorizeAsOwner(client, challenge)).searchParams.get('code') ?? '';
      const form: Record<string, string> = { grant_type: 'authorization_code', code, redirect_uri: CALLBACK };
      if (verifier !== null) form['code_verifier'] = verifier;
      const answer = await tokenRequest(client, form);
      expect(answer.status, String(verifier)).toBe(400);
      expect(answer.body, String(verifier)).toMatchObject({ error: 'invalid_grant' });
      expect((await tokenRequest(client, { ...form, code_verifier: good })).body).toMatchObject({ error: 'invalid_grant' });
    }
  });

  it('names its issuer in the authorization response (RFC 9207), as the metadata says', async () => {
    const meta = (await (await SELF.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`)).json()) as Record<string, unknown>;
    expect(meta['authorization_response_iss_parameter_supported']).toBe(true);
    const location = await authorizeAsOwner(client, (await pkce()).challenge);
    expect(location.searchParams.get('iss')).toBe(meta['issuer']);
  });
});

describe('X-Content-Type-Options: nosniff on every answer of the control plane', () => {
  it('sends it on the authorize page, OAuth JSON and errors, management JSON, problems and 404s', async () => {
    const dev = await userWithRole('developer');
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: CALLBACK,
      code_challenge: (await pkce()).challenge,
      code_challenge_method: 'S256',
    });
    const answers = await Promise.all([
      SELF.fetch(`${ORIGIN}/oauth2/authorize?${query}`),
      SELF.fetch(`${ORIGIN}/oauth2/authorize?client_id=unknown`),
      SELF.fetch(`${ORIGIN}/.well-known/oauth-authorization-server`),
      SELF.fetch(`${ORIGIN}/oauth2/jwks`),
      SELF.fetch(`${ORIGIN}/oauth2/token`),
      SELF.fetch(`${ORIGIN}/oauth2/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      }),
      SELF.fetch(`${ORIGIN}/api/devportal/v1/applications`, { headers: { cookie: dev.cookie } }),
      SELF.fetch(`${ORIGIN}/api/devportal/v1/applications`),
      SELF.fetch(`${ORIGIN}/api/devportal/v1/applications`, {
        method: 'POST',
        headers: { cookie: dev.cookie, 'content-type': 'text/plain' },
        body: 'x',
      }),
      SELF.fetch(`${ORIGIN}/api/no-such-route`),
      SELF.fetch(`${ORIGIN}/api/openapi.json`),
      SELF.fetch(`${ORIGIN}/health`),
    ]);
    for (const res of answers)
      expect(res.headers.get('x-content-type-options'), `${res.status} ${res.headers.get('content-type')}`).toBe('nosniff');
    expect(answers.map((r) => r.status)).toEqual([200, 400, 200, 200, 405, 401, 200, 401, 415, 404, 200, 200]);
  });
});
