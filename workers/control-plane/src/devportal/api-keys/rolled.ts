import { and, isNotNull, isNull, lte } from 'drizzle-orm';
import { schema, type Database } from '../../db.ts';
import { revokeApiKey } from '../../gateway-sync/subscriptions.ts';

/**
 * The cron's part of a roll: a rolled key whose overlap has ended is revoked at its counter
 * objects, which every call consults — so it stops within a minute of the overlap's end even at a
 * gateway that still holds its record from before the roll (cached up to a minute, api-key.ts).
 */
export async function revokeRolledApiKeys(env: Env, db: Database, now = Date.now()): Promise<string[]> {
  const k = schema.apiKeys;
  const ended = await db
    .update(k)
    .set({ revokedAt: now })
    .where(and(isNotNull(k.rolledTo), isNull(k.revokedAt), lte(k.expiresAt, now)))
    .returning({ id: k.id, applicationId: k.applicationId });
  // The counter objects forget a revocation once it expires; the key has expired already, so they
  // keep it past the longest a gateway may hold the key's old record (a minute), with margin.
  for (const key of ended) await revokeApiKey(env, db, key.applicationId, key.id, now + 10 * 60_000);
  return ended.map((key) => key.id);
}
