import {
  LEASE_MAX_MS,
  type AdmitRequest,
  type Lease,
  type LeaseResult,
  type LimitStatus,
} from '../../../../durable-objects/throttle/types.ts';
import { BoundedCache } from '../../../shared/lru.ts';
import { outliveCaller } from '../shared-work.ts';
import { COUNTER_WAIT_MS, CounterTimeout, withDeadline } from './deadline.ts';

/**
 * A key leases once it had at least this many calls in the previous second of this isolate (and its
 * limits are large). Two, not 20 (decision 0033): a lease is sized to the key's rate, so a quiet
 * key's lease is small, and every call it covers is one round trip to a possibly far object saved;
 * at one call a second a lease would cover only the call that takes it, so such a key stays strict.
 */
export const LEASE_MIN_RATE = 2;

interface Held {
  readonly lease: Lease;
  readonly grantedAt: number;
  used: number;
  released: boolean;
}

// Per-isolate state, bounded in entries and (through the lease's own expiry) in age.
const held = new BoundedCache<string, Held>({ maxEntries: 10_000, maxAgeMs: LEASE_MAX_MS });
const pending = new Map<string, Promise<Held>>();
/** Calls admitted from a lease, leases taken and calls sent to strict admission for want of a share, since the isolate started (for tests and the bench). */
export const leaseStats = { spent: 0, leases: 0, strict: 0 };
const rates = new BoundedCache<string, { second: number; count: number; previous: number }>({ maxEntries: 10_000, maxAgeMs: 10_000 });

const knownLimits = new BoundedCache<string, readonly LimitStatus[]>({ maxEntries: 10_000, maxAgeMs: 60_000 });

/** What a strict admission told us about a key's limits; the lease decision needs them. */
export function rememberLimits(name: string, limits: readonly LimitStatus[]): void {
  knownLimits.set(name, limits);
}

/** Counts the call and says whether its key is hot enough, and its limits large enough, to lease. */
export function shouldLease(name: string, minLimit: number, now = Date.now()): boolean {
  const second = Math.floor(now / 1000);
  let r = rates.get(name, now);
  if (r === undefined || r.second !== second) {
    r = { second, count: 0, previous: r !== undefined && r.second === second - 1 ? r.count : 0 };
    rates.set(name, r, undefined, now);
  }
  r.count += 1;
  if (held.get(name, now) !== undefined) return true;
  const limits = knownLimits.get(name, now);
  // Bandwidth windows are charged after the response, per call: a lease could not carry them.
  return limits !== undefined && r.previous >= LEASE_MIN_RATE && limits.every((l) => l.limit >= minLimit && l.unit !== 'bytes');
}

export type LeaseSpend =
  | { ok: true; tier: string; limits: readonly LimitStatus[] }
  | { ok: false; result: Extract<LeaseResult, { ok: false }> }
  | { ok: false; revoked: true }
  /** No share of a lease was left for this call (concurrent callers spent it first): decide it strictly. */
  | { ok: false; strict: true };

export interface LeaseStub {
  lease(request: AdmitRequest, want: number): Promise<LeaseResult>;
  release(windowStarts: readonly number[], unused: number): Promise<void>;
}

/**
 * Spends one call from this isolate's lease on `name`, taking a new lease from the object when
 * there is none, it is spent or it has ended. Concurrent calls in one isolate share one lease
 * request. Each call's credential is checked against the revocation state the lease carries.
 * `stub` is asked for only when the object must be called: most calls spend from memory.
 *
 * A call never waits for a second lease: when the lease it waited for was spent by the calls that
 * waited with it (a lease is at most a tenth of what remains), it answers `strict` and the caller
 * asks the object for this one call — admitted or refused exactly, never failed (decision 0006). A
 * lease request that fails (the object unreachable) rejects: the caller fails closed.
 */
export async function spendLease(
  name: string,
  stub: () => LeaseStub,
  request: AdmitRequest,
  waitUntil: (p: Promise<unknown>) => void,
  now = Date.now(),
  waitMs = COUNTER_WAIT_MS,
): Promise<LeaseSpend> {
  let h = held.get(name, now);
  if (h !== undefined && (h.used >= h.lease.granted || now >= h.lease.expiresAt)) {
    releaseHeld(name, h, stub, waitUntil);
    h = undefined;
  }
  if (h === undefined) {
    let waiting = pending.get(name);
    if (waiting === undefined) {
      const rate = rates.get(name, now)?.previous ?? 0;
      const want = Math.max(1, Math.ceil((rate * LEASE_MAX_MS) / 1000));
      const mine: Promise<Held> = stub()
        .lease(request, want)
        .then((res) => {
          if (!res.ok) throw new LeaseRefused(res);
          const fresh: Held = { lease: res.lease, grantedAt: Date.now(), used: 0, released: false };
          leaseStats.leases += 1;
          if (pending.get(name) !== mine) {
            // Given up on (every wait on it ran out; see below): nobody spends it, and it must not
            // replace the lease the key's later calls took. All of it goes back to the object now.
            releaseHeld(name, fresh, stub, waitUntil);
            return fresh;
          }
          held.set(name, fresh, Math.max(1, res.lease.expiresAt - Date.now()));
          // Give back what is left when the lease ends, even if no further call comes.
          waitUntil(
            new Promise((r) => setTimeout(r, Math.max(0, res.lease.expiresAt - Date.now()))).then(() =>
              releaseHeld(name, fresh, stub, waitUntil),
            ),
          );
          return fresh;
        });
      // Shared by every call that arrives meanwhile: it must not end with this request (shared-work.ts).
      waiting = outliveCaller(mine);
      pending.set(name, mine);
      void mine
        .finally(() => {
          if (pending.get(name) === mine) pending.delete(name);
        })
        .catch(() => {});
    }
    try {
      // Most waiters wait for another request's lease call: with a timer of their own (deadline.ts).
      h = await withDeadline(waiting, waitMs);
    } catch (err) {
      if (err instanceof LeaseRefused) return { ok: false, result: err.result };
      // A lease request that outlived every wait on it failed or is gone: the key's next call asks
      // anew instead of waiting on it too (the same rule as a coalesced round trip, coalesce.ts).
      if (err instanceof CounterTimeout && pending.get(name) === waiting) pending.delete(name);
      throw err;
    }
  }
  const lease = h.lease;
  if (
    request.issuedAt < lease.validAfter[request.keyType] ||
    lease.revoked.includes(request.credentialId) ||
    (request.grantId !== undefined && lease.revoked.includes(request.grantId))
  )
    return { ok: false, revoked: true };
  // A lease given back meanwhile (its end came while this call waited) counts nothing any more:
  // spending from it would admit a call the object no longer counts.
  if (h.released || h.used >= lease.granted || Date.now() >= lease.expiresAt) {
    leaseStats.strict += 1;
    return { ok: false, strict: true };
  }
  h.used += 1;
  leaseStats.spent += 1;
  const unspent = lease.granted - h.used;
  const elapsed = Math.floor((now - h.grantedAt) / 1000);
  return {
    ok: true,
    tier: lease.tier,
    limits: lease.limits.map((l) => ({ ...l, remaining: l.remaining + unspent, resetSeconds: Math.max(1, l.resetSeconds - elapsed) })),
  };
}

function releaseHeld(name: string, h: Held, stub: () => LeaseStub, waitUntil: (p: Promise<unknown>) => void): void {
  if (h.released) return;
  h.released = true;
  if (held.get(name) === h) held.delete(name);
  const unused = h.lease.granted - h.used;
  if (unused > 0)
    waitUntil(
      stub()
        .release(h.lease.windowStarts, unused)
        .catch(() => {}),
    );
}

/** Drops the leases this isolate holds for these applications' subscriptions (`sub:<applicationId>:<apiId>`), in one pass. */
export function dropLeases(applicationIds: ReadonlySet<string>): void {
  held.deleteWhere((key) => applicationIds.has(key.split(':', 2)[1] ?? ''));
}

class LeaseRefused extends Error {
  readonly result: Extract<LeaseResult, { ok: false }>;
  constructor(result: Extract<LeaseResult, { ok: false }>) {
    super('lease refused');
    this.result = result;
  }
}
