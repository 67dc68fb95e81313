import { and, count, eq, gt, sql } from 'drizzle-orm';
import { subscriptionObjectName, type SubscriptionState } from '../../../../durable-objects/throttle/types.ts';
import { createDb, schema, type Database } from '../db.ts';
import { syncQueue } from './bindings.ts';
import { subscriptionStateQueries, subscriptionStates, writeObjects, type ObjectWrite } from './subscriptions.ts';

/**
 * A tier edit reaches every subscription on the tier through the `turnpike-sync` queue, a page at a
 * time: each message syncs one page (keyset on subscriptions.id) and enqueues the next, so the work
 * of one invocation is bounded whatever the number of subscriptions (docs/decisions/0012).
 *
 * - A page costs two batched reads (read, then verify) and one conditional write in D1, and one RPC
 *   per subscription object, at most OBJECT_CONCURRENCY at once (`writeObjects`, subscriptions.ts).
 * - Progress lives in `tier_fanouts`: each edit bumps the tier's generation, and a message of an
 *   older generation stops before doing anything.
 * - Idempotent: a page is written from what D1 holds when it runs, so running it again writes the
 *   same; the cursor only moves from the page's start to its end (`done` counts a page once).
 */
export const TIER_PAGE_SIZE = 100;
/** Rounds of write-then-verify before a page gives up and is retried by the queue. */
const VERIFY_ROUNDS = 3;

export interface TierFanoutMessage {
  kind: 'tier';
  policyId: string;
  /** The policy's name (it cannot change): the subscriptions' `tier`. */
  tier: string;
  generation: number;
  /** Subscriptions with an id above this one are still to do; '' is the start. */
  after: string;
}

/** What travels on `turnpike-sync`. */
export type SyncMessage = TierFanoutMessage;

/**
 * The statement that (re)starts a tier's fan-out at the next generation; it goes in the same
 * `db.batch()` as the policy update, so a generation always names one committed version of the policy.
 */
export function restartTierFanout(db: Database, policyId: string, now: number) {
  const t = schema.tierFanouts;
  const fresh = { cursor: '', total: null, done: 0, startedAt: now, finishedAt: null, lastError: null, updatedAt: now };
  return db
    .insert(t)
    .values({ policyId, generation: 1, ...fresh })
    .onConflictDoUpdate({ target: t.policyId, set: { generation: sql`${t.generation} + 1`, ...fresh } })
    .returning({ generation: t.generation });
}

/** Enqueues the first page of a fan-out; when the queue refuses, says so in its progress and throws. */
export async function enqueueTierFanout(env: Env, db: Database, message: Omit<TierFanoutMessage, 'kind' | 'after'>): Promise<void> {
  try {
    await syncQueue(env).send({ kind: 'tier', after: '', ...message });
  } catch (cause) {
    await noteFanoutError(db, message.policyId, message.generation, 'The push could not be enqueued; saving the policy again restarts it.');
    throw cause;
  }
}

/** Says in a fan-out's progress what went wrong, unless a later edit has started another. */
function noteFanoutError(db: Database, policyId: string, generation: number, lastError: string) {
  return db
    .update(schema.tierFanouts)
    .set({ lastError, updatedAt: Date.now() })
    .where(and(eq(schema.tierFanouts.policyId, policyId), eq(schema.tierFanouts.generation, generation)));
}

/** The queue handler: each message is one page; a page that fails is retried with backoff. */
export async function consumeSync(batch: MessageBatch<SyncMessage>, env: Env): Promise<void> {
  const db = createDb(env.DB);
  for (const message of batch.messages) {
    try {
      await syncTierPage(env, db, message.body, message.attempts > 1);
      message.ack();
    } catch (cause) {
      const { policyId, generation, after } = message.body;
      console.error(
        JSON.stringify({
          level: 'error',
          message: 'tier fan-out page failed; the queue retries it',
          policyId,
          generation,
          after,
          attempt: message.attempts,
          cause: String(cause),
        }),
      );
      try {
        await noteFanoutError(
          db,
          policyId,
          generation,
          `Syncing the page after ${after === '' ? 'the start' : after} failed (attempt ${message.attempts}); it is retried. Saving the policy again restarts the push.`,
        );
      } catch {
        /* the log line above has it */
      }
      message.retry({ delaySeconds: Math.min(60, 2 ** message.attempts) });
    }
  }
}

/** Syncs one page of a tier's subscriptions and hands the rest to the next message. Exported for tests. */
export async function syncTierPage(env: Env, db: Database, message: TierFanoutMessage, redelivered: boolean): Promise<void> {
  const t = schema.tierFanouts;
  const subs = schema.subscriptions;
  const now = Date.now();
  const [jobs, rows, keys, revoked] = await db.batch([
    db.select().from(t).where(eq(t.policyId, message.policyId)),
    ...subscriptionStateQueries(db, and(eq(subs.tier, message.tier), gt(subs.id, message.after)), TIER_PAGE_SIZE, now),
  ]);
  // Superseded by a later edit (whose push covers every subscription), or the policy is gone.
  if (jobs[0]?.generation !== message.generation) return;
  const states = subscriptionStates(rows, keys, revoked);
  await verifiedWrite(env, db, states, now);

  const last = states.at(-1)?.subscriptionId ?? message.after;
  const finished = states.length < TIER_PAGE_SIZE;
  const total =
    message.after === '' && !finished ? (await db.select({ n: count() }).from(subs).where(eq(subs.tier, message.tier)))[0]?.n : undefined;
  const advanced = await db
    .update(t)
    .set({
      cursor: last,
      done: sql`${t.done} + ${states.length}`,
      // Finished, the total is what was walked: subscriptions made, moved or deleted meanwhile were synced by their own change.
      total: finished ? sql`${t.done} + ${states.length}` : total,
      finishedAt: finished ? Date.now() : null,
      lastError: null,
      updatedAt: Date.now(),
    })
    .where(and(eq(t.policyId, message.policyId), eq(t.generation, message.generation), eq(t.cursor, message.after)))
    .returning({ cursor: t.cursor });
  const next: TierFanoutMessage = { ...message, after: last };
  if (advanced.length === 1) {
    if (!finished) await syncQueue(env).send(next);
    return;
  }
  // This page was committed by another delivery of this message, or the push was superseded. A
  // retry may follow a delivery that committed but failed before enqueuing the next page: it
  // enqueues it again when the cursor still stands at this page's end (a duplicate dies out there:
  // its first copy moves the cursor, the second finds it moved).
  if (!redelivered || finished) return;
  const job = (await db.select().from(t).where(eq(t.policyId, message.policyId)))[0];
  if (job?.generation === message.generation && job.cursor === last && job.finishedAt === null) await syncQueue(env).send(next);
}

/** A counter object and what it should hold: a subscription's state, or nothing (`remove`). */

/**
 * Writes each state to its counter object, then reads the same subscriptions again (by object:
 * application and API) and rewrites the objects whose state changed in between (a later tier edit,
 * a status change, a deletion committed while this page was in flight): a page that read old data
 * cannot land after a newer write and stay.
 */
async function verifiedWrite(env: Env, db: Database, states: readonly SubscriptionState[], now: number): Promise<void> {
  let writes: ObjectWrite[] = states.map((state) => ({ applicationId: state.applicationId, apiId: state.apiId, state }));
  for (let round = 0; writes.length > 0; round++) {
    if (round === VERIFY_ROUNDS) throw new Error(`${writes.length} subscriptions kept changing while being synced`);
    await writeObjects(env, writes);
    const pairs = JSON.stringify(writes.map((w) => [w.applicationId, w.apiId]));
    const where = sql`(${schema.subscriptions.applicationId}, ${schema.subscriptions.apiId}) IN (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(${pairs}))`;
    const [rows, keys, revoked] = await db.batch(subscriptionStateQueries(db, where, writes.length, now));
    const fresh = new Map(subscriptionStates(rows, keys, revoked).map((s) => [subscriptionObjectName(s.applicationId, s.apiId), s]));
    writes = writes.flatMap((w) => {
      const state = fresh.get(subscriptionObjectName(w.applicationId, w.apiId)) ?? null;
      return JSON.stringify(state) === JSON.stringify(w.state) ? [] : [{ ...w, state }];
    });
  }
}
