import { DurableObject } from 'cloudflare:workers';
import type { KeyType } from '../../workers/shared/db/schema.ts';
import {
  LEASE_MAX_MS,
  LEASE_MAX_SHARE,
  RESERVE_MAX_CALLS,
  RESERVE_SHARE,
  type AdmitError,
  type AdmitRequest,
  type AdmitResult,
  type CheckResult,
  type ConnectionSlot,
  type LeaseResult,
  type LimitStatus,
  type SubscriptionState,
  type TakeResult,
  type WindowLimit,
} from './types.ts';

interface Counter {
  windowStart: number;
  /** The true count of the window, in memory: every answer is computed from it. */
  count: number;
  /** What SQLite holds for this window (0 while its row is another window's): never below `count` once a call is answered. */
  persisted: number;
  /**
   * How often the object restarted in this window (0 for a window it opened). Each restart may
   * refuse what the last ceiling reserved above the true count, so each halves the slack the window
   * may reserve from then on: over any number of restarts a window refuses less than twice its first
   * slack that had quota (1 + 1/2 + 1/4 + …), and its object is not written through for the rest of
   * the window, which for a day's quota was every call of the day after one eviction.
   */
  restarts: number;
}

/** Restarts after which a window reserves nothing (2^40 is above any slack, bytes included): a bound for the stored count. */
const MAX_RESTARTS = 40;

/** SQLite work as Durable Objects bill it: rows read and rows written, as each cursor reports them. */
export interface SqlBilling {
  rowsRead: number;
  rowsWritten: number;
  statements: number;
}

/**
 * Every counter object of this isolate together (and how many started here). Locally all of a
 * namespace's objects share one isolate, so this is the whole Traffic Manager's SQLite bill: the
 * bench reads it through `billing()` on any object. Deployed, it is one isolate's share only.
 */
const isolateBilling: SqlBilling & { objectsStarted: number } = { rowsRead: 0, rowsWritten: 0, statements: 0, objectsStarted: 0 };

/**
 * One object per counter key. It is the single authority for its counts and for the live state it
 * guards (status, revocation watermarks, revoked credential ids), so a change made by the control
 * plane bites on the very next request, and a count is exact: the object runs one call at a time
 * and `admit` checks and increments with no await in between.
 *
 * Counts are kept in memory; SQLite holds a durable ceiling of each (decision 0058): a call that
 * takes the count above what is stored writes `count + slack` (at most the limit) in the same turn,
 * so the write is confirmed before the response leaves (output gate), and the calls after it write
 * nothing until the count passes that ceiling. An object that restarts resumes from the ceiling: it
 * never admits more than the limit, and refuses at most the slack (1 % of a large limit, nothing of
 * a limit below 100) that had quota. Each restart in a window halves the slack it reserves from then
 * on, so however often its object restarts, a window refuses less than twice its first slack.
 */
export class ThrottleCounter extends DurableObject<Env> {
  #state: SubscriptionState | null = null;
  /** Why the control plane removed this object: a subscription gone, or its whole application (the credential is dead). */
  #deleted: false | 'subscription' | 'application' = false;
  #validAfter: Record<KeyType, number> = { PRODUCTION: 0, SANDBOX: 0 };
  #revoked = new Map<string, number>();
  #counters = new Map<string, Counter>();
  /** While `admitMany` runs: the counters it changed (and the limit each was counted under), settled once when it ends. */
  #deferred: Map<string, { counter: Counter; limit: WindowLimit }> | null = null;
  /**
   * Open long-lived connections (id → held until, ms), renewed by `checkConnection`. In memory only: an
   * object kept busy by its connections' renewals is not evicted, and one that restarts forgets
   * them, admitting at most one `max` more until they close (decision 0042).
   */
  #connections = new Map<string, number>();
  /** This object's SQLite rows since it started (`billing()`). */
  #billing: SqlBilling = { rowsRead: 0, rowsWritten: 0, statements: 0 };

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    isolateBilling.objectsStarted += 1;
    const sql = (query: string) => this.#sql<Record<string, string | number>>(query);
    sql(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    sql(
      `CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL, restarts INTEGER NOT NULL DEFAULT 0)`,
    );
    sql(`CREATE TABLE IF NOT EXISTS revoked (id TEXT PRIMARY KEY, expires_at INTEGER NOT NULL)`);
    for (const row of this.#sql<{ key: string; value: string }>(`SELECT key, value FROM meta`)) {
      if (row.key === 'state') this.#state = JSON.parse(row.value) as SubscriptionState;
      if (row.key === 'deleted')
        this.#deleted = row.value === 'application' ? 'application' : row.value === 'true' ? 'subscription' : false;
      if (row.key === 'validAfter') this.#validAfter = JSON.parse(row.value) as Record<KeyType, number>;
    }
    for (const row of this.#storedCounters()) {
      // A ceiling of the count that was lost with the old instance: resuming from it never over-admits.
      this.#counters.set(row.key, {
        windowStart: row.window_start,
        count: row.count,
        persisted: row.count,
        restarts: Math.min(MAX_RESTARTS, row.restarts + 1),
      });
    }
    for (const row of this.#sql<{ id: string; expires_at: number }>(`SELECT id, expires_at FROM revoked`)) {
      this.#revoked.set(row.id, row.expires_at);
    }
  }

  /** Gateway: may this request go through? Counts it only when it does. */
  admit(request: AdmitRequest, now: number = Date.now()): AdmitResult {
    const state = this.#state;
    const refused = this.#check(request, now);
    if (refused !== null || state === null) return { ok: false, error: refused ?? { kind: 'unknown-subscription' } };
    const taken = this.#take(state.limits, now);
    if (!taken.ok) return taken;
    return { ok: true, tier: state.tier, limits: taken.limits, windowStarts: taken.windowStarts };
  }

  /**
   * Gateway: several calls of one subscription at once (strict mode, coalesced by the isolate), each
   * decided on its own and in order, exactly as if they had come one by one.
   */
  admitMany(requests: readonly AdmitRequest[], now: number = Date.now()): AdmitResult[] {
    // Each counter is settled once for the batch rather than once per call: same turn, same output
    // gate, so the ceiling that covers what the gateway is told has been written before it is told.
    const dirty = new Map<string, { counter: Counter; limit: WindowLimit }>();
    this.#deferred = dirty;
    try {
      return requests.map((request) => this.admit(request, now));
    } finally {
      this.#deferred = null;
      for (const [key, { counter, limit }] of dirty) this.#settle(key, counter, limit);
    }
  }

  /**
   * Gateway, at a WebSocket or SSE handshake: may this credential open one more connection? Counts
   * no call (the frames are counted one by one with `admit`); holds a slot while the connection lives.
   */
  openConnection(request: AdmitRequest, slot: ConnectionSlot, now: number = Date.now()): CheckResult {
    const state = this.#state;
    const refused = this.#check(request, now);
    if (refused !== null || state === null) return { ok: false, error: refused ?? { kind: 'unknown-subscription' } };
    for (const [id, until] of this.#connections) if (until <= now) this.#connections.delete(id);
    if (slot.max !== null && this.#connections.size >= slot.max && !this.#connections.has(slot.id))
      return { ok: false, error: { kind: 'too-many-connections', limit: slot.max } };
    this.#connections.set(slot.id, now + slot.ttlMs);
    return { ok: true, tier: state.tier };
  }

  /** Gateway, for an open connection: is its credential still good (revocation, block, unsubscription)? Renews its slot. */
  checkConnection(request: AdmitRequest, slot: Pick<ConnectionSlot, 'id' | 'ttlMs'>, now: number = Date.now()): CheckResult {
    const state = this.#state;
    const refused = this.#check(request, now);
    if (refused !== null || state === null) {
      this.#connections.delete(slot.id);
      return { ok: false, error: refused ?? { kind: 'unknown-subscription' } };
    }
    this.#connections.set(slot.id, now + slot.ttlMs);
    return { ok: true, tier: state.tier };
  }

  /** Gateway: the connection ended; its slot is free. */
  closeConnection(id: string): void {
    this.#connections.delete(id);
  }

  /**
   * Gateway, for hot keys: reserves up to `want` calls at once, never more than LEASE_MAX_SHARE of
   * what remains in any window (at least one), so the sum of all leases never exceeds what remains
   * and the limit holds exactly. The holder spends the lease in memory for at most LEASE_MAX_MS,
   * checking each credential against the revocation state handed over with it, and gives back what
   * it did not spend with `release`.
   */
  lease(request: AdmitRequest, want: number, now: number = Date.now()): LeaseResult {
    const state = this.#state;
    const refused = this.#check(request, now);
    if (refused !== null || state === null) return { ok: false, error: refused ?? { kind: 'unknown-subscription' } };
    const windows = state.limits.map((limit) => this.#window(limit, now));
    let granted = Math.max(1, Math.floor(want));
    let expiresAt = now + LEASE_MAX_MS;
    for (const w of windows) {
      expiresAt = Math.min(expiresAt, w.counter.windowStart + w.limit.windowSeconds * 1000);
      if (w.limit.allowOverage === true) continue;
      const remaining = w.limit.limit - w.counter.count;
      granted = Math.min(granted, Math.max(1, Math.floor(remaining * LEASE_MAX_SHARE)), remaining);
    }
    if (granted <= 0) {
      const taken = this.#take(state.limits, now);
      if (!taken.ok) return taken;
      throw new Error('unreachable: a window with nothing remaining admitted a call');
    }
    for (const w of windows) {
      w.counter.count += granted;
      this.#settle(w.key, w.counter, w.limit);
    }
    const revoked = [...this.#revoked].filter(([, until]) => until > now).map(([id]) => id);
    return {
      ok: true,
      lease: {
        granted,
        limits: windows.map((w) => status(w.limit, w.counter.count, w.resetSeconds)),
        windowStarts: windows.map((w) => w.counter.windowStart),
        tier: state.tier,
        expiresAt,
        validAfter: this.#validAfter,
        revoked,
      },
    };
  }

  /** Gateway: the unspent part of a lease, given back while its windows are still current. */
  release(windowStarts: readonly number[], unused: number, now: number = Date.now()): void {
    if (this.#state === null || unused <= 0) return;
    this.#state.limits.forEach((limit, i) => {
      if (limit.unit === 'bytes') return;
      const w = this.#window(limit, now);
      if (w.counter.windowStart === windowStarts[i]) {
        w.counter.count = Math.max(0, w.counter.count - unused);
        this.#settle(w.key, w.counter, w.limit);
      }
    });
  }

  #check(request: AdmitRequest, now: number): AdmitError | null {
    const state = this.#state;
    // An application's credentials die with it: revoked (401), not unsubscribed (403).
    if (this.#deleted === 'application') return { kind: 'revoked' };
    if (state === null || this.#deleted !== false) return { kind: 'unknown-subscription' };
    if (request.issuedAt < this.#validAfter[request.keyType]) return { kind: 'revoked' };
    for (const id of request.grantId === undefined ? [request.credentialId] : [request.credentialId, request.grantId]) {
      const revokedUntil = this.#revoked.get(id);
      if (revokedUntil !== undefined && revokedUntil > now) return { kind: 'revoked' };
    }
    if (state.status === 'BLOCKED' || state.status === 'ON_HOLD' || state.status === 'REJECTED')
      return { kind: 'blocked', status: state.status };
    if (state.status === 'PROD_ONLY_BLOCKED' && request.keyType === 'PRODUCTION') return { kind: 'blocked', status: state.status };
    return null;
  }

  /** Gateway: gives back what `admit` counted when another limit of the same call refused it. */
  refundAdmit(windowStarts: readonly number[], now: number = Date.now()): void {
    if (this.#state !== null) this.refund(this.#state.limits, windowStarts, now);
  }

  /**
   * Gateway: counts one call against limits it brings (application tier, API or resource policy),
   * for objects that guard no subscription. All windows or none.
   */
  take(limits: readonly WindowLimit[], now: number = Date.now(), cost: number = 1): TakeResult {
    return this.#take(limits, now, cost);
  }

  /**
   * Gateway: gives back what `take` or `admit` counted when another limit of the same call refused
   * it, so a refused call consumes nothing. Only while the window it was taken in is still current.
   */
  refund(limits: readonly WindowLimit[], windowStarts: readonly number[], now: number = Date.now(), cost: number = 1): void {
    limits.forEach((limit, i) => {
      if (limit.unit === 'bytes') return;
      const w = this.#window(limit, now);
      if (w.counter.windowStart === windowStarts[i] && w.counter.count > 0) {
        w.counter.count = Math.max(0, w.counter.count - weight(limit, cost));
        this.#settle(w.key, w.counter, w.limit);
      }
    });
  }

  #take(limits: readonly WindowLimit[], now: number, cost = 1): TakeResult {
    // A limit that cannot be counted is a caller's bug: refuse loudly rather than count nonsense.
    for (const l of limits)
      if (!(Number.isInteger(l.limit) && l.limit >= 0 && Number.isInteger(l.windowSeconds) && l.windowSeconds > 0))
        throw new RangeError(`invalid limit ${l.policy}: ${l.limit} per ${l.windowSeconds}s`);
    if (!(Number.isInteger(cost) && cost >= 0)) throw new RangeError(`invalid cost ${cost}`);
    const windows = limits.map((limit) => this.#window(limit, now));
    // A quota that allows overage (stopOnQuotaReach off) counts every call but refuses none. A
    // points window admits a call only if its whole cost fits (for a cost of 1: count < limit).
    // (A bytes window is asked for one more byte: admitted while not used up.)
    const violated = windows.filter(
      (w) => w.counter.count + (w.limit.unit === 'bytes' ? 1 : weight(w.limit, cost)) > w.limit.limit && w.limit.allowOverage !== true,
    );
    if (violated.length > 0) {
      return {
        ok: false,
        error: {
          kind: 'throttled',
          violated: violated.map((w) => status(w.limit, w.counter.count, w.resetSeconds)),
          limits: windows.map((w) => status(w.limit, w.counter.count, w.resetSeconds)),
          retryAfterSeconds: Math.max(...violated.map((w) => w.resetSeconds)),
        },
      };
    }
    // Bandwidth windows admit while not used up; the bytes are added once the response is known.
    for (const w of windows) {
      if (w.limit.unit === 'bytes') continue;
      w.counter.count += weight(w.limit, cost);
      this.#settle(w.key, w.counter, w.limit);
    }
    return {
      ok: true,
      limits: windows.map((w) => status(w.limit, w.counter.count, w.resetSeconds)),
      windowStarts: windows.map((w) => w.counter.windowStart),
    };
  }

  /**
   * Gateway, after a call's response: adds its bytes to the bandwidth windows among `limits` (or,
   * without `limits`, among the subscription's own), in the window they fall in now.
   */
  addBytes(bytes: number, limits: readonly WindowLimit[] | null = null, now: number = Date.now()): void {
    if (!(Number.isInteger(bytes) && bytes > 0)) return;
    for (const limit of limits ?? this.#state?.limits ?? []) {
      if (limit.unit !== 'bytes') continue;
      const w = this.#window(limit, now);
      w.counter.count += bytes;
      this.#settle(w.key, w.counter, w.limit);
    }
  }

  /**
   * Keeps the stored row a ceiling of the count (decision 0058). Written when the count has risen
   * above what is stored (then to `count + slack`, at most the limit), or when refunds and releases
   * have left what is stored more than twice the slack above the count (so a restart refuses at most
   * that much that had quota); otherwise nothing is written. Called in the turn that answers, so the
   * output gate holds the answer until its ceiling is durable.
   */
  #settle(key: string, counter: Counter, limit: WindowLimit): void {
    if (this.#deferred !== null) {
      this.#deferred.set(key, { counter, limit });
      return;
    }
    const slack = Math.floor(reserveSlack(limit) / 2 ** counter.restarts);
    if (counter.count <= counter.persisted && counter.persisted - counter.count <= 2 * slack) return;
    const ceiling = durableCeiling(limit, counter.count, slack);
    this.#sql(
      `INSERT INTO counters (key, window_start, count, restarts) VALUES (?, ?, ?, ?) ON CONFLICT(key) DO UPDATE SET window_start = excluded.window_start, count = excluded.count, restarts = excluded.restarts`,
      key,
      counter.windowStart,
      ceiling,
      counter.restarts,
    );
    counter.persisted = ceiling;
  }

  /** Control plane: the subscription's current status and tier. Counts carry over a tier change. */
  async configure(state: SubscriptionState): Promise<void> {
    this.#state = state;
    this.#deleted = false;
    this.#putMeta('state', JSON.stringify(state));
    this.#putMeta('deleted', 'false');
    // A tier change can shrink the slack: bring the stored ceilings within the new limits' bound.
    const now = Date.now();
    for (const limit of state.limits) {
      const w = this.#window(limit, now);
      this.#settle(w.key, w.counter, w.limit);
    }
    this.revokeIssuedBefore('PRODUCTION', state.validAfter.PRODUCTION);
    this.revokeIssuedBefore('SANDBOX', state.validAfter.SANDBOX);
    for (const { id, expiresAt } of state.revokedCredentials) {
      this.#revoked.set(id, expiresAt);
      this.#sql(`INSERT OR REPLACE INTO revoked (id, expires_at) VALUES (?, ?)`, id, expiresAt);
    }
    await this.#scheduleCleanup();
  }

  /**
   * Control plane: the subscription is gone (refuse everything as unsubscribed), or its whole
   * application is (refuse everything as revoked: the application's own `app:` object is removed
   * this way too, so the gateway can tell a deleted application from a missing subscription).
   */
  remove(reason: 'subscription' | 'application' = 'subscription'): void {
    this.#deleted = reason;
    this.#putMeta('deleted', reason === 'application' ? 'application' : 'true');
  }

  /** Control plane: refuse every credential of this key type issued before `instant` (ms). */
  revokeIssuedBefore(keyType: KeyType, instant: number): void {
    this.#validAfter = { ...this.#validAfter, [keyType]: Math.max(this.#validAfter[keyType], instant) };
    this.#putMeta('validAfter', JSON.stringify(this.#validAfter));
  }

  /** Control plane: refuse one credential until `expiresAt` (ms), when it would have expired anyway. */
  async revokeCredential(credentialId: string, expiresAt: number): Promise<void> {
    this.#revoked.set(credentialId, expiresAt);
    this.#sql(`INSERT OR REPLACE INTO revoked (id, expires_at) VALUES (?, ?)`, credentialId, expiresAt);
    await this.#scheduleCleanup();
  }

  /**
   * What the object currently holds, for the control plane's views and for tests: the true counts
   * of its subscription's windows, or of `limits` for an object that guards none (a shared counter).
   */
  inspect(
    now: number = Date.now(),
    limits: readonly WindowLimit[] | null = null,
  ): {
    state: SubscriptionState | null;
    deleted: boolean;
    limits: LimitStatus[];
    revoked: number;
    connections: number;
  } {
    const counted = (limits ?? this.#state?.limits ?? []).map((limit) => {
      const w = this.#window(limit, now);
      return status(limit, w.counter.count, w.resetSeconds);
    });
    const connections = [...this.#connections.values()].filter((until) => until > now).length;
    return { state: this.#state, deleted: this.#deleted !== false, limits: counted, revoked: this.#revoked.size, connections };
  }

  /** Drops expired revocations and counters of windows that have ended. */
  override async alarm(): Promise<void> {
    const now = Date.now();
    for (const [id, expiresAt] of this.#revoked) if (expiresAt <= now) this.#revoked.delete(id);
    this.#sql(`DELETE FROM revoked WHERE expires_at <= ?`, now);
    const longest = Math.max(0, ...(this.#state?.limits ?? []).map((l) => l.windowSeconds));
    for (const [key, counter] of this.#counters) {
      if (counter.windowStart + longest * 1000 < now) {
        this.#counters.delete(key);
        this.#sql(`DELETE FROM counters WHERE key = ?`, key);
      }
    }
    await this.#scheduleCleanup();
  }

  #window(limit: WindowLimit, now: number): { key: string; limit: WindowLimit; counter: Counter; resetSeconds: number } {
    // Keyed by scope, window length and unit, not by policy name: a tier change keeps what was used.
    const key = `${limit.scope}:${limit.windowSeconds}${limit.unit === undefined ? '' : `:${limit.unit}`}`;
    const windowMs = limit.windowSeconds * 1000;
    const windowStart = Math.floor(now / windowMs) * windowMs;
    let counter = this.#counters.get(key);
    if (counter === undefined || counter.windowStart !== windowStart) {
      // A new window: its stored row (if any) is an older window's, which reads back as 0 here.
      counter = { windowStart, count: 0, persisted: 0, restarts: 0 };
      this.#counters.set(key, counter);
    }
    return { key, limit, counter, resetSeconds: Math.max(1, Math.ceil((windowStart + windowMs - now) / 1000)) };
  }

  /**
   * The stored ceilings. An object whose table predates the restart count (decision 0058's first
   * form) gains the column, its rows counted as restarted often enough to reserve nothing: what they
   * did before, written through.
   */
  #storedCounters(): Array<{ key: string; window_start: number; count: number; restarts: number }> {
    const query = `SELECT key, window_start, count, restarts FROM counters`;
    try {
      return this.#sql(query);
    } catch (err) {
      if (!/no such column: restarts/.test(String(err))) throw err;
      this.#sql(`ALTER TABLE counters ADD COLUMN restarts INTEGER NOT NULL DEFAULT ${MAX_RESTARTS}`);
      return this.#sql(query);
    }
  }

  /** Every statement goes through here, so the rows it reads and writes are counted as billed. */
  #sql<T extends Record<string, SqlStorageValue>>(query: string, ...bindings: SqlStorageValue[]): T[] {
    const cursor = this.ctx.storage.sql.exec<T>(query, ...bindings);
    // The counts grow as the cursor is read: read it to the end first.
    const rows = cursor.toArray();
    for (const b of [this.#billing, isolateBilling]) {
      b.rowsRead += cursor.rowsRead;
      b.rowsWritten += cursor.rowsWritten;
      b.statements += 1;
    }
    return rows;
  }

  /** The SQLite rows this object and this isolate's objects have read and written (bench metering). */
  billing(): { object: SqlBilling; isolate: SqlBilling & { objectsStarted: number } } {
    return { object: { ...this.#billing }, isolate: { ...isolateBilling } };
  }

  #putMeta(key: string, value: string): void {
    this.#sql(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`, key, value);
  }

  async #scheduleCleanup(): Promise<void> {
    if ((await this.ctx.storage.getAlarm()) === null) await this.ctx.storage.setAlarm(Date.now() + 3_600_000);
  }
}

function status(limit: WindowLimit, count: number, resetSeconds: number): LimitStatus {
  return {
    policy: limit.policy,
    scope: limit.scope,
    limit: limit.limit,
    windowSeconds: limit.windowSeconds,
    remaining: Math.max(0, limit.limit - count),
    resetSeconds,
    ...(limit.unit === undefined ? {} : { unit: limit.unit }),
  };
}

/**
 * How far above the count a window's stored ceiling may run (decision 0058): 1 % of the limit in the
 * window's unit, at most `RESERVE_MAX_CALLS` for a request window; 0 below a limit of 100.
 */
export function reserveSlack(limit: WindowLimit): number {
  const share = Math.floor(limit.limit * RESERVE_SHARE);
  return limit.unit === undefined ? Math.min(share, RESERVE_MAX_CALLS) : share;
}

/**
 * The ceiling written for `count`: `count + slack`, but no higher than the limit (a reservation past
 * it could only refuse calls that had quota), and never below the count itself (a bytes window's
 * last call crosses the line; a quota allowing overage counts past it, with nothing to cap).
 */
function durableCeiling(limit: WindowLimit, count: number, slack: number): number {
  const cap = limit.allowOverage === true ? Number.POSITIVE_INFINITY : limit.limit;
  return Math.max(count, Math.min(cap, count + slack));
}

/** What one call adds to a window: its cost in a points window, one request in any other. */
function weight(limit: WindowLimit, cost: number): number {
  return limit.unit === 'points' ? cost : 1;
}
