import { sql } from 'drizzle-orm';
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
