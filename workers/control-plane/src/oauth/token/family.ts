import { eq } from 'drizzle-orm';
import { newSecret, sha256Hex } from '../../../../shared/crypto.ts';
import { newId } from '../../../../shared/ids.ts';
import { schema, type Database } from '../../db.ts';
import { revokeAccessToken } from '../../gateway-sync/subscriptions.ts';
import { issueAccessToken } from '../access-token.ts';
import type { AuthenticatedClient } from '../client-auth.ts';

export const REFRESH_TOKEN_TTL_MS = 30 * 86_400_000;

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/**
 * An access token and a refresh token of one grant (a "family"): every access token carries the
 * family as `grant_id`, so revoking the family stops them all at the gateway at once.
 */
export async function userGrantResponse(env: Env, db: Database, client: AuthenticatedClient, userId: string, scopes: readonly string[], familyId: string): Promise<TokenResponse> {
  const issued = await issueAccessToken(env, db, client, { subject: userId, requestedScopes: scopes, grantId: familyId });
  if (!client.grantTypes.includes('refresh_token')) return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
  const refresh = newSecret('rt_');
  await db.insert(schema.refreshTokens).values({ id: newId('refreshToken'), tokenHash: await sha256Hex(refresh), familyId, applicationKeyId: client.id, userId, scope: issued.scope, expiresAt: Date.now() + REFRESH_TOKEN_TTL_MS });
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope, refresh_token: refresh };
}

export const newFamilyId = () => newId('tokenFamily');

/** Revokes a whole grant: its refresh tokens here, its access tokens at the gateway at once. */
export async function revokeFamily(env: Env, db: Database, applicationId: string, familyId: string): Promise<void> {
  const until = Date.now() + Number(env.ACCESS_TOKEN_TTL_SECONDS) * 1000 + 60_000;
  await db.batch([
    db.update(schema.refreshTokens).set({ status: 'REVOKED' }).where(eq(schema.refreshTokens.familyId, familyId)),
    db.insert(schema.revokedTokens).values({ jti: familyId, applicationId, expiresAt: until }).onConflictDoNothing(),
  ]);
  await revokeAccessToken(env, db, applicationId, familyId, until);
}
