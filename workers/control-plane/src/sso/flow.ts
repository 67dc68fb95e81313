/**
 * Portal sign-in at an external OpenID Provider (decision 0051): the control plane is the portal's
 * confidential client (a backend for the portal), running the authorization-code flow with PKCE
 * through panva's `oauth4webapi` rather than by hand. What the flow proves is returned as a value;
 * who that is here is `accounts.ts`'s business.
 */
import { and, eq, lt } from 'drizzle-orm';
import * as oauth from 'oauth4webapi';
import { newSecret, sha256Hex, timingSafeEqual } from '../../../shared/crypto.ts';
import { BoundedCache } from '../../../shared/lru.ts';
import { seal, unseal } from '../../../shared/seal.ts';
import { schema, type Database } from '../db.ts';
import { endpointRefusal } from '../key-managers/discovery.ts';
import { claimAt } from './roles.ts';

export type KeyManagerRow = typeof schema.keyManagers.$inferSelect;
export type SsoProviderRow = typeof schema.ssoProviders.$inferSelect;

/** The browser-binding cookie: read only by the callback, so scoped to the SSO paths. */
export const BINDING_COOKIE = 'tp_sso';
/** How long a started sign-in may take at the provider (its login and consent pages). */
export const LOGIN_TTL_MS = 10 * 60 * 1000;

export interface FlowContext {
  readonly provider: SsoProviderRow;
  readonly keyManager: KeyManagerRow;
  /** `${PORTAL_URL}/api/auth/sso/<name>/callback`: registered at the provider as the portal's redirect URI. */
  readonly redirectUri: string;
  /** ENCRYPTION_KEY: opens the client secret, seals the PKCE verifier. */
  readonly encryptionKey: string;
  /** Plain http to loopback (a local setup, as for key managers). */
  readonly allowLoopback: boolean;
  readonly fetcher?: typeof fetch;
}

const metadata = new BoundedCache<string, oauth.AuthorizationServer>({ maxEntries: 64, maxAgeMs: 5 * 60_000 });

function httpOptions(ctx: FlowContext) {
  return {
    [oauth.allowInsecureRequests]: ctx.allowLoopback,
    [oauth.customFetch]: ctx.fetcher ?? fetch,
    signal: () => AbortSignal.timeout(5_000),
  };
}

export class SsoSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SsoSetupError';
  }
}

/**
 * The provider's metadata, fetched from the key manager's discovery URL and held to its issuer
 * (OIDC Discovery §4.3, checked by oauth4webapi), cached per key-manager version. The endpoints a
 * browser or the control plane is sent to obey the key managers' rule (https, loopback locally).
 */
export async function authorizationServer(
  ctx: Pick<FlowContext, 'keyManager' | 'allowLoopback' | 'fetcher'>,
): Promise<oauth.AuthorizationServer> {
  const key = `${ctx.keyManager.id}:${ctx.keyManager.updatedAt}`;
  const cached = metadata.get(key);
  if (cached !== undefined) return cached;
  const fetcher = ctx.fetcher ?? fetch;
  const res = await fetcher(ctx.keyManager.discoveryUrl, {
    headers: { accept: 'application/json' },
    redirect: 'manual',
    signal: AbortSignal.timeout(5_000),
  });
  const as = await oauth.processDiscoveryResponse(new URL(ctx.keyManager.issuer), res);
  for (const [field, value] of [
    ['authorization_endpoint', as.authorization_endpoint],
    ['token_endpoint', as.token_endpoint],
    ['jwks_uri', as.jwks_uri],
  ] as const) {
    if (value === undefined) throw new SsoSetupError(`The provider publishes no ${field}`);
    const why = endpointRefusal(value, ctx.allowLoopback);
    if (why !== null) throw new SsoSetupError(`${field}: ${why}`);
  }
  metadata.set(key, as);
  return as;
}

function client(ctx: FlowContext): oauth.Client {
  return { client_id: ctx.provider.clientId };
}

/**
 * Starts a sign-in: PKCE S256 (RFC 7636 §4.2, required by RFC 9700 §2.1.1), `state` against CSRF
 * (RFC 6749 §10.12) and `nonce` against replayed id_tokens (OIDC Core §3.1.2.1), each fresh. Only
 * their hashes and the sealed verifier are stored, with the hash of a cookie secret that binds them
 * to this browser, so a callback from any other browser (login CSRF) fails.
 */
export async function beginSignIn(
  db: Database,
  ctx: FlowContext,
  returnTo: string,
  now = Date.now(),
): Promise<{ location: string; binding: string }> {
  const as = await authorizationServer(ctx);
  const state = oauth.generateRandomState();
  const nonce = oauth.generateRandomNonce();
  const verifier = oauth.generateRandomCodeVerifier();
  const binding = newSecret('tpb_');
  const stateHash = await sha256Hex(state);
  await db.batch([
    db.delete(schema.ssoLogins).where(lt(schema.ssoLogins.expiresAt, now)),
    db.insert(schema.ssoLogins).values({
      stateHash,
      providerId: ctx.provider.id,
      bindingHash: await sha256Hex(binding),
      codeVerifier: await seal(ctx.encryptionKey, verifier, stateHash),
      nonce,
      returnTo,
      expiresAt: now + LOGIN_TTL_MS,
    }),
  ]);
  const url = new URL(as.authorization_endpoint ?? '');
  url.searchParams.set('client_id', ctx.provider.clientId);
  url.searchParams.set('redirect_uri', ctx.redirectUri);
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('scope', ctx.provider.scopes);
  url.searchParams.set('state', state);
  url.searchParams.set('nonce', nonce);
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set('code_challenge_method', 'S256');
  return { location: url.href, binding };
}

/** What a finished sign-in proved: the provider's (issuer, sub) and the claims that come with it. */
export interface ProvenIdentity {
  readonly issuer: string;
  readonly subject: string;
  readonly claims: Readonly<Record<string, unknown>>;
  readonly returnTo: string;
}

export type RefusedFlow =
  /** No such sign-in: a tampered, forged or already used `state` (one use). */
  | 'state-unknown'
  | 'state-expired'
  /** The callback reached another browser than the one that started it. */
  | 'browser-mismatch'
  /** The provider answered the authorization request with an error (e.g. the user denied consent). */
  | 'provider-denied'
  /** The code exchange or the id_token failed a check (signature, iss, aud, exp, nonce, PKCE at the provider). */
  | 'token-invalid'
  | 'provider-unreachable';

export type FlowOutcome = { ok: true; value: ProvenIdentity } | { ok: false; reason: RefusedFlow; cause?: unknown };

/**
 * The callback: the `state` row is deleted as it is read (one use, even for two callbacks racing),
 * checked for age and browser, then the code is exchanged with the PKCE verifier and the id_token
 * verified: signature by the provider's JWKS, `iss`, `aud`, `azp`, `exp`, `iat` and `nonce`
 * (OIDC Core §3.1.3.7). Roles the id_token leaves out are read from userinfo (§5.3).
 */
export async function finishSignIn(
  db: Database,
  ctx: FlowContext,
  callback: URL,
  binding: string | undefined,
  now = Date.now(),
): Promise<FlowOutcome> {
  const state = callback.searchParams.get('state');
  if (state === null || state === '') return { ok: false, reason: 'state-unknown' };
  const stateHash = await sha256Hex(state);
  const row = (
    await db
      .delete(schema.ssoLogins)
      .where(and(eq(schema.ssoLogins.stateHash, stateHash), eq(schema.ssoLogins.providerId, ctx.provider.id)))
      .returning()
  )[0];
  if (row === undefined) return { ok: false, reason: 'state-unknown' };
  if (row.expiresAt <= now) return { ok: false, reason: 'state-expired' };
  if (binding === undefined || !timingSafeEqual(await sha256Hex(binding), row.bindingHash))
    return { ok: false, reason: 'browser-mismatch' };
  const verifier = await unseal(ctx.encryptionKey, row.codeVerifier, stateHash);
  let as: oauth.AuthorizationServer;
  try {
    as = await authorizationServer(ctx);
  } catch (cause) {
    return { ok: false, reason: 'provider-unreachable', cause };
  }
  let params: URLSearchParams;
  try {
    // Also RFC 9207 §2.4: where the provider sends `iss`, it must be its own (mix-up defence).
    params = oauth.validateAuthResponse(as, client(ctx), callback, state);
  } catch (cause) {
    return { ok: false, reason: cause instanceof oauth.AuthorizationResponseError ? 'provider-denied' : 'token-invalid', cause };
  }
  const secret = await unseal(ctx.encryptionKey, ctx.provider.clientSecret, ctx.provider.id);
  const options = httpOptions(ctx);
  try {
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client(ctx),
      oauth.ClientSecretBasic(secret),
      params,
      ctx.redirectUri,
      verifier,
      options,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client(ctx), response, {
      expectedNonce: row.nonce,
      requireIdToken: true,
    });
    // The id_token came over TLS from the token endpoint (OIDC Core §3.1.3.7 item 6 allows trusting
    // that), but local setups speak plain http and a signature check costs one cached JWKS fetch.
    await oauth.validateApplicationLevelSignature(as, response, options);
    const idToken = oauth.getValidatedIdTokenClaims(tokens);
    if (idToken === undefined) return { ok: false, reason: 'token-invalid' };
    let claims: Record<string, unknown> = { ...idToken };
    if (claimAt(claims, ctx.provider.rolesClaim) === undefined && as.userinfo_endpoint !== undefined) {
      // The id_token's own claims win; userinfo only fills in what it left out. A provider whose
      // access token is not for its userinfo endpoint (an audience-restricted one) fails here, and
      // the sign-in goes on with the id_token's claims.
      try {
        const info = await oauth.processUserInfoResponse(
          as,
          client(ctx),
          idToken.sub,
          await oauth.userInfoRequest(as, client(ctx), tokens.access_token, options),
        );
        claims = { ...info, ...claims };
      } catch {
        /* the id_token's claims stand alone */
      }
    }
    return { ok: true, value: { issuer: idToken.iss, subject: idToken.sub, claims, returnTo: row.returnTo } };
  } catch (cause) {
    if (cause instanceof Error && (cause.name === 'TypeError' || cause.name === 'TimeoutError' || cause.name === 'AbortError'))
      return { ok: false, reason: 'provider-unreachable', cause };
    return { ok: false, reason: 'token-invalid', cause };
  }
}

/**
 * Where the visitor goes back to: a path of the portal's router, only ever appended to PORTAL_URL
 * after `#`, so no value can leave the portal's origin (no open redirect, RFC 9700 §4.11).
 */
export function safeReturnTo(value: string | undefined): string {
  if (value === undefined || !/^\/[A-Za-z0-9][A-Za-z0-9/_.~\-?=&%]*$/.test(value) || value.includes('//') || value.startsWith('/signin'))
    return '/catalog';
  return value.slice(0, 500);
}
