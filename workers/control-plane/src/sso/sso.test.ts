import { SELF } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { SignJWT, exportJWK, generateKeyPair, type CryptoKey as JoseKey, type JWK } from 'jose';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ORIGIN, api, db, userWithRole, type ProblemBody, type TestUser } from '../../../../test/workers/control-plane-helpers.ts';
import { base64url, sha256Hex } from '../../../shared/crypto.ts';
import { newId } from '../../../shared/ids.ts';
import { schema } from '../db.ts';
import { safeReturnTo } from './flow.ts';
import { SSO_STARTS_PER_MINUTE } from './start-limit.ts';
import { claimAt, mapRole } from './roles.ts';

/**
 * A fake OpenID Provider behind the Worker's outbound fetch: discovery, JWKS, and a token endpoint
 * that checks the PKCE verifier against the challenge of the authorization request (RFC 7636 §4.6)
 * and issues an id_token with the nonce that request carried, as a real provider does.
 */
const IDP = 'https://idp.sso.test';
interface Grant {
  challenge: string;
  nonce: string;
  claims: Record<string, unknown>;
  redirectUri: string;
}
const grants = new Map<string, Grant>();
const tokenRequests: URLSearchParams[] = [];
let signer: { key: JoseKey; jwk: JWK };
let stranger: { key: JoseKey; jwk: JWK };
let signWith: 'provider' | 'stranger' = 'provider';
let nonceOverride: string | null = null;

async function keyPair(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { key: privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const realFetch = globalThis.fetch;
async function provider(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const url = new URL(input instanceof Request ? input.url : input.toString());
  if (url.origin !== IDP) return realFetch(input, init);
  if (url.pathname === '/.well-known/openid-configuration')
    return Response.json({
      issuer: IDP,
      authorization_endpoint: `${IDP}/auth`,
      token_endpoint: `${IDP}/token`,
      jwks_uri: `${IDP}/jwks`,
      id_token_signing_alg_values_supported: ['ES256'],
      code_challenge_methods_supported: ['S256'],
    });
  if (url.pathname === '/jwks') return Response.json({ keys: [signer.jwk] });
  if (url.pathname === '/token') {
    const body = new URLSearchParams(
      input instanceof Request ? await input.text() : typeof init?.body === 'string' ? init.body : String(init?.body),
    );
    tokenRequests.push(body);
    const grant = grants.get(body.get('code') ?? '');
    grants.delete(body.get('code') ?? '');
    const verifier = body.get('code_verifier') ?? '';
    const hashed = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
    if (grant === undefined || hashed !== grant.challenge || body.get('redirect_uri') !== grant.redirectUri)
      return Response.json({ error: 'invalid_grant' }, { status: 400 });
    const now = Math.floor(Date.now() / 1000);
    const { key, jwk } = signWith === 'provider' ? signer : stranger;
    const idToken = await new SignJWT({ nonce: nonceOverride ?? grant.nonce, ...grant.claims })
      .setProtectedHeader({ alg: 'ES256', kid: String(jwk.kid) })
      .setIssuer(IDP)
      .setAudience('portal-client')
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(key);
    return Response.json({ access_token: 'at', token_type: 'Bearer', expires_in: 300, id_token: idToken });
  }
  return new Response('not found', { status: 404 });
}

const kmName = `corp-${Math.random().toString(36).slice(2, 8)}`;
let admin: TestUser;
let keyManagerId: string;

interface Started {
  state: string;
  nonce: string;
  challenge: string;
  method: string | null;
  redirectUri: string;
  binding: string;
}

async function start(returnTo?: string): Promise<Started> {
  const res = await SELF.fetch(
    `${ORIGIN}/api/auth/sso/${kmName}/start${returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`,
    {
      redirect: 'manual',
    },
  );
  expect(res.status).toBe(302);
  const location = new URL(res.headers.get('location') ?? '');
  expect(location.origin + location.pathname).toBe(`${IDP}/auth`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  expect(res.headers.get('set-cookie')).toContain('SameSite=Lax');
  return {
    state: location.searchParams.get('state') ?? '',
    nonce: location.searchParams.get('nonce') ?? '',
    challenge: location.searchParams.get('code_challenge') ?? '',
    method: location.searchParams.get('code_challenge_method'),
    redirectUri: location.searchParams.get('redirect_uri') ?? '',
    binding: cookie,
  };
}

/** What the provider does after its login page: a code for these claims, sent back to the redirect URI. */
function authorize(started: Started, claims: Record<string, unknown>): string {
  const code = `code-${crypto.randomUUID()}`;
  grants.set(code, { challenge: started.challenge, nonce: started.nonce, claims, redirectUri: started.redirectUri });
  return code;
}

async function callback(query: Record<string, string>, cookie: string, accept = 'application/json') {
  const res = await SELF.fetch(`${ORIGIN}/api/auth/sso/${kmName}/callback?${new URLSearchParams(query)}`, {
    redirect: 'manual',
    headers: { cookie, accept },
  });
  const session = res.headers.getSetCookie().find((c) => c.startsWith('tp_session='));
  return { res, session: session?.split(';')[0] };
}

async function signIn(claims: Record<string, unknown>, returnTo?: string) {
  const started = await start(returnTo);
  const code = authorize(started, claims);
  return callback({ code, state: started.state }, started.binding);
}

async function sessionOf(cookie: string | undefined) {
  const res = await SELF.fetch(`${ORIGIN}/api/auth/session`, { headers: { cookie: cookie ?? '' } });
  return (await res.json()) as { user: { email: string; role: string } | null };
}

beforeAll(async () => {
  signer = await keyPair('provider-key');
  stranger = await keyPair('provider-key');
  admin = await userWithRole('admin');
  keyManagerId = newId('keyManager');
  await db.insert(schema.keyManagers).values({
    id: keyManagerId,
    name: kmName,
    displayName: 'Corporate IdP',
    discoveryUrl: `${IDP}/.well-known/openid-configuration`,
    issuer: IDP,
    jwksUri: `${IDP}/jwks`,
    tokenEndpoint: `${IDP}/token`,
    audience: 'https://api.example',
  });
});

beforeEach(async () => {
  vi.spyOn(globalThis, 'fetch').mockImplementation(provider);
  signWith = 'provider';
  nonceOverride = null;
  const put = await api('PUT', `/api/admin/v1/key-managers/${keyManagerId}/sso`, admin, {
    clientId: 'portal-client',
    clientSecret: 'portal-secret-0123456789',
    rolesClaim: 'org.groups',
    roleMapping: [
      { value: 'api-publishers', role: 'publisher' },
      { value: 'platform-admins', role: 'admin' },
    ],
    defaultRole: null,
    linkByEmail: false,
  });
  expect(put.status).toBe(200);
});

afterEach(() => {
  vi.restoreAllMocks();
});

const email = () => `sso-${crypto.randomUUID().slice(0, 8)}@example.com`;

describe('portal sign-in with an external OpenID Provider', () => {
  it('signs a mapped user in with PKCE S256: the token request carries the verifier whose hash the authorization request named', async () => {
    const started = await start('/publisher/apis');
    expect(started.method).toBe('S256');
    expect(started.redirectUri).toBe(`http://127.0.0.1:8789/api/auth/sso/${kmName}/callback`);
    const address = email();
    const code = authorize(started, {
      sub: `u-${address}`,
      email: address,
      email_verified: true,
      org: { groups: ['staff', 'api-publishers'] },
    });
    tokenRequests.length = 0;
    const { res, session } = await callback({ code, state: started.state }, started.binding);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('http://127.0.0.1:8789/#/publisher/apis');
    const verifier = tokenRequests[0]?.get('code_verifier') ?? '';
    expect(verifier.length).toBeGreaterThanOrEqual(43);
    expect(base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))))).toBe(started.challenge);
    expect((await sessionOf(session)).user).toMatchObject({ email: address, role: 'publisher' });
    const identity = await db
      .select()
      .from(schema.ssoIdentities)
      .where(eq(schema.ssoIdentities.subject, `u-${address}`));
    expect(identity).toHaveLength(1);
  });

  it('signs the same (issuer, sub) in as the same user, with the role its claim grants now', async () => {
    const address = email();
    const first = await signIn({ sub: `same-${address}`, email: address, org: { groups: ['api-publishers'] } });
    const second = await signIn({ sub: `same-${address}`, email: `changed-${address}`, org: { groups: ['platform-admins'] } });
    const a = await sessionOf(first.session);
    const b = await sessionOf(second.session);
    expect(b.user?.email).toBe(address);
    expect(b.user?.role).toBe('admin');
    expect(a.user?.email).toBe(b.user?.email);
  });

  it('refuses a tampered state and a replayed callback (a state is used once)', async () => {
    const started = await start();
    const code = authorize(started, { sub: 'tamper', email: email(), org: { groups: ['api-publishers'] } });
    const tampered = await callback({ code, state: `${started.state}x` }, started.binding);
    expect(tampered.res.status).toBe(401);
    expect(tampered.session).toBeUndefined();
    const good = await callback({ code, state: started.state }, started.binding);
    expect(good.res.status).toBe(303);
    const replayed = await callback({ code, state: started.state }, started.binding);
    expect(replayed.res.status).toBe(401);
    expect(replayed.session).toBeUndefined();
    expect(((await replayed.res.json()) as ProblemBody).detail).toContain('already used');
  });

  it('refuses a callback that reaches another browser than the one that started the sign-in', async () => {
    const started = await start();
    const code = authorize(started, { sub: 'csrf', email: email(), org: { groups: ['api-publishers'] } });
    const other = await callback({ code, state: started.state }, 'tp_sso=tpb_someone-else');
    expect(other.res.status).toBe(401);
    expect(other.session).toBeUndefined();
    const none = await start();
    const noCookie = await callback({ code: authorize(none, { sub: 'csrf' }), state: none.state }, '');
    expect(noCookie.res.status).toBe(401);
  });

  it('refuses an expired sign-in', async () => {
    const started = await start();
    await db
      .update(schema.ssoLogins)
      .set({ expiresAt: Date.now() - 1 })
      .where(eq(schema.ssoLogins.stateHash, await sha256Hex(started.state)));
    const { res } = await callback({ code: authorize(started, { sub: 'late' }), state: started.state }, started.binding);
    expect(res.status).toBe(401);
  });

  it('lets one address start only so many sign-ins a minute, each of which would hold a pending row', async () => {
    const from = (ip: string) =>
      SELF.fetch(`${ORIGIN}/api/auth/sso/${kmName}/start`, { redirect: 'manual', headers: { 'cf-connecting-ip': ip } });
    const pendingBefore = (await db.select().from(schema.ssoLogins)).length;
    const answers = [];
    for (let i = 0; i < SSO_STARTS_PER_MINUTE + 3; i++) answers.push((await from('203.0.113.77')).status);
    expect(answers.filter((s) => s === 302)).toHaveLength(SSO_STARTS_PER_MINUTE);
    expect(answers.slice(SSO_STARTS_PER_MINUTE)).toEqual([429, 429, 429]);
    const refused = await from('203.0.113.77');
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Refused starts wrote no pending sign-in; another address is not affected.
    expect((await db.select().from(schema.ssoLogins)).length - pendingBefore).toBeLessThanOrEqual(SSO_STARTS_PER_MINUTE);
    expect((await from('203.0.113.78')).status).toBe(302);
  });

  it('refuses an id_token with another nonce than the one sent, or signed by a key not in the JWKS', async () => {
    nonceOverride = 'not-the-nonce';
    const wrongNonce = await signIn({ sub: 'nonce', email: email(), org: { groups: ['api-publishers'] } });
    expect(wrongNonce.res.status).toBe(401);
    expect(wrongNonce.session).toBeUndefined();
    nonceOverride = null;
    signWith = 'stranger';
    const forged = await signIn({ sub: 'forged', email: email(), org: { groups: ['api-publishers'] } });
    expect(forged.res.status).toBe(401);
    expect(forged.session).toBeUndefined();
  });

  it('refuses a user whose claim maps to no role when there is no default role, on a page that says why', async () => {
    const started = await start();
    const code = authorize(started, { sub: 'nobody', email: email(), org: { groups: ['staff'] } });
    const { res, session } = await callback({ code, state: started.state }, started.binding, 'text/html,application/xhtml+xml');
    expect(res.status).toBe(403);
    expect(session).toBeUndefined();
    expect(res.headers.get('content-type')).toContain('text/html');
    expect(await res.text()).toContain('no group that grants a role');
    const put = await api('PUT', `/api/admin/v1/key-managers/${keyManagerId}/sso`, admin, {
      clientId: 'portal-client',
      rolesClaim: 'org.groups',
      defaultRole: 'developer',
    });
    expect(put.status).toBe(200);
    const address = email();
    const defaulted = await signIn({ sub: 'defaulted', email: address, org: { groups: ['staff'] } });
    expect((await sessionOf(defaulted.session)).user).toMatchObject({ email: address, role: 'developer' });
  });

  it('joins a local account of the same email only when linking is on and the provider says email_verified', async () => {
    const local = await userWithRole('publisher');
    const off = await signIn({ sub: 'link-1', email: local.email, email_verified: true, org: { groups: ['api-publishers'] } });
    expect(off.res.status).toBe(403);
    expect(((await off.res.json()) as ProblemBody).type).toContain('sso-refused');
    const put = await api('PUT', `/api/admin/v1/key-managers/${keyManagerId}/sso`, admin, {
      clientId: 'portal-client',
      rolesClaim: 'org.groups',
      roleMapping: [{ value: 'api-publishers', role: 'publisher' }],
      linkByEmail: true,
    });
    expect(put.status).toBe(200);
    const unverified = await signIn({ sub: 'link-2', email: local.email, email_verified: false, org: { groups: ['api-publishers'] } });
    expect(unverified.res.status).toBe(403);
    const verified = await signIn({
      sub: 'link-3',
      email: local.email.toUpperCase(),
      email_verified: true,
      org: { groups: ['api-publishers'] },
    });
    expect(verified.res.status).toBe(303);
    expect((await sessionOf(verified.session)).user?.email).toBe(local.email);
    const identity = await db.select().from(schema.ssoIdentities).where(eq(schema.ssoIdentities.subject, 'link-3'));
    expect(identity[0]?.userId).toBe(local.id);
  });

  it('lists only enabled providers publicly, and keeps the client secret sealed', async () => {
    const listed = await api<{ list: Array<{ name: string; startUrl: string }> }>('GET', '/api/auth/sso/providers', null);
    expect(listed.body.list).toContainEqual({ name: kmName, displayName: 'Corporate IdP', startUrl: `/api/auth/sso/${kmName}/start` });
    const row = (await db.select().from(schema.ssoProviders).where(eq(schema.ssoProviders.keyManagerId, keyManagerId)))[0];
    expect(row?.clientSecret).toMatch(/^v1\./);
    expect(row?.clientSecret).not.toContain('portal-secret');
    const admins = await api<{ list: Array<Record<string, unknown>> }>('GET', '/api/admin/v1/sso-providers', admin);
    expect(JSON.stringify(admins.body)).not.toContain('portal-secret');
    expect(admins.body.list.find((p) => p['keyManager'] === kmName)).toMatchObject({ hasClientSecret: true, enabled: true });
    await api('PUT', `/api/admin/v1/key-managers/${keyManagerId}/sso`, admin, { clientId: 'portal-client', enabled: false });
    const after = await api<{ list: Array<{ name: string }> }>('GET', '/api/auth/sso/providers', null);
    expect(after.body.list.map((p) => p.name)).not.toContain(kmName);
    const res = await SELF.fetch(`${ORIGIN}/api/auth/sso/${kmName}/start`, { redirect: 'manual' });
    expect(res.status).toBe(404);
  });

  it('refuses to configure sign-in for anyone but an admin', async () => {
    const publisher = await userWithRole('publisher');
    const res = await api('PUT', `/api/admin/v1/key-managers/${keyManagerId}/sso`, publisher, { clientId: 'x', clientSecret: 'y' });
    expect(res.status).toBe(403);
  });
});

describe('where a sign-in lands and which role it maps', () => {
  it('sends the visitor back only to a path of the portal (no open redirect)', () => {
    expect(safeReturnTo('/publisher/apis')).toBe('/publisher/apis');
    expect(safeReturnTo('/apis/api_1?tab=docs')).toBe('/apis/api_1?tab=docs');
    for (const bad of [
      'https://evil.example',
      '//evil.example',
      '/\\evil.example',
      'javascript:alert(1)',
      '/a//b',
      '/signin',
      '',
      undefined,
    ])
      expect(safeReturnTo(bad)).toBe('/catalog');
  });

  it('reads a plain claim, a claim whose name holds dots, and a dotted path', () => {
    expect(claimAt({ groups: ['a'] }, 'groups')).toEqual(['a']);
    expect(claimAt({ 'https://example.com/roles': ['b'] }, 'https://example.com/roles')).toEqual(['b']);
    expect(claimAt({ realm_access: { roles: ['c'] } }, 'realm_access.roles')).toEqual(['c']);
    expect(claimAt({ realm_access: ['x'] }, 'realm_access.roles')).toBeUndefined();
  });

  it('maps to the highest role of any matching rule, else the default, else none', () => {
    const rules = [
      { value: 'devs', role: 'developer' as const },
      { value: 'pubs', role: 'publisher' as const },
      { value: 'ops', role: 'admin' as const },
    ];
    expect(mapRole({ g: ['devs', 'ops', 'pubs'] }, 'g', rules, null)).toBe('admin');
    expect(mapRole({ g: 'devs pubs' }, 'g', rules, null)).toBe('publisher');
    expect(mapRole({ g: ['other'] }, 'g', rules, 'developer')).toBe('developer');
    expect(mapRole({ g: ['other'] }, 'g', rules, null)).toBeNull();
    expect(mapRole({}, 'g', rules, null)).toBeNull();
  });
});
