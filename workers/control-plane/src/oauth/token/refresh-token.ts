import { and, eq } from 'drizzle-orm';
import { sha256Hex } from '../../../../shared/crypto.ts';
import { schema, type Database } from '../../db.ts';
import type { AuthenticatedClient } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import { requestedScopes } from '../form.ts';
import { revokeFamily, userGrantResponse, type TokenResponse } from './family.ts';

/**
 * RFC 6749 §6 with rotation on every use. Of concurrent refreshes exactly one wins; a refresh token
 * presented after it was rotated is a replay, and revokes its whole family (OAuth 2.0 Security BCP §4.14).
 */
export async function refreshTokenGrant(env: Env, db: Database, client: AuthenticatedClient, form: URLSearchParams): Promise<TokenResponse> {
  const presented = form.get('refresh_token');
  if (presented === null) throw new OAuthError('invalid_request', 'refresh_token is required');
  const row = (await db.select().from(schema.refreshTokens).where(eq(schema.refreshTokens.tokenHash, await sha256Hex(presented))).limit(1))[0];
  // RFC 6749 §10.4: a refresh token is bound to the client it was issued to.
  if (row === undefined || row.applicationKeyId !== client.id) throw new OAuthError('invalid_grant', 'Unknown refresh token');
  if (row.status === 'ROTATED') {
    await revokeFamily(env, db, client.applicationId, row.familyId);
    throw new OAuthError('invalid_grant', 'The refresh token was already used; the grant is revoked');
  }
  if (row.status === 'REVOKED' || row.expiresAt <= Date.now() || row.createdAt < client.tokensValidAfter) throw new OAuthError('invalid_grant', 'The refresh token is revoked or expired');
  // RFC 6749 §6: a refresh may narrow the scope, never widen it. Checked before the token is spent.
  const granted = row.scope.split(' ').filter((s) => s !== '');
  const requested = requestedScopes(form);
  if (requested !== null && requested.some((s) => !granted.includes(s))) throw new OAuthError('invalid_scope', 'The requested scope exceeds the scope originally granted');
  const rotated = await db.update(schema.refreshTokens).set({ status: 'ROTATED' }).where(and(eq(schema.refreshTokens.id, row.id), eq(schema.refreshTokens.status, 'ACTIVE'))).returning({ id: schema.refreshTokens.id });
  if (rotated.length === 0) throw new OAuthError('invalid_grant', 'The refresh token was used by a concurrent request');
  if (row.userId === null) throw new OAuthError('invalid_grant', 'The refresh token has no resource owner');
  return userGrantResponse(env, db, client, row.userId, requested ?? granted, row.familyId);
}
