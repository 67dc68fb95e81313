/**
 * Strict mode without one round trip per call: calls for the same subscription that arrive while
 * this isolate already has a call to its object in flight wait, and go together in the next one
 * (`admitMany`). The object still decides every call by itself, in order — the count stays exact and
 * revocation still bites on the next call — but a hot key costs one RPC per batch instead of one per
 * request. The RPC of a batch is made by its first member, from its own request, so no request
 * performs I/O on another's behalf; the others are handed their results.
 */
import type { AdmitRequest, AdmitResult } from '../../../../durable-objects/throttle/types.ts';
import { outliveCaller } from '../shared-work.ts';
import { COUNTER_WAIT_MS, CounterTimeout, withDeadline } from './deadline.ts';

/**
 * Enough to empty the queue of a flooded key in one round trip: a batch's calls wait at most for the
 * round trip in flight and their own, so at a round trip of R one isolate passes MAX_BATCH / R calls
 * of one key a second (12,800 at 80 ms) before a wait grows past that, and past `COUNTER_WAIT_MS`
 * into 503s. 64 (until 2026-12-03) passed 800 a second at 80 ms: a flood of one strict key, refused
 * with 429 at the object, queued up behind it until its calls failed closed (decision 0063). Small
 * enough for the RPC (about 150 bytes a call each way) and for the object's one synchronous turn.
 */
export const MAX_BATCH = 1024;

/** A call waiting for another request's round trip. */
interface Follower {
  readonly request: AdmitRequest;
  /** Ends the wait with this call's result, or with 'lead': it makes the next round trip. */
  settle(outcome: AdmitResult | 'lead'): void;
  /** Ends the wait with the batch's error. */
  fail(cause: unknown): void;
}

interface Queue {
  busy: boolean;
  readonly waiting: Follower[];
}

const queues = new Map<string, Queue>();
/** Round trips made and calls they carried, since the isolate started (for tests and the bench). */
export const coalesceStats = { batches: 0, calls: 0 };

export interface SubscriptionObject {
  admit(request: AdmitRequest): Promise<AdmitResult>;
  admitMany(requests: readonly AdmitRequest[]): Promise<AdmitResult[]>;
}

export async function admitCoalesced(
  name: string,
  stub: SubscriptionObject,
  request: AdmitRequest,
  waitMs: number = COUNTER_WAIT_MS,
): Promise<AdmitResult> {
  let queue = queues.get(name);
  if (queue === undefined) {
    queue = { busy: false, waiting: [] };
    queues.set(name, queue);
  }
  if (queue.busy) {
    const outcome = await follow(name, queue, request, waitMs);
    if (outcome !== 'lead') return outcome;
  } else {
    // Nothing in flight: this call leads at once. No other request's code runs before the batch is
    // taken below (each request is its own task), so it is the batch an await here would have taken,
    // without a timer and a promise per call that finds the key quiet (every strict call of a quiet key).
    queue.busy = true;
  }

  // The round trip is the batch's, not only this call's: it must not end with this request (shared-work.ts).
  return outliveCaller(lead(name, queue, stub, request, waitMs));
}

/** Makes the round trip for `request` and for up to MAX_BATCH - 1 calls waiting in `queue`, then hands the lead on. */
async function lead(name: string, queue: Queue, stub: SubscriptionObject, request: AdmitRequest, waitMs: number): Promise<AdmitResult> {
  const others = queue.waiting.splice(0, MAX_BATCH - 1);
  coalesceStats.batches += 1;
  coalesceStats.calls += others.length + 1;
  try {
    if (others.length === 0) return await withDeadline(stub.admit(request), waitMs);
    const results = await withDeadline(stub.admitMany([request, ...others.map((w) => w.request)]), waitMs);
    others.forEach((w, i) => {
      const r = results[i + 1];
      if (r === undefined) w.fail(new Error('the counter object answered fewer results than calls'));
      else w.settle(r);
    });
    const mine = results[0];
    if (mine === undefined) throw new Error('the counter object answered fewer results than calls');
    return mine;
  } catch (cause) {
    for (const w of others) w.fail(cause);
    throw cause;
  } finally {
    const next = queue.waiting.shift();
    if (next !== undefined) next.settle('lead');
    else {
      queue.busy = false;
      // A queue given up on (see `follow`) is no longer the key's: the key's current one stays.
      if (queues.get(name) === queue) queues.delete(name);
    }
  }
}

/**
 * Waits in `queue` for this call's result or its turn to lead. The wait has a timer of this request's
 * own (see deadline.ts): past `waitMs` it leaves the queue — so the lead is never handed to a call
 * that stopped waiting — and fails closed. Whoever settles a follower has taken it off the queue
 * first, and clears its timer in the same step.
 *
 * A wait that runs out also gives the queue up: the round trip it waited for has been in flight
 * for longer than any round trip's own deadline (the same `COUNTER_WAIT_MS` for every call), so
 * its leader failed or is gone, and the key's next call starts a queue of its own instead of
 * joining one nobody leads. Two round trips of one key in flight at once cost an RPC, never
 * exactness: the object decides every call by itself.
 */
function follow(name: string, queue: Queue, request: AdmitRequest, waitMs: number): Promise<AdmitResult | 'lead'> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      const i = queue.waiting.indexOf(follower);
      if (i >= 0) queue.waiting.splice(i, 1);
      if (queues.get(name) === queue) queues.delete(name);
      reject(new CounterTimeout());
    }, waitMs);
    const follower: Follower = {
      request,
      settle(outcome) {
        clearTimeout(timer);
        resolve(outcome);
      },
      fail(cause) {
        clearTimeout(timer);
        reject(cause);
      },
    };
    queue.waiting.push(follower);
  });
}
