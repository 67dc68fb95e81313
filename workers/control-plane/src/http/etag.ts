import { z } from '@hono/zod-openapi';
import { and, eq, sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { ApiError } from '../../../shared/problem.ts';
import type { Database } from '../db.ts';

/**
 * Optimistic concurrency for the resources people edit at the same time (APIs, applications,
 * throttling policies, subscriptions): see docs/decisions/0021-etags-and-if-match.md.
 *
 * The ETag is a *strong* validator (RFC 9110 §8.8.3): the SHA-256 of the exact JSON the resource
 * answers with, so it changes whenever a byte of that representation does — whichever route changed
 * it. `If-Match` compares strongly, as §13.1.1 requires (a weak tag never matches), and a write whose
 * tag no longer matches is refused with 412 before anything is written. The write itself is also
 * conditional on the row's `updated_at` read at check time (`versionGuard`), so two concurrent writes
 * holding the same tag cannot both pass.
 */
export async function entityTag(representation: unknown): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(representation))));
  let bin = '';
  for (const byte of digest.subarray(0, 18)) bin += String.fromCharCode(byte);
  return `"${btoa(bin).replace(/\+/g, '-').replace(/\//g, '_')}"`;
}

/** The entity tags of an If-Match field value (RFC 9110 §13.1.1): `*`, or a list of tags. */
function parseIfMatch(value: string): '*' | string[] {
  if (value.trim() === '*') return '*';
  return [...value.matchAll(/\s*(W\/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(,|$)/g)].map((m) => `${m[1] ?? ''}${m[2] ?? ''}`);
}

/**
 * Refuses with 412 when the request carries If-Match and `current` (the resource's tag now) is not
 * one of its tags. No If-Match: the write goes ahead (the header is how a client opts in).
 */
export function assertIfMatch(ifMatch: string | undefined, current: string): void {
  if (ifMatch === undefined) return;
  const tags = parseIfMatch(ifMatch);
  // Strong comparison: a weak tag (W/"…") never matches, whatever its opaque part.
  if (tags === '*' || tags.includes(current)) return;
  throw new ApiError('precondition-failed', {
    detail: 'The resource changed since you read it: fetch it again, re-apply your change and send the new ETag in If-Match',
    errors: [{ pointer: '#header/if-match', detail: `Does not match the current ETag ${current}` }],
    headers: { etag: current },
  });
}

/** The value to store as `updated_at` on a write after `previous`: strictly later, even within one millisecond. */
export function nextVersion(previous: number): number {
  return Math.max(Date.now(), previous + 1);
}

const STALE = 'turnpike: precondition failed';

/**
 * A statement to put first in a write's `db.batch()`: it fails — and so rolls the whole batch back
 * (a D1 batch is one transaction) — unless the row still has the `updated_at` the If-Match check
 * saw. `json()` of a non-JSON string is the one way plain SQL can raise an error here.
 */
export function versionGuard(
  db: Database,
  table: SQLiteTable,
  idColumn: SQLiteColumn,
  updatedAtColumn: SQLiteColumn,
  id: string,
  updatedAt: number,
) {
  return db
    .select({ ok: sql<string>`json(CASE WHEN count(*) = 1 THEN '0' ELSE ${STALE} END)` })
    .from(table)
    .where(and(eq(idColumn, id), eq(updatedAtColumn, updatedAt)));
}

/** Whether `err` is the failure of a `versionGuard`: a concurrent write got there first. */
export function isStaleWrite(err: unknown): boolean {
  return /malformed JSON/i.test(String(err instanceof Error ? `${err.message} ${String(err.cause ?? '')}` : err));
}

export function staleWrite(): ApiError {
  return new ApiError('precondition-failed', {
    detail: 'The resource changed while your write was being applied: fetch it again and retry',
  });
}

export const IfMatchHeaders = z.object({
  'if-match': z
    .string()
    .max(2000)
    .optional()
    .openapi({
      param: { name: 'if-match', in: 'header' },
      description:
        'The ETag you read (strong comparison, RFC 9110 §13.1.1): the write is refused with 412 if the resource changed since. Leave it out to write unconditionally.',
    }),
});

/** A JSON response documented with its ETag header. */
export function taggedJsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return {
    description,
    headers: {
      ETag: {
        description: 'Strong validator of this representation; send it back in If-Match when you change the resource',
        schema: { type: 'string' as const },
      },
    },
    content: { 'application/json': { schema } },
  } as const;
}
