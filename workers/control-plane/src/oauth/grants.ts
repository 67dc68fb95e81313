import { and, eq, isNull, sql } from 'drizzle-orm';
import { controlPlaneConfig } from '../config.ts';
import { base64url, newSecret, sha256Hex, timingSafeEqual } from '../../../shared/crypto.ts';
import { newId } from '../../../shared/ids.ts';
import { schema, type Database } from '../db.ts';
import { revokeAccessToken } from '../gateway-sync/subscriptions.ts';
import { checkPassword } from '../auth/login-throttle.ts';
import { issueAccessToken } from './access-token.ts';
import type { AuthenticatedClient } from './client-auth.ts';
import { OAuthError } from './errors.ts';
import { OIDC_SCOPES, OPENID, issueIdToken } from './oidc.ts';
import { checkScope, grantableScopes, scopeList, scopesOrThrow } from './scope.ts';

export const REFRESH_TOKEN_TTL_MS = 30 * 86_400_000;
/** RFC 7636 §4.1: code_verifier = 43*128unreserved. */
const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** What every grant works with: the authenticated client and its token request. */
export interface GrantRequest {
  readonly env: Env;
  readonly db: Database;
  readonly client: AuthenticatedClient;
  readonly form: URLSearchParams;
  /** The caller's address (CF-Connecting-IP), for the password check's throttle. */
  readonly ip: string;
}

/** RFC 6749 §5.1. */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope: string;
  readonly refresh_token?: string;
  /** OIDC Core §3.1.3.3: present when the code's grant has the `openid` scope. */
  readonly id_token?: string;
}

/** The grant a code starts: derived from the code, so a replayed code can name the grant to revoke. */
const familyOf = (codeHash: string) => `fam_${codeHash.slice(0, 24)}`;

/**
 * A grant's scopes as of now: a stored grant keeps only what the application may still be given,
 * and the user's OpenID Connect scopes, which no subscription grants or takes away.
 */
async function stillGrantable(db: Database, client: AuthenticatedClient, scopes: readonly string[]): Promise<string[]> {
  const allowed = await grantableScopes(db, client.applicationId);
  return scopes.filter((s) => allowed.has(s) || (OIDC_SCOPES as readonly string[]).includes(s));
}

/** A new grant's first access and refresh token; the refresh token holds the grant's whole scope. */
async function startGrant(
  env: Env,
  db: Database,
  client: AuthenticatedClient,
  userId: string,
  grantScope: readonly string[],
  familyId: string,
): Promise<TokenResponse> {
  const issued = await issueAccessToken(env, client, {
    subject: userId,
    scopes: await stillGrantable(db, client, grantScope),
    grantId: familyId,
  });
  const refresh = newSecret('rt_');
  await db.insert(schema.refreshTokens).values({
    id: newId('refreshToken'),
    tokenHash: await sha256Hex(refresh),
    familyId,
    applicationKeyId: client.id,
    userId,
    scope: grantScope.join(' '),
    expiresAt: Date.now() + REFRESH_TOKEN_TTL_MS,
  });
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope, refresh_token: refresh };
}

/** Revokes a whole grant: its refresh tokens here, its access tokens at the gateway at once. */
export async function revokeFamily(
  env: Env,
  db: Database,
  client: Pick<AuthenticatedClient, 'applicationId'>,
  familyId: string,
): Promise<void> {
  const until = Date.now() + controlPlaneConfig(env).accessTokenTtlMs + 60_000;
  await db.batch([
    db.update(schema.refreshTokens).set({ status: 'REVOKED' }).where(eq(schema.refreshTokens.familyId, familyId)),
    db.insert(schema.revokedTokens).values({ jti: familyId, applicationId: client.applicationId, expiresAt: until }).onConflictDoNothing(),
  ]);
  await revokeAccessToken(env, db, client.applicationId, familyId, until);
}

/** RFC 6749 §4.4: the client's own token; no refresh token (§4.4.3). */
export async function clientCredentialsGrant({ env, db, client, form }: GrantRequest): Promise<TokenResponse> {
  const scopes = scopesOrThrow(
    checkScope(form.get('scope'), await grantableScopes(db, client.applicationId)),
    "a scope of this application's subscribed APIs",
  );
  const issued = await issueAccessToken(env, client, { subject: client.consumerKey, scopes });
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
}

/**
 * RFC 6749 §4.1.3 with RFC 7636 PKCE (S256 only): single use, exact redirect URI, short life. Every
 * code is issued with a challenge, so a request without a valid verifier is invalid_grant (RFC 7636
 * §4.6) — and, like any failed attempt, uses the code up.
 */
export async function authorizationCodeGrant({ env, db, client, form }: GrantRequest): Promise<TokenResponse> {
  const code = form.get('code');
  const redirectUri = form.get('redirect_uri');
  const verifier = form.get('code_verifier');
  if (code === null || redirectUri === null) throw new OAuthError('invalid_request', 'code and redirect_uri are required');
  const codeHash = await sha256Hex(code);
  // Single use: only the request that flips used_at gets the row.
  const claimed = await db
    .update(schema.authorizationCodes)
    .set({ usedAt: Date.now() })
    .where(and(eq(schema.authorizationCodes.codeHash, codeHash), isNull(schema.authorizationCodes.usedAt)))
    .returning();
  const row = claimed[0];
  if (row === undefined) {
    const replayed = (
      await db.select().from(schema.authorizationCodes).where(eq(schema.authorizationCodes.codeHash, codeHash)).limit(1)
    )[0];
    // RFC 6749 §4.1.2: a code used twice revokes what was issued from it.
    if (replayed !== undefined && replayed.applicationKeyId === client.id) await revokeFamily(env, db, client, familyOf(codeHash));
    throw new OAuthError('invalid_grant', 'The code is invalid, expired or already used');
  }
  if (row.applicationKeyId !== client.id || row.expiresAt <= Date.now() || row.redirectUri !== redirectUri)
    throw new OAuthError('invalid_grant', 'The code is invalid, expired or was issued to another client or redirect URI');
  if (verifier === null || !VERIFIER.test(verifier))
    throw new OAuthError(
      'invalid_grant',
      'The code was issued with a code_challenge: a code_verifier of 43 to 128 characters is required (RFC 7636 §4.6)',
    );
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  if (!timingSafeEqual(challenge, row.codeChallenge))
    throw new OAuthError('invalid_grant', 'code_verifier does not match the code challenge');
  const scopes = scopeList(row.scope);
  const started = await startGrant(env, db, client, row.userId, scopes, familyOf(codeHash));
  if (!scopes.includes(OPENID)) return started;
  const idToken = await issueIdToken(env, db, {
    clientId: client.consumerKey,
    userId: row.userId,
    scopes,
    nonce: row.nonce,
    accessToken: started.access_token,
  });
  if (idToken === null) throw new OAuthError('invalid_grant', 'The user who granted the code is no longer active');
  return { ...started, id_token: idToken };
}

/**
 * RFC 6749 §6 with rotation on every use (RFC 9700 §4.14.2). The outcome is the same every time
 * (decision 0018): a refresh token is used once. The request that uses it gets a new pair; every
 * other presentation of it afterwards — a replay, or the losers of concurrent refreshes alike —
 * is invalid_grant and revokes the whole grant, the winner's new tokens included, since the server
 * cannot tell which party is the legitimate one. A refused request (bad scope, wrong client) is
 * checked before the token is used and leaves it valid.
 */
export async function refreshTokenGrant({ env, db, client, form }: GrantRequest): Promise<TokenResponse> {
  const presented = form.get('refresh_token');
  if (presented === null) throw new OAuthError('invalid_request', 'refresh_token is required');
  const t = schema.refreshTokens;
  const row = (
    await db
      .select()
      .from(t)
      .where(eq(t.tokenHash, await sha256Hex(presented)))
      .limit(1)
  )[0];
  if (row === undefined || row.applicationKeyId !== client.id || row.userId === null)
    throw new OAuthError('invalid_grant', 'Unknown refresh token');
  if (row.status === 'REVOKED' || row.expiresAt <= Date.now())
    throw new OAuthError('invalid_grant', 'The refresh token is revoked or expired');
  if (row.status === 'ROTATED') return reused(env, db, client, row.familyId);
  // RFC 6749 §6: the scope may be narrowed, never widened; the new refresh token keeps the grant's.
  const requested = form.get('scope');
  const scopes =
    requested === null
      ? scopeList(row.scope)
      : scopesOrThrow(checkScope(requested, new Set(scopeList(row.scope))), 'in the original grant');
  const refresh = newSecret('rt_');
  const refreshHash = await sha256Hex(refresh);
  const now = Date.now();
  // D1 has no interactive transaction: the batch is one. The new token is copied from the old one
  // only while it is still ACTIVE, and the old one flipped in the same batch, so exactly one
  // request's batch sees it ACTIVE; the others change nothing and know they lost.
  const [, rotated] = await db.batch([
    db.insert(t).select((qb) =>
      qb
        .select({
          id: sql`${newId('refreshToken')}`.as('id'),
          tokenHash: sql`${refreshHash}`.as('token_hash'),
          familyId: t.familyId,
          applicationKeyId: t.applicationKeyId,
          userId: t.userId,
          scope: t.scope,
          status: sql`'ACTIVE'`.as('status'),
          expiresAt: sql`${now + REFRESH_TOKEN_TTL_MS}`.as('expires_at'),
          createdAt: sql`${now}`.as('created_at'),
        })
        .from(t)
        .where(and(eq(t.id, row.id), eq(t.status, 'ACTIVE'))),
    ),
    db
      .update(t)
      .set({ status: 'ROTATED' })
      .where(and(eq(t.id, row.id), eq(t.status, 'ACTIVE')))
      .returning({ id: t.id }),
  ]);
  if (rotated.length === 1) {
    const issued = await issueAccessToken(env, client, {
      subject: row.userId,
      scopes: await stillGrantable(db, client, scopes),
      grantId: row.familyId,
    });
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope, refresh_token: refresh };
  }
  return reused(env, db, client, row.familyId);
}

/** A refresh token presented after it was used: the grant is revoked, whoever presented it. */
async function reused(env: Env, db: Database, client: AuthenticatedClient, familyId: string): Promise<never> {
  await revokeFamily(env, db, client, familyId);
  throw new OAuthError('invalid_grant', 'The refresh token was already used; the grant is revoked');
}

/**
 * RFC 6749 §4.3, for legacy clients only: refused unless an admin enabled it for this client. The
 * password is checked like a portal sign-in (throttled per account and IP); the token's subject is
 * the user, and a refresh token starts a new grant.
 */
export async function passwordGrant({ env, db, client, form, ip }: GrantRequest): Promise<TokenResponse> {
  const username = form.get('username');
  const password = form.get('password');
  if (username === null || password === null) throw new OAuthError('invalid_request', 'username and password are required');
  const scopes = scopesOrThrow(
    checkScope(form.get('scope'), await grantableScopes(db, client.applicationId)),
    "a scope of this application's subscribed APIs",
  );
  const checked = await checkPassword(db, username.trim().toLowerCase(), password, ip);
  if (!checked.ok)
    throw new OAuthError(
      'invalid_grant',
      checked.reason === 'throttled'
        ? `Too many failed attempts; try again in ${checked.retryAfter} s`
        : 'Wrong username or password, or the account is not active',
    );
  return startGrant(env, db, client, checked.user.id, scopes, `fam_${newId('refreshToken')}`);
}
