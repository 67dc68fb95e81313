/** Helpers for Key Manager tests: OAuth clients made through the developer portal, form posts to /oauth2/*. */
import { SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { base64url } from '../../workers/shared/crypto.ts';
import { ORIGIN, PASSWORD, api, publishedApi, userWithRole, type TestUser } from './control-plane-helpers.ts';

export interface OAuthClient {
  appId: string;
  id: string;
  secret: string;
  owner: TestUser;
}

export const CALLBACK = 'https://client.example/cb';

/**
 * An application of a new developer with PRODUCTION keys, subscribed to a new API whose one
 * resource asks for `scopes` (none: no subscription).
 */
export async function oauthClient(name: string, options: { scopes?: string[]; grantTypes?: string[] } = {}): Promise<OAuthClient> {
  const owner = await userWithRole('developer');
  const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', owner, { name });
  const grantTypes = options.grantTypes ?? ['client_credentials', 'authorization_code', 'refresh_token'];
  const keys = await api<{ consumerKey: string; consumerSecret: string }>(
    'POST',
    `/api/devportal/v1/applications/${app.body.id}/keys`,
    owner,
    { keyType: 'PRODUCTION', grantTypes, callbackUrls: [CALLBACK] },
  );
  expect(keys.status).toBe(201);
  if (options.scopes !== undefined) {
    const apiId = await publishedApi(await userWithRole('publisher'), {
      resources: [{ method: 'GET', path: '/items', authType: 'oauth2', scopes: options.scopes }],
    });
    expect((await api('POST', '/api/devportal/v1/subscriptions', owner, { applicationId: app.body.id, apiId, tier: 'Gold' })).status).toBe(
      201,
    );
  }
  return { appId: app.body.id, id: keys.body.consumerKey, secret: keys.body.consumerSecret, owner };
}

export const basic = (c: Pick<OAuthClient, 'id' | 'secret'>) =>
  `Basic ${btoa(`${encodeURIComponent(c.id)}:${encodeURIComponent(c.secret)}`)}`;

export interface FormAnswer {
  status: number;
  headers: Headers;
  body: Record<string, unknown> | null;
}

export async function postForm(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<FormAnswer> {
  const res = await SELF.fetch(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? null : (JSON.parse(text) as Record<string, unknown>) };
}

/** A token request authenticated with client_secret_basic. */
export const tokenRequest = (c: OAuthClient, form: Record<string, string>) => postForm('/oauth2/token', form, { authorization: basic(c) });

export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  return { verifier, challenge };
}

/** The owner signs in on the consent page and allows; the redirect's Location. */
export async function authorizeAsOwner(c: OAuthClient, challenge: string, scope = '', extra: Record<string, string> = {}): Promise<URL> {
  const form = new URLSearchParams({
    response_type: 'code',
    client_id: c.id,
    redirect_uri: CALLBACK,
    scope,
    state: 's',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    email: c.owner.email,
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
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location') ?? '');
}

/** An access and a refresh token of a user grant (authorization code with PKCE). */
export async function userGrant(c: OAuthClient, scope = ''): Promise<{ access: string; refresh: string; scope: string }> {
  const { verifier, challenge } = await pkce();
  const code = (await authorizeAsOwner(c, challenge, scope)).searchParams.get('code') ?? '';
  const res = await tokenRequest(c, { grant_type: 'authorization_code', code, redirect_uri: CALLBACK, code_verifier: verifier });
  expect(res.status).toBe(200);
  return { access: String(res.body?.['access_token']), refresh: String(res.body?.['refresh_token']), scope: String(res.body?.['scope']) };
}
