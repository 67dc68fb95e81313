import { eq, sql } from 'drizzle-orm';
import { verifyPassword } from '../../../shared/crypto.ts';
import { schema, type Database } from '../db.ts';

const WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILURES_PER_ACCOUNT = 5;
export const MAX_FAILURES_PER_IP = 30;

/** Seconds until the caller may try again, or 0 when neither the account nor the IP is over. */
export async function loginRetryAfter(db: Database, email: string, ip: string, now = Date.now()): Promise<number> {
  const rows = await db
    .select()
    .from(schema.loginAttempts)
    .where(sql`${schema.loginAttempts.key} IN (${`acct:${email}`}, ${`ip:${ip}`})`);
  let wait = 0;
  for (const row of rows) {
    const max = row.key.startsWith('acct:') ? MAX_FAILURES_PER_ACCOUNT : MAX_FAILURES_PER_IP;
    if (row.windowStart + WINDOW_MS > now && row.count >= max) wait = Math.max(wait, Math.ceil((row.windowStart + WINDOW_MS - now) / 1000));
  }
  return wait;
}

export async function recordLoginFailure(db: Database, email: string, ip: string, now = Date.now()): Promise<void> {
  const upsert = (key: string) =>
    db
      .insert(schema.loginAttempts)
      .values({ key, count: 1, windowStart: now })
      .onConflictDoUpdate({
        target: schema.loginAttempts.key,
        set: {
          count: sql`CASE WHEN ${schema.loginAttempts.windowStart} + ${WINDOW_MS} <= ${now} THEN 1 ELSE ${schema.loginAttempts.count} + 1 END`,
          windowStart: sql`CASE WHEN ${schema.loginAttempts.windowStart} + ${WINDOW_MS} <= ${now} THEN ${now} ELSE ${schema.loginAttempts.windowStart} END`,
        },
      });
  await db.batch([upsert(`acct:${email}`), upsert(`ip:${ip}`)]);
}

export async function clearLoginFailures(db: Database, email: string): Promise<void> {
  await db.delete(schema.loginAttempts).where(sql`${schema.loginAttempts.key} = ${`acct:${email}`}`);
}

// Verified when the email is unknown, so an unknown account takes as long as a wrong password.
const DUMMY_HASH = 'pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export type PasswordCheck =
  | { readonly ok: true; readonly user: typeof schema.users.$inferSelect }
  | { readonly ok: false; readonly reason: 'throttled'; readonly retryAfter: number }
  | { readonly ok: false; readonly reason: 'wrong' }
  | { readonly ok: false; readonly reason: 'inactive'; readonly status: string };

/**
 * Every place that takes a password (portal sign-in, the authorization page, the password grant):
 * throttled per account and per IP, failures recorded, success clearing the account's failures.
 */
export async function checkPassword(db: Database, email: string, password: string, ip: string): Promise<PasswordCheck> {
  const wait = await loginRetryAfter(db, email, ip);
  if (wait > 0) return { ok: false, reason: 'throttled', retryAfter: wait };
  const user = (await db.select().from(schema.users).where(eq(schema.users.email, email)).limit(1))[0];
  const matches = await verifyPassword(password, user?.passwordHash ?? DUMMY_HASH);
  if (user === undefined || !matches) {
    await recordLoginFailure(db, email, ip);
    return { ok: false, reason: 'wrong' };
  }
  // A self sign-up signs in once its address is proven (auth/recovery.ts); told only to whoever
  // knows the password.
  if (!user.emailVerified) return { ok: false, reason: 'inactive', status: 'UNVERIFIED' };
  if (user.status !== 'ACTIVE') return { ok: false, reason: 'inactive', status: user.status };
  await clearLoginFailures(db, email);
  return { ok: true, user };
}
