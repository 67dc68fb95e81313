import { and, eq, lt, or } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { newSecret, sha256Hex } from '../../../shared/crypto.ts';
import type { ACCOUNT_TOKEN_PURPOSES } from '../../../shared/db/schema.ts';
import { newId } from '../../../shared/ids.ts';
import { schema, type Database } from '../db.ts';

export type AccountTokenPurpose = (typeof ACCOUNT_TOKEN_PURPOSES)[number];

/** How long a link in a mail works: a day to confirm an address, an hour to reset a password. */
export const ACCOUNT_TOKEN_TTL_MS: Record<AccountTokenPurpose, number> = { VERIFY_EMAIL: 24 * 3600_000, RESET_PASSWORD: 3600_000 };

/**
 * A new single-use token for `userId`, as the statements that store it: the user's earlier tokens
 * of the same purpose are deleted in the same batch (only the latest link works), and so is every
 * expired token of anyone, which keeps the table small without a sweeper.
 */
export async function issueAccountToken(
  db: Database,
  userId: string,
  purpose: AccountTokenPurpose,
  now = Date.now(),
): Promise<{ token: string; statements: [BatchItem<'sqlite'>, BatchItem<'sqlite'>] }> {
  const token = newSecret(purpose === 'VERIFY_EMAIL' ? 'tpv_' : 'tpr_');
  return {
    token,
    statements: [
      db
        .delete(schema.accountTokens)
        .where(
          or(
            and(eq(schema.accountTokens.userId, userId), eq(schema.accountTokens.purpose, purpose)),
            lt(schema.accountTokens.expiresAt, now),
          ),
        ),
      db.insert(schema.accountTokens).values({
        id: newId('accountToken'),
        tokenHash: await sha256Hex(token),
        userId,
        purpose,
        expiresAt: now + ACCOUNT_TOKEN_TTL_MS[purpose],
      }),
    ],
  };
}

/**
 * Uses a token: one `DELETE … RETURNING` finds and removes it, so of two requests racing with the
 * same link exactly one gets the user (D1 runs each statement atomically). An expired token is
 * removed too and answers null, as does an unknown one.
 */
export async function consumeAccountToken(
  db: Database,
  token: string,
  purpose: AccountTokenPurpose,
  now = Date.now(),
): Promise<string | null> {
  const rows = await db
    .delete(schema.accountTokens)
    .where(and(eq(schema.accountTokens.tokenHash, await sha256Hex(token)), eq(schema.accountTokens.purpose, purpose)))
    .returning({ userId: schema.accountTokens.userId, expiresAt: schema.accountTokens.expiresAt });
  const row = rows[0];
  return row !== undefined && row.expiresAt > now ? row.userId : null;
}
