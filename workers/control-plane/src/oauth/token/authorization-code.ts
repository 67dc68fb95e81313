import { and, eq, isNull } from 'drizzle-orm';
import { base64url, sha256Hex, timingSafeEqual } from '../../../../shared/crypto.ts';
import type { Database } from '../../db.ts';
import { schema } from '../../db.ts';
import type { AuthenticatedClient } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import { revokeFamily, userGrantResponse, type TokenResponse } from './family.ts';

/** The grant a code starts: derived from the code, so a replayed code can name the grant to revoke. */
const familyOf = (codeHash: string) => `fam_${codeHash.slice(0, 24)}`;

/** RFC 6749 §4.1.3 with RFC 7636 PKCE (S256 only): single use, exact redirect URI, short life. */
export async function authorizationCodeGrant(env: Env, db: Database, client: AuthenticatedClient, form: URLSearchParams): Promise<TokenResponse> {
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
    if (replayed !== undefined && replayed.applicationKeyId === client.id) await revokeFamily(env, db, client.applicationId, familyOf(codeHash));
    throw new OAuthError('invalid_grant', 'The code is invalid, expired or already used');
  }
  if (row.applicationKeyId !== client.id || row.expiresAt <= Date.now() || row.redirectUri !== redirectUri) throw new OAuthError('invalid_grant', 'The code is invalid, expired or was issued to another client or redirect URI');
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  if (!timingSafeEqual(challenge, row.codeChallenge)) throw new OAuthError('invalid_grant', 'code_verifier does not match the code challenge');
  return userGrantResponse(env, db, client, row.userId, row.scope.split(' ').filter((s) => s !== ''), familyOf(codeHash));
}
