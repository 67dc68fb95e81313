import { SELF } from 'cloudflare:test';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, api } from '../../../../test/workers/control-plane-helpers.ts';
import {
  CALLBACK,
  basic,
  oauthClient,
  pkce,
  postForm,
  tokenRequest,
  userGrant,
  type OAuthClient,
} from '../../../../test/workers/oauth-helpers.ts';

let client: OAuthClient;

beforeAll(async () => {
  client = await oauthClient('Scoped app', { scopes: ['items:read', 'items:write'] });
});

describe('scopes are granted exactly as asked or refused with invalid_scope (RFC 6749 §3.3, §5.2)', () => {
  it('refuses a token request naming an unknown scope, or one of an API the application is not subscribed to, instead of a token with fewer scopes', async () => {
    const stranger = await oauthClient('Stranger', { scopes: ['stranger:only'] });
    for (const scope of ['admin:everything', 'items:read admin:everything', 'stranger:only', 'bad"quote', 'items:read\\x']) {
      const answer = await tokenRequest(client, { grant_type: 'client_credentials', scope });
      expect(answer.status, scope).toBe(400);
      expect(answer.body, scope).toMatchObject({ error: 'invalid_scope' });
      expect(answer.body).not.toHaveProperty('access_token');
    }
    const granted = await tokenRequest(client, { grant_type: 'client_credentials', scope: 'items:write  items:read items:read' });
    expect(granted.body).toMatchObject({ scope: 'items:write items:read' });
    expect(decodeJwt(String(granted.body?.['access_token'])).scope).toBe('items:write items:read');
    expect((await tokenRequest(stranger, { grant_type: 'client_credentials', scope: 'stranger:only' })).status).toBe(200);
  });

  it('refuses the test token of the portal with a 400 problem naming /scope for a scope the application cannot hold', async () => {
    const refused = await api<{ errors: Array<{ pointer: string }> }>(
      'POST',
      `/api/devportal/v1/applications/${client.appId}/keys/PRODUCTION/test-token`,
      client.owner,
      { scope: 'nope' },
    );
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.body.errors[0]?.pointer).toBe('/scope');
  });

  it('sends an authorization request for an unknown scope back to the client with error=invalid_scope', async () => {
    const { challenge } = await pkce();
    const query = new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: CALLBACK,
      scope: 'items:read items:purge',
      state: 'st',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
    const res = await SELF.fetch(`${ORIGIN}/oauth2/authorize?${query}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get('location') ?? '');
    expect(location.origin + location.pathname).toBe(CALLBACK);
    expect(Object.fromEntries(location.searchParams)).toMatchObject({ error: 'invalid_scope', state: 'st', iss: 'http://127.0.0.1:8788' });
  });

  it('refuses a refresh asking for more than the grant with invalid_scope and leaves the refresh token usable (RFC 6749 §6)', async () => {
    const grant = await userGrant(client, 'items:read');
    expect(grant.scope).toBe('items:read');
    for (const scope of ['items:read items:write', 'items:write', 'unknown']) {
      const wider = await tokenRequest(client, { grant_type: 'refresh_token', refresh_token: grant.refresh, scope });
      expect(wider.status, scope).toBe(400);
      expect(wider.body).toMatchObject({ error: 'invalid_scope' });
    }
    // Not consumed: the same refresh token still works, and the grant was not revoked.
    const narrowed = await tokenRequest(client, { grant_type: 'refresh_token', refresh_token: grant.refresh, scope: '' });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body).toMatchObject({ scope: '' });
    // RFC 6749 §6: the new refresh token carries the original grant's scope, not the narrowed one.
    const again = await tokenRequest(client, { grant_type: 'refresh_token', refresh_token: String(narrowed.body?.['refresh_token']) });
    expect(again.body).toMatchObject({ scope: 'items:read' });
    const introspected = await postForm(
      '/oauth2/introspect',
      { token: String(again.body?.['refresh_token']) },
      { authorization: basic(client) },
    );
    expect(introspected.body).toMatchObject({ active: true, scope: 'items:read' });
  });
});
