import { counterNamespace } from './binding.ts';
import { env, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { reserveSlack, type ThrottleCounter } from './counter.ts';
import { subscriptionObjectName, type AdmitRequest, type SubscriptionState, type WindowLimit } from './types.ts';

let seq = 0;
function fresh(limits: WindowLimit[], overrides: Partial<SubscriptionState> = {}) {
  seq++;
  const applicationId = `app_t${seq}${Math.random().toString(36).slice(2, 8)}`;
  const state: SubscriptionState = {
    subscriptionId: `sub_${seq}`,
    applicationId,
    apiId: 'api_test',
    status: 'UNBLOCKED',
    tier: limits[0]?.policy ?? 'Unlimited',
    limits,
    validAfter: { PRODUCTION: 0, SANDBOX: 0 },
    revokedCredentials: [],
    ...overrides,
  };
  return { stub: counterNamespace(env).getByName(subscriptionObjectName(applicationId, 'api_test')), state };
}

const call = (jti = 'jti-1', keyType: AdmitRequest['keyType'] = 'PRODUCTION', issuedAt = Date.now()): AdmitRequest => ({
  keyType,
  credentialId: jti,
  issuedAt,
});
const perMinute = (limit: number, policy = 'Tier'): WindowLimit => ({ policy, scope: 'subscription', limit, windowSeconds: 60 });

describe('ThrottleCounter', () => {
  it('refuses a subscription it was never told about (fails closed)', async () => {
    const { stub } = fresh([]);
    expect(await stub.admit(call())).toEqual({ ok: false, error: { kind: 'unknown-subscription' } });
  });

  it('reports the SQLite rows it writes as billed: one counter upsert when a call, a batch or a lease passes the stored ceiling, none below it', async () => {
    const { stub, state } = fresh([perMinute(1000)]);
    await stub.configure(state);
    const before = (await stub.billing()).object;
    await stub.admit(call());
    const afterOne = (await stub.billing()).object;
    // The window's first call inserts the counter row, at the ceiling 1 + 10 (SQLite reports its
    // key's index as well); every later write updates that one row.
    expect(afterOne.rowsWritten - before.rowsWritten).toBeGreaterThanOrEqual(1);
    expect(afterOne.statements - before.statements).toBe(1);
    const upsert = 1;
    // 4 ≤ 11: a batch below the ceiling writes nothing.
    await stub.admitMany([call(), call(), call()]);
    const afterBatch = (await stub.billing()).object;
    expect(afterBatch.rowsWritten - afterOne.rowsWritten).toBe(0);
    // 54 > 11: a lease past it writes once.
    await stub.lease(call(), 50);
    const afterLease = await stub.billing();
    expect(afterLease.object.rowsWritten - afterBatch.rowsWritten).toBe(upsert);
    // The isolate's totals include this object's.
    expect(afterLease.isolate.rowsWritten).toBeGreaterThanOrEqual(afterLease.object.rowsWritten);
    expect(afterLease.isolate.objectsStarted).toBeGreaterThanOrEqual(1);
  });

  it('counts the rows it reads when it starts again from storage', async () => {
    const { stub, state } = fresh([perMinute(1000)]);
    await stub.configure(state);
    await stub.admit(call());
    await evictDurableObject(stub);
    const restarted = (await stub.billing()).object;
    // meta (state, deleted, validAfter) and the one counter, read back by the constructor.
    expect(restarted.rowsRead).toBeGreaterThanOrEqual(4);
  });

  it('counts down request by request and refuses the N+1th', async () => {
    const { stub, state } = fresh([perMinute(3)]);
    await stub.configure(state);
    const remaining: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await stub.admit(call());
      if (!r.ok) throw new Error('expected admission');
      remaining.push(r.limits[0]?.remaining ?? -1);
    }
    expect(remaining).toEqual([2, 1, 0]);
    const over = await stub.admit(call());
    expect(over.ok).toBe(false);
    if (over.ok || over.error.kind !== 'throttled') throw new Error('expected throttled');
    expect(over.error.violated.map((v) => v.policy)).toEqual(['Tier']);
    expect(over.error.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(over.error.retryAfterSeconds).toBeLessThanOrEqual(60);
  });

  it('admits exactly N of N+k concurrent calls, for many keys at once', async () => {
    const subjects = Array.from({ length: 8 }, () => fresh([perMinute(25)]));
    await Promise.all(subjects.map(({ stub, state }) => stub.configure(state)));
    const results = await Promise.all(subjects.map(({ stub }) => Promise.all(Array.from({ length: 60 }, () => stub.admit(call())))));
    for (const perKey of results) expect(perKey.filter((r) => r.ok).length).toBe(25);
  });

  it('starts a new window when the old one ends', async () => {
    const { stub, state } = fresh([{ policy: 'T', scope: 'subscription', limit: 1, windowSeconds: 1 }]);
    await stub.configure(state);
    const base = Math.floor(Date.now() / 1000) * 1000 + 5_000;
    await runInDurableObject(stub, (instance: ThrottleCounter) => {
      expect(instance.admit(call(), base).ok).toBe(true);
      expect(instance.admit(call(), base + 500).ok).toBe(false);
      expect(instance.admit(call(), base + 1000).ok).toBe(true);
    });
  });

  it('enforces every window at once and reports them all (burst inside a longer quota)', async () => {
    const { stub, state } = fresh([perMinute(100, 'Gold'), { policy: 'Gold', scope: 'burst', limit: 2, windowSeconds: 1 }]);
    await stub.configure(state);
    const base = Math.floor(Date.now() / 1000) * 1000 + 7_000;
    await runInDurableObject(stub, (instance: ThrottleCounter) => {
      const first = instance.admit(call(), base);
      expect(first.ok && first.limits.map((l) => [l.scope, l.remaining])).toEqual([
        ['subscription', 99],
        ['burst', 1],
      ]);
      expect(instance.admit(call(), base).ok).toBe(true);
      const third = instance.admit(call(), base);
      expect(!third.ok && third.error.kind === 'throttled' && third.error.violated.map((v) => v.scope)).toEqual(['burst']);
    });
  });

  it('keeps what was used across a tier change', async () => {
    const { stub, state } = fresh([perMinute(3, 'Bronze')]);
    await stub.configure(state);
    const base = Math.floor(Date.now() / 60_000) * 60_000 + 1_000;
    await runInDurableObject(stub, (instance: ThrottleCounter) => {
      instance.admit(call(), base);
      instance.admit(call(), base);
    });
    await stub.configure({ ...state, tier: 'Silver', limits: [perMinute(4, 'Silver')] });
    await runInDurableObject(stub, (instance: ThrottleCounter) => {
      const r = instance.admit(call(), base + 10);
      expect(r.ok && r.limits[0]?.remaining).toBe(1);
    });
  });

  it('refuses blocked subscriptions; PROD_ONLY_BLOCKED lets sandbox through', async () => {
    const { stub, state } = fresh([]);
    await stub.configure({ ...state, status: 'BLOCKED' });
    expect(await stub.admit(call())).toEqual({ ok: false, error: { kind: 'blocked', status: 'BLOCKED' } });
    await stub.configure({ ...state, status: 'PROD_ONLY_BLOCKED' });
    expect((await stub.admit(call('j', 'PRODUCTION'))).ok).toBe(false);
    expect((await stub.admit(call('j', 'SANDBOX'))).ok).toBe(true);
    await stub.configure({ ...state, status: 'ON_HOLD' });
    expect(await stub.admit(call())).toEqual({ ok: false, error: { kind: 'blocked', status: 'ON_HOLD' } });
  });

  it('refuses a revoked credential and credentials issued before a watermark, and nothing else', async () => {
    const { stub, state } = fresh([]);
    await stub.configure(state);
    await stub.revokeCredential('bad', Date.now() + 60_000);
    expect(await stub.admit(call('bad'))).toEqual({ ok: false, error: { kind: 'revoked' } });
    expect((await stub.admit(call('good'))).ok).toBe(true);
    const cut = Date.now();
    await stub.revokeIssuedBefore('PRODUCTION', cut);
    expect((await stub.admit(call('old', 'PRODUCTION', cut - 1))).ok).toBe(false);
    expect((await stub.admit(call('old', 'SANDBOX', cut - 1))).ok).toBe(true);
    expect((await stub.admit(call('new', 'PRODUCTION', cut))).ok).toBe(true);
  });

  it('inherits application-wide revocations when configured', async () => {
    const { stub, state } = fresh([], {
      validAfter: { PRODUCTION: 1_000, SANDBOX: 0 },
      revokedCredentials: [{ id: 'gone', expiresAt: Date.now() + 60_000 }],
    });
    await stub.configure(state);
    expect((await stub.admit(call('gone'))).ok).toBe(false);
    expect((await stub.admit(call('x', 'PRODUCTION', 999))).ok).toBe(false);
    expect((await stub.admit(call('x', 'PRODUCTION', 1_000))).ok).toBe(true);
  });

  it('refuses everything once removed, until configured again', async () => {
    const { stub, state } = fresh([]);
    await stub.configure(state);
    await stub.remove();
    expect(await stub.admit(call())).toEqual({ ok: false, error: { kind: 'unknown-subscription' } });
    await stub.configure(state);
    expect((await stub.admit(call())).ok).toBe(true);
  });

  it('keeps counts and state across an eviction of the object', async () => {
    const { stub, state } = fresh([perMinute(2)]);
    await stub.configure({ ...state, status: 'PROD_ONLY_BLOCKED' });
    await stub.admit(call('a', 'SANDBOX'));
    await stub.revokeCredential('r', Date.now() + 60_000);
    await evictDurableObject(stub);
    // A new instance reads everything back from its SQLite storage.
    const after = await stub.inspect();
    expect(after.state?.status).toBe('PROD_ONLY_BLOCKED');
    expect(after.limits[0]?.remaining).toBe(1);
    expect(after.revoked).toBe(1);
    expect(await stub.admit(call('r', 'SANDBOX'))).toEqual({ ok: false, error: { kind: 'revoked' } });
  });

  it('decides a batch call by call and keeps its counts across an eviction (its writes deferred to the end of the batch)', async () => {
    const { stub, state } = fresh([perMinute(3), { policy: 'Hourly', scope: 'subscription', limit: 10, windowSeconds: 3600 }]);
    await stub.configure(state);
    const results = await stub.admitMany([call('a'), call('b'), call('c'), call('d')]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(results.map((r) => (r.ok ? r.limits[0]?.remaining : -1))).toEqual([2, 1, 0, -1]);
    await evictDurableObject(stub);
    const after = await stub.inspect();
    expect(after.limits.map((l) => l.remaining)).toEqual([0, 7]);
    expect((await stub.admit(call('e'))).ok).toBe(false);
  });

  it('cleans expired revocations in its alarm', async () => {
    const { stub, state } = fresh([]);
    await stub.configure(state);
    await stub.revokeCredential('short', Date.now() + 1);
    await stub.revokeCredential('long', Date.now() + 3_600_000);
    await new Promise((r) => setTimeout(r, 5));
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.inspect()).revoked).toBe(1);
  });
});

describe('ThrottleCounter leases', () => {
  it('never grants more than a share of what remains, and never more than remains in total', async () => {
    const { stub, state } = fresh([perMinute(1000)]);
    await stub.configure(state);
    const first = await stub.lease(call(), 500);
    expect(first.ok && first.lease.granted).toBe(100);
    // Many isolates leasing at once: what is granted never adds up to more than the limit.
    const grants = await Promise.all(Array.from({ length: 200 }, () => stub.lease(call(), 1000)));
    const total = 100 + grants.reduce((n, g) => n + (g.ok ? g.lease.granted : 0), 0);
    expect(total).toBe(1000);
    expect(grants.some((g) => !g.ok && g.error.kind === 'throttled')).toBe(true);
  });

  it('takes back what a lease did not spend', async () => {
    const { stub, state } = fresh([perMinute(1000)]);
    await stub.configure(state);
    const got = await stub.lease(call(), 50);
    if (!got.ok) throw new Error('expected a lease');
    expect(got.lease.limits[0]?.remaining).toBe(950);
    await stub.release(got.lease.windowStarts, 20);
    expect((await stub.inspect()).limits[0]?.remaining).toBe(970);
  });

  it('checks revocation and status before leasing, and hands the revocation state over', async () => {
    const { stub, state } = fresh([perMinute(1000)]);
    await stub.configure(state);
    await stub.revokeCredential('gone', Date.now() + 60_000);
    expect(await stub.lease(call('gone'), 10)).toEqual({ ok: false, error: { kind: 'revoked' } });
    const got = await stub.lease(call('fine'), 10);
    expect(got.ok && got.lease.revoked).toEqual(['gone']);
    expect(got.ok && got.lease.expiresAt - Date.now()).toBeLessThanOrEqual(1000);
    await stub.configure({ ...state, status: 'BLOCKED' });
    expect((await stub.lease(call('fine'), 10)).ok).toBe(false);
  });

  it('keeps a byte window apart from a request window of the same length: admits while bytes are left, never refunds bytes', async () => {
    const bytes: WindowLimit = { policy: 'Bw', scope: 'subscription', limit: 100, windowSeconds: 60, unit: 'bytes' };
    const { stub, state } = fresh([perMinute(5), bytes]);
    await stub.configure(state);
    const first = await stub.admit(call());
    if (!first.ok) throw new Error('expected admission');
    expect(first.limits.map((l) => l.remaining)).toEqual([4, 100]);
    await stub.addBytes(70);
    await stub.refundAdmit(first.windowStarts);
    expect((await stub.inspect()).limits.map((l) => l.remaining)).toEqual([5, 30]);
    await stub.addBytes(40);
    const over = await stub.admit(call());
    if (over.ok || over.error.kind !== 'throttled') throw new Error('expected throttled');
    expect(over.error.violated).toEqual([expect.objectContaining({ policy: 'Bw', unit: 'bytes', remaining: 0 })]);
    // Nonsense byte counts change nothing.
    await stub.addBytes(-5);
    await stub.addBytes(1.5);
    expect((await stub.inspect()).limits.map((l) => l.remaining)).toEqual([5, 0]);
  });

  it('answers revoked, not unsubscribed, once removed with its application, and keeps saying so across an eviction', async () => {
    const { stub, state } = fresh([perMinute(5)]);
    await stub.configure(state);
    await stub.remove('application');
    expect(await stub.admit(call())).toEqual({ ok: false, error: { kind: 'revoked' } });
    expect(await stub.lease(call(), 10)).toEqual({ ok: false, error: { kind: 'revoked' } });
    await evictDurableObject(stub);
    expect(await stub.admit(call())).toEqual({ ok: false, error: { kind: 'revoked' } });
    // An object that never guarded a subscription (the application's own) says the same.
    const appObject = counterNamespace(env).getByName(`app:${state.applicationId}`);
    expect(await appObject.admit(call())).toEqual({ ok: false, error: { kind: 'unknown-subscription' } });
    await appObject.remove('application');
    expect(await appObject.admit(call())).toEqual({ ok: false, error: { kind: 'revoked' } });
  });

  it('lets a quota that allows overage (stopOnQuotaReach off) count past its limit, showing nothing remaining, while its burst window still refuses', async () => {
    const quota: WindowLimit = { ...perMinute(2, 'Billed'), allowOverage: true };
    const burst: WindowLimit = { policy: 'Billed', scope: 'burst', limit: 4, windowSeconds: 60 };
    const { stub, state } = fresh([quota, burst]);
    await stub.configure(state);
    const results = [];
    for (let i = 0; i < 5; i++) results.push(await stub.admit(call()));
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, false]);
    const third = results[2];
    if (third?.ok !== true) throw new Error('expected the third call to pass as overage');
    expect(third.limits[0]).toMatchObject({ policy: 'Billed', limit: 2, remaining: 0 });
    const refused = results[4];
    if (refused?.ok !== false || refused.error.kind !== 'throttled') throw new Error('expected the burst window to refuse');
    expect(refused.error.violated.map((v) => v.scope)).toEqual(['burst']);
    expect((await stub.inspect()).limits[0]).toMatchObject({ remaining: 0 });
    // Without overage the same quota refuses the third call.
    const strict = fresh([perMinute(2, 'Strict')]);
    await strict.stub.configure(strict.state);
    const strictResults = [];
    for (let i = 0; i < 3; i++) strictResults.push((await strict.stub.admit(call())).ok);
    expect(strictResults).toEqual([true, true, false]);
  });

  it('leases on a quota that allows overage without refusing it', async () => {
    const { stub, state } = fresh([{ ...perMinute(1, 'Billed'), allowOverage: true }]);
    await stub.configure(state);
    await stub.admit(call());
    const leased = await stub.lease(call(), 5);
    expect(leased.ok).toBe(true);
    if (leased.ok) expect(leased.lease.granted).toBe(5);
  });

  it("counts a points window by each call's cost and admits a call only if its whole cost fits", async () => {
    const stub = counterNamespace(env).getByName(`gql:points-${Math.random().toString(36).slice(2)}`);
    const points: WindowLimit = { policy: 'graphql-points', scope: 'subscription', limit: 10, windowSeconds: 60, unit: 'points' };
    const requests: WindowLimit = { policy: 'Calls', scope: 'api', limit: 100, windowSeconds: 60 };
    const first = await stub.take([points, requests], undefined, 6);
    if (!first.ok) throw new Error('expected the first call (6 of 10 points) to pass');
    // The points window spent 6, the request window one call.
    expect(first.limits.map((l) => l.remaining)).toEqual([4, 99]);
    const tooDear = await stub.take([points, requests], undefined, 5);
    if (tooDear.ok) throw new Error('expected 5 more points to be refused with 4 left');
    expect(tooDear.error.violated.map((v) => v.policy)).toEqual(['graphql-points']);
    const fits = await stub.take([points, requests], undefined, 4);
    if (!fits.ok) throw new Error('expected 4 points to fit exactly');
    expect(fits.limits[0]).toMatchObject({ remaining: 0, unit: 'points' });
    // A refund gives the call's cost back to the points window and one call to the request window.
    await stub.refund([points, requests], fits.windowStarts, undefined, 4);
    const after = await stub.take([points, requests], undefined, 0);
    if (!after.ok) throw new Error('expected a free call to pass');
    expect(after.limits.map((l) => l.remaining)).toEqual([4, 98]);
  });

  it('admits exactly the calls whose costs fit when many arrive at once', async () => {
    const stub = counterNamespace(env).getByName(`gql:race-${Math.random().toString(36).slice(2)}`);
    const points: WindowLimit = { policy: 'graphql-points', scope: 'subscription', limit: 30, windowSeconds: 60, unit: 'points' };
    const results = await Promise.all(Array.from({ length: 20 }, () => stub.take([points], undefined, 4)));
    // 7 calls of 4 points fit in 30 (28); the eighth would need 32.
    expect(results.filter((r) => r.ok).length).toBe(7);
  });
});

describe('ThrottleCounter connection slots (WebSocket and SSE connections, decision 0042)', () => {
  it('holds at most max open connections per subscription, counting none of them as a call, and frees a slot on closeConnection', async () => {
    const { stub, state } = fresh([perMinute(5)]);
    await stub.configure(state);
    const slot = (id: string) => ({ id, max: 2, ttlMs: 60_000 });
    expect(await stub.openConnection(call(), slot('a'))).toEqual({ ok: true, tier: 'Tier' });
    expect(await stub.openConnection(call(), slot('b'))).toEqual({ ok: true, tier: 'Tier' });
    expect(await stub.openConnection(call(), slot('c'))).toEqual({ ok: false, error: { kind: 'too-many-connections', limit: 2 } });
    // A slot already held is held again, not counted twice.
    expect((await stub.openConnection(call(), slot('a'))).ok).toBe(true);
    await stub.closeConnection('a');
    expect((await stub.openConnection(call(), slot('c'))).ok).toBe(true);
    const seen = await stub.inspect();
    expect(seen.connections).toBe(2);
    expect(seen.limits[0]?.remaining).toBe(5);
  });

  it('gives back a slot nobody renewed within its ttl (the isolate that held it died)', async () => {
    const { stub, state } = fresh([]);
    await stub.configure(state);
    const now = Date.now();
    await runInDurableObject(stub, (object: ThrottleCounter) => {
      expect(object.openConnection(call(), { id: 'gone', max: 1, ttlMs: 1000 }, now).ok).toBe(true);
      expect(object.openConnection(call(), { id: 'next', max: 1, ttlMs: 1000 }, now + 500)).toEqual({
        ok: false,
        error: { kind: 'too-many-connections', limit: 1 },
      });
      // Renewed by a check, the slot would have lived on; not renewed, it ends.
      expect(object.openConnection(call(), { id: 'next', max: 1, ttlMs: 1000 }, now + 1001).ok).toBe(true);
    });
  });

  it('answers checkConnection with the live state: revoked after a revocation, blocked after a block, and frees the slot then', async () => {
    const { stub, state } = fresh([]);
    await stub.configure(state);
    expect((await stub.openConnection(call('jti-live'), { id: 's', max: 1, ttlMs: 60_000 })).ok).toBe(true);
    expect(await stub.checkConnection(call('jti-live'), { id: 's', ttlMs: 60_000 })).toEqual({ ok: true, tier: 'Unlimited' });
    await stub.revokeCredential('jti-live', Date.now() + 60_000);
    expect(await stub.checkConnection(call('jti-live'), { id: 's', ttlMs: 60_000 })).toEqual({ ok: false, error: { kind: 'revoked' } });
    expect((await stub.inspect()).connections).toBe(0);
    await stub.configure({ ...state, status: 'BLOCKED' });
    expect(await stub.checkConnection(call('jti-other'), { id: 't', ttlMs: 60_000 })).toEqual({
      ok: false,
      error: { kind: 'blocked', status: 'BLOCKED' },
    });
  });
});

describe('ThrottleCounter durable ceiling (decision 0058): what SQLite holds is never below the count', () => {
  /** The stored count of the subscription's per-minute window, as a restarted object would read it. */
  const stored = (stub: DurableObjectStub<ThrottleCounter>, key = 'subscription:60') =>
    runInDurableObject(
      stub,
      (_instance, state) =>
        state.storage.sql.exec<{ count: number }>(`SELECT count FROM counters WHERE key = ?`, key).toArray()[0]?.count ?? null,
    );
  /** Admits one call at a time until one is refused; how many went through. */
  const admitAll = (stub: DurableObjectStub<ThrottleCounter>, now: number) =>
    runInDurableObject(stub, (instance: ThrottleCounter) => {
      let admitted = 0;
      while (instance.admit(call(), now).ok) admitted++;
      return admitted;
    });
  const inThisMinute = () => Math.floor(Date.now() / 60_000) * 60_000 + 30_000;
  /** Admits `n` calls one at a time; how many SQLite statements they wrote. */
  const statementsFor = (stub: DurableObjectStub<ThrottleCounter>, n: number, now: number) =>
    runInDurableObject(stub, (instance: ThrottleCounter) => {
      const before = instance.billing().object.statements;
      for (let i = 0; i < n; i++) instance.admit(call(), now);
      return instance.billing().object.statements - before;
    });

  it('writes 3 counter rows for 25 sequential calls on a limit of 1,000 per minute (slack 10), 1 on a limit of 10,000, and answers the exact remaining every time', async () => {
    for (const [limit, rows] of [
      [1000, 3],
      [10_000, 1],
    ] as const) {
      const { stub, state } = fresh([perMinute(limit)]);
      await stub.configure(state);
      const now = inThisMinute();
      const { written, remaining } = await runInDurableObject(stub, (instance: ThrottleCounter) => {
        const before = instance.billing().object;
        const remaining: number[] = [];
        for (let i = 0; i < 25; i++) {
          const r = instance.admit(call(), now);
          remaining.push(r.ok ? (r.limits[0]?.remaining ?? -1) : -1);
        }
        return { written: instance.billing().object.statements - before.statements, remaining };
      });
      // Written through, it was 25 upserts. The ceilings for 1,000: 11 at the first call, 22 at the 12th, 33 at the 23rd.
      expect(written).toBe(rows);
      expect(remaining).toEqual(Array.from({ length: 25 }, (_, i) => limit - 1 - i));
      expect(await stored(stub)).toBe(limit === 1000 ? 33 : 101);
    }
  });

  it('never admits more than the limit across a restart mid-window, and after it refuses at most the slack that had quota', async () => {
    const limit = 1000;
    const slack = reserveSlack(perMinute(limit));
    expect(slack).toBe(10);
    for (const before of [1, 11, 12, 37, 995, 1000]) {
      const { stub, state } = fresh([perMinute(limit)]);
      await stub.configure(state);
      const now = inThisMinute();
      await runInDurableObject(stub, (instance: ThrottleCounter) => {
        for (let i = 0; i < before; i++) expect(instance.admit(call(), now).ok).toBe(true);
      });
      expect(await stored(stub)).toBeGreaterThanOrEqual(before);
      await evictDurableObject(stub);
      const after = await admitAll(stub, now);
      expect(before + after).toBeLessThanOrEqual(limit);
      expect(after).toBeGreaterThanOrEqual(limit - before - slack);
    }
  });

  it('refuses less than twice the slack that had quota in a window however often its object restarts, each restart halving the slack it reserves', async () => {
    const limit = 1000;
    const { stub, state } = fresh([perMinute(limit)]);
    await stub.configure(state);
    const now = inThisMinute();
    let admitted = 0;
    const admitSome = (n: number) =>
      runInDurableObject(stub, (instance: ThrottleCounter) => {
        const before = instance.billing().object.statements;
        for (let i = 0; i < n; i++) if (instance.admit(call(), now).ok) admitted++;
        return instance.billing().object.statements - before;
      });
    // 12 calls: the ceiling is 22 (10 calls that were never made, if the object stops now).
    await admitSome(12);
    expect(await stored(stub)).toBe(22);
    const writes: number[] = [];
    for (let restart = 0; restart < 5; restart++) {
      await evictDurableObject(stub);
      writes.push(await admitSome(5));
    }
    // Slack 5, 2, 1, then 0 from the fourth restart on: written through only then.
    expect(writes).toEqual([1, 2, 3, 5, 5]);
    await evictDurableObject(stub);
    await admitSome(limit);
    // Lost at each restart: 10 (the first ceiling), then 1, 1, 1 and 0 of the smaller ones.
    expect(admitted).toBe(limit - 13);
    expect(limit - admitted).toBeLessThan(2 * reserveSlack(perMinute(limit)));
  });

  it('reads a ceiling stored before the restart count as written through (decision 0058 first form), and never admits past it', async () => {
    const { stub, state } = fresh([perMinute(1000)]);
    await stub.configure(state);
    const now = inThisMinute();
    // The table as the first form of the ceiling made it, with a ceiling of 40 in this window.
    await runInDurableObject(stub, (_instance, s) => {
      s.storage.sql.exec(`DROP TABLE counters`);
      s.storage.sql.exec(`CREATE TABLE counters (key TEXT PRIMARY KEY, window_start INTEGER NOT NULL, count INTEGER NOT NULL)`);
      s.storage.sql.exec(`INSERT INTO counters VALUES ('subscription:60', ?, 40)`, Math.floor(now / 60_000) * 60_000);
    });
    await evictDurableObject(stub);
    const written = await statementsFor(stub, 3, now);
    expect(written).toBe(3);
    expect(await stored(stub)).toBe(43);
    expect((await stub.inspect(now)).limits[0]?.remaining).toBe(957);
  });

  it('writes every call of a limit below 100 (no slack) and admits exactly the limit across a restart', async () => {
    const { stub, state } = fresh([perMinute(50)]);
    expect(reserveSlack(perMinute(50))).toBe(0);
    expect(reserveSlack(perMinute(99))).toBe(0);
    await stub.configure(state);
    const now = inThisMinute();
    const written = await statementsFor(stub, 20, now);
    expect(written).toBe(20);
    expect(await stored(stub)).toBe(20);
    await evictDurableObject(stub);
    expect(await admitAll(stub, now)).toBe(30);
  });

  it('never admits more than a large limit to concurrent admit and admitMany calls, across a restart in the middle of them', async () => {
    const limit = 1000;
    const { stub, state } = fresh([perMinute(limit)]);
    await stub.configure(state);
    const now = inThisMinute();
    const burst = () =>
      Promise.all([
        ...Array.from({ length: 300 }, () => stub.admit(call(), now)),
        ...Array.from({ length: 10 }, () =>
          stub.admitMany(
            Array.from({ length: 30 }, () => call()),
            now,
          ),
        ),
      ]).then((results) => results.flat().filter((r) => r.ok).length);
    const first = await burst();
    expect(first).toBe(600);
    await evictDurableObject(stub);
    const second = await burst();
    expect(first + second).toBeLessThanOrEqual(limit);
    expect(first + second).toBeGreaterThanOrEqual(limit - reserveSlack(perMinute(limit)));
  });

  it('writes nothing for a refund while the stored ceiling stays within twice the slack of the count, and rewrites it past that', async () => {
    const { stub, state } = fresh([perMinute(1000)]);
    await stub.configure(state);
    const now = inThisMinute();
    const windowStarts = await runInDurableObject(stub, (instance: ThrottleCounter) => {
      let starts: readonly number[] = [];
      for (let i = 0; i < 30; i++) {
        const r = instance.admit(call(), now);
        if (r.ok) starts = r.windowStarts;
      }
      return starts;
    });
    expect(await stored(stub)).toBe(33);
    await runInDurableObject(stub, (instance: ThrottleCounter) => {
      for (let i = 0; i < 13; i++) instance.refundAdmit(windowStarts, now);
    });
    // Count 17, stored 33: 16 above it, within 2 × 10.
    expect(await stored(stub)).toBe(33);
    await runInDurableObject(stub, (instance: ThrottleCounter) => {
      instance.refundAdmit(windowStarts, now);
      instance.refundAdmit(windowStarts, now);
    });
    // Count 15, stored 33: 18 above. At 13 it is 20 (still no write); at 12, 21: rewritten to 12 + 10.
    expect(await stored(stub)).toBe(33);
    await runInDurableObject(stub, (instance: ThrottleCounter) => {
      instance.refundAdmit(windowStarts, now);
      instance.refundAdmit(windowStarts, now);
    });
    expect(await stored(stub)).toBe(33);
    await runInDurableObject(stub, (instance: ThrottleCounter) => instance.refundAdmit(windowStarts, now));
    expect(await stored(stub)).toBe(22);
    expect((await runInDurableObject(stub, (instance: ThrottleCounter) => instance.inspect(now))).limits[0]?.remaining).toBe(988);
    // Restarted, it resumes from the ceiling: 10 calls that had quota are refused, never one too many admitted.
    await evictDurableObject(stub);
    expect((await stub.inspect(now)).limits[0]?.remaining).toBe(978);
  });

  it('brings the stored ceiling within the new slack when a tier change lowers the limit', async () => {
    const { stub, state } = fresh([perMinute(1000, 'Gold')]);
    await stub.configure(state);
    const now = Date.now();
    await runInDurableObject(stub, (instance: ThrottleCounter) => void instance.admit(call(), now));
    expect(await stored(stub)).toBe(11);
    await stub.configure({ ...state, tier: 'Bronze', limits: [perMinute(20, 'Bronze')] });
    expect(await stored(stub)).toBe(1);
    await evictDurableObject(stub);
    expect((await stub.inspect(now)).limits[0]?.remaining).toBe(19);
  });

  it('keeps a points window within its limit across a restart: the ceiling never passes the limit', async () => {
    const stub = counterNamespace(env).getByName(`gql:ceiling-${Math.random().toString(36).slice(2)}`);
    const points: WindowLimit = { policy: 'graphql-points', scope: 'subscription', limit: 1000, windowSeconds: 60, unit: 'points' };
    const now = inThisMinute();
    expect((await stub.take([points], now, 994)).ok).toBe(true);
    // 994 + 10 would pass 1,000: the ceiling is the limit.
    expect(await stored(stub, 'subscription:60:points')).toBe(1000);
    expect((await stub.take([points], now, 6)).ok).toBe(true);
    await evictDurableObject(stub);
    const over = await stub.take([points], now, 1);
    expect(over.ok).toBe(false);
  });
});
