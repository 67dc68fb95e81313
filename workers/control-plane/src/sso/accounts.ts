import { and, eq, sql } from 'drizzle-orm';
import { newId } from '../../../shared/ids.ts';
import type { Role } from '../../../shared/db/schema.ts';
import { auditEntry } from '../audit.ts';
import { schema, type Database } from '../db.ts';
import type { ProvenIdentity, SsoProviderRow } from './flow.ts';
import { mapRole } from './roles.ts';

type UserRow = typeof schema.users.$inferSelect;

/**
 * A password hash no password matches (`verifyPassword` reads only `pbkdf2-sha256$…`): a user made
 * by a provider signs in there, until they set a password through the reset mail.
 */
export const NO_PASSWORD = '!sso';

export type RefusedAccount =
  /** No rule maps any of the user's claim values and the provider has no default role. */
  | 'no-role'
  /** A local account has this email, and linking is off or the provider does not vouch for the address. */
  | 'email-taken'
  /** The provider shared no email (the `email` scope), which every portal user has. */
  | 'no-email'
  | 'inactive';

export type AccountOutcome = { ok: true; user: UserRow; created: boolean; linked: boolean } | { ok: false; reason: RefusedAccount };

/**
 * Who a proven (issuer, sub) is here (OIDC Core §5.7: the only stable identifier): the user linked
 * to it, else the local account of the same email if the admin allows linking and the provider
 * says `email_verified`, else a new user. The role follows the provider's claim at every sign-in:
 * the provider is where these users' groups are managed (decision 0051).
 */
export async function accountFor(
  db: Database,
  provider: SsoProviderRow,
  proven: ProvenIdentity,
  now = Date.now(),
): Promise<AccountOutcome> {
  const role = mapRole(proven.claims, provider.rolesClaim, provider.roleMapping, provider.defaultRole);
  if (role === null) return { ok: false, reason: 'no-role' };
  const linked = (
    await db
      .select({ user: schema.users })
      .from(schema.ssoIdentities)
      .innerJoin(schema.users, eq(schema.users.id, schema.ssoIdentities.userId))
      .where(and(eq(schema.ssoIdentities.issuer, proven.issuer), eq(schema.ssoIdentities.subject, proven.subject)))
      .limit(1)
  )[0]?.user;
  if (linked !== undefined) {
    if (linked.status !== 'ACTIVE') return { ok: false, reason: 'inactive' };
    return { ok: true, user: await signedIn(db, linked, proven, role, now), created: false, linked: false };
  }
  const email = typeof proven.claims['email'] === 'string' ? proven.claims['email'].trim().toLowerCase() : '';
  if (email === '') return { ok: false, reason: 'no-email' };
  const verified = proven.claims['email_verified'] === true;
  const local = (
    await db
      .select()
      .from(schema.users)
      .where(sql`lower(${schema.users.email}) = ${email}`)
      .limit(1)
  )[0];
  if (local !== undefined) {
    // Linking on an unverified address would hand the local account to whoever typed it at the provider.
    if (!provider.linkByEmail || !verified) return { ok: false, reason: 'email-taken' };
    if (local.status !== 'ACTIVE') return { ok: false, reason: 'inactive' };
    await db.batch([
      db.insert(schema.ssoIdentities).values({ issuer: proven.issuer, subject: proven.subject, userId: local.id }),
      auditEntry(db, null, 'user.sso-link', { type: 'user', id: local.id }, null, { issuer: proven.issuer, subject: proven.subject }),
    ]);
    return { ok: true, user: await signedIn(db, local, proven, role, now), created: false, linked: true };
  }
  const id = newId('user');
  const name = typeof proven.claims['name'] === 'string' && proven.claims['name'].trim() !== '' ? proven.claims['name'].trim() : email;
  const [rows] = await db.batch([
    db
      .insert(schema.users)
      .values({ id, email, displayName: name.slice(0, 100), passwordHash: NO_PASSWORD, role, emailVerified: verified })
      .returning(),
    db.insert(schema.ssoIdentities).values({ issuer: proven.issuer, subject: proven.subject, userId: id, lastSignInAt: now }),
    auditEntry(db, null, 'user.sso-create', { type: 'user', id }, null, { email, role, issuer: proven.issuer, subject: proven.subject }),
  ]);
  const user = rows[0];
  if (user === undefined) throw new Error('user insert returned no row');
  return { ok: true, user, created: true, linked: false };
}

async function signedIn(db: Database, user: UserRow, proven: ProvenIdentity, role: Role, now: number): Promise<UserRow> {
  const touch = db
    .update(schema.ssoIdentities)
    .set({ lastSignInAt: now })
    .where(and(eq(schema.ssoIdentities.issuer, proven.issuer), eq(schema.ssoIdentities.subject, proven.subject)));
  if (user.role === role) {
    await touch;
    return user;
  }
  await db.batch([
    touch,
    db.update(schema.users).set({ role, updatedAt: now }).where(eq(schema.users.id, user.id)),
    auditEntry(db, null, 'user.sso-role', { type: 'user', id: user.id }, { role: user.role }, { role }),
  ]);
  return { ...user, role };
}
