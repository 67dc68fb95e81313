/**
 * Who may register a client at /oauth2/register (RFC 7591 §3 leaves the initial access token to the
 * server): a developer's own management token holding `apps:manage` (decision 0039), or an
 * initial access token an admin issued for a developer (`tpi_…`, decision 0052's admin policy) —
 * limited in uses and time, like Keycloak's, for onboarding a partner who has no portal session.
 */
import { and, eq, gt, sql } from 'drizzle-orm';
import { sha256Hex } from '../../../shared/crypto.ts';
import { managementTokenPrincipal } from '../auth/middleware.ts';
import { schema, type Database } from '../db.ts';

export const INITIAL_ACCESS_PREFIX = 'tpi_';

export type InitialAccess =
  | { ok: true; owner: { userId: string; email: string }; via: 'management-token' | 'initial-access-token' }
  | { ok: false; status: 401 | 403; description: string };

export async function initialAccess(db: Database, token: string | null, now = Date.now()): Promise<InitialAccess> {
  if (token !== null && token.startsWith(INITIAL_ACCESS_PREFIX)) {
    // One statement spends a use: two registrations racing for the last use cannot both get it.
    const spent = (
      await db
        .update(schema.registrationTokens)
        .set({ uses: sql`${schema.registrationTokens.uses} + 1` })
        .where(
          and(
            eq(schema.registrationTokens.tokenHash, await sha256Hex(token)),
            gt(schema.registrationTokens.expiresAt, now),
            sql`${schema.registrationTokens.uses} < ${schema.registrationTokens.maxUses}`,
          ),
        )
        .returning({ ownerId: schema.registrationTokens.ownerId })
    )[0];
    if (spent === undefined) return { ok: false, status: 401, description: 'The initial access token is unknown, expired or used up' };
    const owner = (
      await db
        .select({ id: schema.users.id, email: schema.users.email, status: schema.users.status })
        .from(schema.users)
        .where(eq(schema.users.id, spent.ownerId))
        .limit(1)
    )[0];
    if (owner === undefined || owner.status !== 'ACTIVE')
      return { ok: false, status: 403, description: 'The developer this initial access token registers for is not active' };
    return { ok: true, owner: { userId: owner.id, email: owner.email }, via: 'initial-access-token' };
  }
  const principal = token === null || !token.startsWith('tpm_') ? null : await managementTokenPrincipal(db, token);
  if (principal === null)
    return {
      ok: false,
      status: 401,
      description: 'An initial access token is required: a management token (tpm_...) with apps:manage, or one an admin issued (tpi_...)',
    };
  if (!principal.scopes.has('apps:manage')) return { ok: false, status: 403, description: 'The initial access token lacks apps:manage' };
  return { ok: true, owner: { userId: principal.userId, email: principal.email }, via: 'management-token' };
}
