import { and, eq, isNull } from 'drizzle-orm';
import { base64url, newSecret, sha256Hex, timingSafeEqual } from '../../../shared/crypto.ts';
import { newId } from '../../../shared/ids.ts';
import { schema, type Database } from '../db.ts';
import { revokeAccessToken } from '../gateway-sync/subscriptions.ts';
import { checkPassword } from '../auth/login-throttle.ts';
import { issueAccessToken } from './access-token.ts';
import type { AuthenticatedClient } from './client-auth.ts';
import { OAuthError } from './errors.ts';

export const REFRESH_TOKEN_TTL_MS = 30 * 86_400_000;

/** The grant a code starts: derived from the code, so a replayed code can name the grant to revoke. */
const familyOf = (codeHash: string) => `fam_${codeHash.slice(0, 24)}`;

async function tokenResponse(env: Env, db: Database, client: AuthenticatedClient, userId: string, scope: string, familyId: string) {
  const issued = await issueAccessToken(env, db, client, { subject: userId, requestedScope: scope, grantId: familyId });
  const refresh = newSecret('rt_');
  await db.insert(schema.refreshTokens).values({ id: newId('refreshToken'), tokenHash: await sha256Hex(refresh), familyId, applicationKeyId: client.id, userId, scope: issued.scope, expiresAt: Date.now() + REFRESH_TOKEN_TTL_MS });
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope, refresh_token: refresh };
}

/** Revokes a whole grant: its refresh tokens here, its access tokens at the gateway at once. */
export async function revokeFamily(env: Env, db: Database, client: Pick<AuthenticatedClient, 'applicationId'>, familyId: string): Promise<void> {
  await db.update(schema.refreshTokens).set({ status: 'REVOKED' }).where(eq(schema.refreshTokens.familyId, familyId));
  const until = Date.now() + Number(env.ACCESS_TOKEN_TTL_SECONDS) * 1000 + 60_000;
  await db.insert(schema.revokedTokens).values({ jti: familyId, applicationId: client.applicationId, expiresAt: until }).onConflictDoNothing();
  await revokeAccessToken(env, db, client.applicationId, familyId, until);
}

/** RFC 6749 §4.1.3 with RFC 7636 PKCE (S256 only): single use, exact redirect URI, short life. */
export async function authorizationCodeGrant(env: Env, db: Database, client: AuthenticatedClient, form: URLSearchParams) {
  if (!client.grantTypes.includes('authorization_code')) throw new OAuthError('unauthorized_client', 'This client may not use authorization_code');
  const code = form.get('code');
  const redirectUri = form.get('redirect_uri');
  const verifier = form.get('code_verifier');
  if (code === null || redirectUri === null) throw new OAuthError('invalid_request', 'code and redirect_uri are required');
  if (verifier === null || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) throw new OAuthError('invalid_request', 'code_verifier is required (RFC 7636 §4.1)');
  const codeHash = await sha256Hex(code);
  // Single use: only the request that flips used_at gets the row.
  const claimed = await db.update(schema.authorizationCodes).set({ usedAt: Date.now() }).where(and(eq(schema.authorizationCodes.codeHash, codeHash), isNull(schema.authorizationCodes.usedAt))).returning();
  const row = claimed[0];
  if (row === undefined) {
    const replayed = (await db.select().from(schema.authorizationCodes).where(eq(schema.authorizationCodes.codeHash, codeHash)).limit(1))[0];
    // RFC 6749 §4.1.2: a code used twice revokes what was issued from it.
    if (replayed !== undefined && replayed.applicationKeyId === client.id) await revokeFamily(env, db, client, familyOf(codeHash));
    throw new OAuthError('invalid_grant', 'The code is invalid, expired or already used');
  }
  if (row.applicationKeyId !== client.id || row.expiresAt <= Date.now() || row.redirectUri !== redirectUri) throw new OAuthError('invalid_grant', 'The code is invalid, expired or was issued to another client or redirect URI');
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  if (!timingSafeEqual(challenge, row.codeChallenge)) throw new OAuthError('invalid_grant', 'code_verifier does not match the code challenge');
  return tokenResponse(env, db, client, row.userId, row.scope, familyOf(codeHash));
}

/**
 * RFC 6749 §6 with rotation on every use. Of concurrent refreshes exactly one wins; a refresh token
 * presented after it was rotated is a replay, and revokes its whole family (OAuth 2.0 Security BCP).
 */
export async function refreshTokenGrant(env: Env, db: Database, client: AuthenticatedClient, form: URLSearchParams) {
  if (!client.grantTypes.includes('refresh_token')) throw new OAuthError('unauthorized_client', 'This client may not use refresh_token');
  const presented = form.get('refresh_token');
  if (presented === null) throw new OAuthError('invalid_request', 'refresh_token is required');
  const row = (await db.select().from(schema.refreshTokens).where(eq(schema.refreshTokens.tokenHash, await sha256Hex(presented))).limit(1))[0];
  if (row === undefined || row.applicationKeyId !== client.id) throw new OAuthError('invalid_grant', 'Unknown refresh token');
  if (row.status === 'ROTATED') {
    await revokeFamily(env, db, client, row.familyId);
    throw new OAuthError('invalid_grant', 'The refresh token was already used; the grant is revoked');
  }
  if (row.status === 'REVOKED' || row.expiresAt <= Date.now()) throw new OAuthError('invalid_grant', 'The refresh token is revoked or expired');
  const rotated = await db.update(schema.refreshTokens).set({ status: 'ROTATED' }).where(and(eq(schema.refreshTokens.id, row.id), eq(schema.refreshTokens.status, 'ACTIVE'))).returning({ id: schema.refreshTokens.id });
  if (rotated.length === 0) throw new OAuthError('invalid_grant', 'The refresh token was used by a concurrent request');
  const requested = form.get('scope');
  // RFC 6749 §6: a refresh may narrow the scope, never widen it.
  const granted = row.scope.split(' ').filter((s) => s !== '');
  const scope = requested === null ? granted.join(' ') : requested.split(' ').filter((s) => granted.includes(s)).join(' ');
  if (row.userId === null) throw new OAuthError('invalid_grant', 'The refresh token has no resource owner');
  return tokenResponse(env, db, client, row.userId, scope, row.familyId);
}

/**
 * RFC 6749 §4.3, for legacy clients only: refused unless an admin enabled it for this client. The
 * password is checked like a portal sign-in (throttled per account and IP); the token's subject is
 * the user, and a refresh token starts a new grant.
 */
export async function passwordGrant(env: Env, db: Database, client: AuthenticatedClient, form: URLSearchParams, ip: string) {
  if (!client.grantTypes.includes('password')) throw new OAuthError('unauthorized_client', 'The password grant is not enabled for this client (an admin can enable it)');
  const username = form.get('username');
  const password = form.get('password');
  if (username === null || password === null) throw new OAuthError('invalid_request', 'username and password are required');
  const checked = await checkPassword(db, username.trim().toLowerCase(), password, ip);
  if (!checked.ok) throw new OAuthError('invalid_grant', checked.reason === 'throttled' ? `Too many failed attempts; try again in ${checked.retryAfter} s` : 'Wrong username or password, or the account is not active');
  return tokenResponse(env, db, client, checked.user.id, form.get('scope') ?? '', `fam_${newId('refreshToken')}`);
}
