import { describe, expect, it } from 'vitest';
import type { AdmitRequest, LeaseResult } from '../../../../durable-objects/throttle/types.ts';
import { CounterTimeout } from './deadline.ts';
import { spendLease, type LeaseStub } from './lease.ts';

const request: AdmitRequest = { keyType: 'PRODUCTION', credentialId: 'jti-1', issuedAt: Date.now() };
const granted = (n: number): LeaseResult => ({
  ok: true,
  lease: {
    granted: n,
    limits: [],
    windowStarts: [],
    tier: 'Gold',
    expiresAt: Date.now() + 1000,
    validAfter: { PRODUCTION: 0, SANDBOX: 0 },
    revoked: [],
  },
});

/** An object whose lease answers only when told to (never, unless `answer()` is called). */
function objectThatWaits() {
  let answer!: (r: LeaseResult) => void;
  const answered = new Promise<LeaseResult>((r) => (answer = r));
  let asked = 0;
  const released: number[] = [];
  const stub: LeaseStub = {
    lease: () => {
      asked += 1;
      return answered;
    },
    release: async (_windowStarts, unused) => {
      released.push(unused);
    },
  };
  return { stub, answer, asked: () => asked, released };
}

const noWaitUntil = () => {};

describe('spendLease', () => {
  it('shares one lease request among the calls that arrive while it is in flight', async () => {
    const object = objectThatWaits();
    const calls = [1, 2, 3].map(() => spendLease('sub:app-share:api', () => object.stub, request, noWaitUntil));
    object.answer(granted(10));
    expect((await Promise.all(calls)).map((c) => c.ok)).toEqual([true, true, true]);
    expect(object.asked()).toBe(1);
  });

  it('does not leave a key waiting on a lease request that never comes back (its request cancelled)', async () => {
    // The lease request's starter is gone and its object never answers: every wait on it runs out.
    const lost = objectThatWaits();
    const name = 'sub:app-lost:api';
    await expect(spendLease(name, () => lost.stub, request, noWaitUntil, Date.now(), 20)).rejects.toBeInstanceOf(CounterTimeout);
    // Before decision 0063 the next call waited on the same request and failed closed again, for good.
    const well = objectThatWaits();
    const next = spendLease(name, () => well.stub, request, noWaitUntil, Date.now(), 1000);
    well.answer(granted(5));
    expect(await next).toMatchObject({ ok: true, tier: 'Gold' });
    expect(well.asked()).toBe(1);
    // The lost request answering late does not replace the lease the key holds now: what it was
    // granted goes straight back to the object, and the key keeps spending its own lease.
    lost.answer(granted(3));
    await new Promise((r) => setTimeout(r, 0));
    expect(lost.released).toEqual([3]);
    expect(await spendLease(name, () => well.stub, request, noWaitUntil)).toMatchObject({ ok: true });
    expect(well.asked()).toBe(1);
    expect(well.released).toEqual([]);
  });
});
