import { SELF, env } from 'cloudflare:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN } from '../../../../test/workers/control-plane-helpers.ts';
import {
  CALLBACK,
  authorizeAsOwner,
  basic,
  oauthClient,
  pkce,
  postForm,
  tokenRequest,
  type OAuthClient,
} from '../../../../test/workers/oauth-helpers.ts';

let client: OAuthClient;

beforeAll(async () => {
  client = await oauthClient('OIDC relying party');
});

const publishedKeys = async () => createLocalJWKSet((await (await SELF.fetch(`${ORIGIN}/oauth2/jwks`)).json()) as JSONWebKeySet);

async function codeGrant(scope: string, nonce?: string) {
  const { verifier, challenge } = await pkce();
  const code = (await authorizeAsOwner(client, challenge, scope, nonce === undefined ? {} : { nonce })).searchParams.get('code') ?? '';
  return tokenRequest(client, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier });
}

const userinfo = (token: string) => SELF.fetch(`${ORIGIN}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });

describe('OpenID Connect on the Key Manager', () => {
  it('publishes OpenID Provider metadata naming the userinfo endpoint, the openid scope and the id_token algorithm', async () => {
    const res = await SELF.fetch(`${ORIGIN}/.well-known/openid-configuration`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: env.ISSUER,
      userinfo_endpoint: `${env.ISSUER}/oauth2/userinfo`,
      jwks_uri: `${env.ISSUER}/oauth2/jwks`,
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['ES256'],
    });
    expect(doc['scopes_supported']).toContain('openid');
  });

  it('issues an id_token for the user with the nonce, the client as audience and at_hash, signed by a published key', async () => {
    const res = await codeGrant('openid email profile', 'n-0S6_WzA2Mj');
    expect(res.status).toBe(200);
    const idToken = String(res.body?.['id_token']);
    const { payload, protectedHeader } = await jwtVerify(idToken, await publishedKeys(), {
      issuer: env.ISSUER,
      audience: client.id,
      algorithms: ['ES256'],
      requiredClaims: ['exp', 'iat', 'sub'],
    });
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload).toMatchObject({ nonce: 'n-0S6_WzA2Mj', azp: client.id, email: client.owner.email, email_verified: true });
    expect(typeof payload.sub).toBe('string');
    expect(payload.sub).not.toBe(client.id);
    expect(typeof payload['at_hash']).toBe('string');
    expect(decodeProtectedHeader(String(res.body?.['access_token'])).typ).toBe('at+jwt');
  });

  it('issues no id_token without the openid scope', async () => {
    const res = await codeGrant('');
    expect(res.status).toBe(200);
    expect(res.body).not.toHaveProperty('id_token');
  });

  it('answers userinfo with the claims the scopes release, and refuses a token without openid with insufficient_scope', async () => {
    const withOpenid = await codeGrant('openid email');
    const info = await userinfo(String(withOpenid.body?.['access_token']));
    expect(info.status).toBe(200);
    const claims = (await info.json()) as Record<string, unknown>;
    expect(claims).toMatchObject({ email: client.owner.email, email_verified: true });
    expect(claims).not.toHaveProperty('name');

    const without = await codeGrant('');
    const refused = await userinfo(String(without.body?.['access_token']));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('error="insufficient_scope"');

    const anonymous = await SELF.fetch(`${ORIGIN}/oauth2/userinfo`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toContain('Bearer');
    const forged = await userinfo(`${String(withOpenid.body?.['access_token'])}x`);
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('refuses userinfo for a revoked access token', async () => {
    const res = await codeGrant('openid');
    const access = String(res.body?.['access_token']);
    expect((await userinfo(access)).status).toBe(200);
    expect((await postForm('/oauth2/revoke', { token: access }, { authorization: basic(client) })).status).toBe(200);
    expect((await userinfo(access)).status).toBe(401);
  });
});
