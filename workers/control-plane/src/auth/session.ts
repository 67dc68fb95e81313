import { and, eq, gt } from 'drizzle-orm';
import { newSecret, sha256Hex } from '../../../shared/crypto.ts';
import { newId } from '../../../shared/ids.ts';
import { schema, type Database } from '../db.ts';

export const SESSION_COOKIE = 'tp_session';
export const SESSION_TTL_MS = 8 * 3600 * 1000;

export async function createSession(db: Database, userId: string, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
  const token = newSecret('tps_');
  const expiresAt = now + SESSION_TTL_MS;
  await db.insert(schema.sessions).values({ id: newId('session'), tokenHash: await sha256Hex(token), userId, expiresAt });
  return { token, expiresAt };
}

export async function findSessionUser(db: Database, token: string, now = Date.now()) {
  const rows = await db
    .select({ user: schema.users })
    .from(schema.sessions)
    .innerJoin(schema.users, eq(schema.users.id, schema.sessions.userId))
    .where(and(eq(schema.sessions.tokenHash, await sha256Hex(token)), gt(schema.sessions.expiresAt, now)))
    .limit(1);
  return rows[0]?.user ?? null;
}

export async function deleteSession(db: Database, token: string): Promise<void> {
  await db.delete(schema.sessions).where(eq(schema.sessions.tokenHash, await sha256Hex(token)));
}

export function sessionCookie(token: string, maxAgeSeconds: number, secure: boolean): string {
  // HttpOnly: no script reads it; SameSite=Strict: no cross-site request carries it.
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}
