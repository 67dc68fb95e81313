/**
 * Strict mode without one round trip per call: calls for the same subscription that arrive while
 * this isolate already has a call to its object in flight wait, and go together in the next one
 * (`admitMany`). The object still decides every call by itself, in order — the count stays exact and
 * revocation still bites on the next call — but a hot key costs one RPC per batch instead of one per
 * request. The RPC of a batch is made by its first member, from its own request, so no request
 * performs I/O on another's behalf; the others are handed their results.
 */
import type { AdmitRequest, AdmitResult } from '../../../../durable-objects/throttle/types.ts';
import { withDeadline } from './deadline.ts';

/** Enough to empty the queue of a hot key in one round trip; small enough to keep a batch cheap. */
export const MAX_BATCH = 64;

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(reason: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

interface Waiter {
  readonly request: AdmitRequest;
  readonly result: Deferred<AdmitResult>;
  /** Resolved when this call is to lead the next batch. */
  readonly turn: Deferred<'lead'>;
}

interface Queue {
  busy: boolean;
  readonly waiting: Waiter[];
}

const queues = new Map<string, Queue>();
/** Round trips made and calls they carried, since the isolate started (for tests and the bench). */
export const coalesceStats = { batches: 0, calls: 0 };

export interface SubscriptionObject {
  admit(request: AdmitRequest): Promise<AdmitResult>;
  admitMany(requests: readonly AdmitRequest[]): Promise<AdmitResult[]>;
}

export async function admitCoalesced(name: string, stub: SubscriptionObject, request: AdmitRequest): Promise<AdmitResult> {
  let queue = queues.get(name);
  if (queue === undefined) {
    queue = { busy: false, waiting: [] };
    queues.set(name, queue);
  }
  const me: Waiter = { request, result: deferred<AdmitResult>(), turn: deferred<'lead'>() };
  queue.waiting.push(me);
  if (queue.busy) {
    // Waiting for another request's round trip: with a timer of this request's own (see deadline.ts).
    const first = await withDeadline(Promise.race([me.result.promise, me.turn.promise]));
    if (first !== 'lead') return first;
  } else {
    // Nothing in flight: this call leads at once. No other request's code runs before the batch is
    // taken below (each request is its own task), so it is the batch an await here would have taken,
    // without a timer pair and a race per call that finds the key quiet (every strict call of a
    // quiet key).
    queue.busy = true;
  }

  const batch = queue.waiting.splice(0, MAX_BATCH);
  coalesceStats.batches += 1;
  coalesceStats.calls += batch.length;
  try {
    const results =
      batch.length === 1 ? [await withDeadline(stub.admit(request))] : await withDeadline(stub.admitMany(batch.map((w) => w.request)));
    batch.forEach((w, i) => {
      const r = results[i];
      if (r === undefined) w.result.reject(new Error('the counter object answered fewer results than calls'));
      else w.result.resolve(r);
    });
  } catch (cause) {
    for (const w of batch) w.result.reject(cause);
  } finally {
    const next = queue.waiting[0];
    if (next !== undefined) next.turn.resolve('lead');
    else {
      queue.busy = false;
      queues.delete(name);
    }
  }
  return me.result.promise;
}
