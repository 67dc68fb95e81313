import { describe, expect, it } from 'vitest';
import type { AdmitRequest, AdmitResult } from '../../../../durable-objects/throttle/types.ts';
import { admitCoalesced, type SubscriptionObject } from './coalesce.ts';
import { CounterTimeout } from './deadline.ts';

const admitted: AdmitResult = { ok: true, tier: 'Gold', limits: [], windowStarts: [] };

/** A counter object whose answers wait until `release()`; it records every batch it was sent. */
function slowObject() {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const batches: number[] = [];
  const stub: SubscriptionObject = {
    async admit() {
      batches.push(1);
      await released;
      return admitted;
    },
    async admitMany(requests: readonly AdmitRequest[]) {
      batches.push(requests.length);
      await released;
      return requests.map(() => admitted);
    },
  };
  return { stub, batches, release };
}

const request = {} as AdmitRequest;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('admitCoalesced', () => {
  it('sends the calls that wait behind a round trip together in the next one, each with its own result', async () => {
    const { stub, batches, release } = slowObject();
    const calls = Array.from({ length: 5 }, () => admitCoalesced('k-batch', stub, request));
    await sleep(10);
    release();
    expect(await Promise.all(calls)).toEqual(calls.map(() => admitted));
    expect(batches).toEqual([1, 4]);
  });

  it('empties the queue of a flooded key in a few round trips, so no call waits out its timer behind the others', async () => {
    // 3,000 calls of one key at once: each waits for the round trip in flight and its own, not for
    // a line of batches (with 64 a batch, 47 round trips: at an 80 ms round trip, 3.8 s of waiting).
    const object = slowObject();
    const calls = Array.from({ length: 3000 }, () => admitCoalesced('k-flood', object.stub, request));
    await sleep(5);
    object.release();
    expect((await Promise.all(calls)).length).toBe(3000);
    expect(object.batches).toEqual([1, 1024, 1024, 951]);
  });

  it('fails closed for a call whose wait outlasts its timer, and does not hand the next round trip to it', async () => {
    const { stub, release } = slowObject();
    const leader = admitCoalesced('k-stale', stub, request, 5000);
    // Two calls that stop waiting before the leader's round trip comes back.
    const gaveUp = [admitCoalesced('k-stale', stub, request, 20), admitCoalesced('k-stale', stub, request, 20)];
    for (const g of gaveUp) await expect(g).rejects.toBeInstanceOf(CounterTimeout);
    release();
    expect(await leader).toEqual(admitted);
    // Before 2026-12-02 the lead went to the first call that had given up, and the key's queue stayed
    // busy: every later call waited out its timer and failed closed (503) although the object was well.
    expect(await admitCoalesced('k-stale', stub, request, 1000)).toEqual(admitted);
  });

  it('does not leave a key to a round trip whose leader never comes back (its request cancelled)', async () => {
    // A leader whose continuation never runs: its object never answers and its own timer is far off,
    // as when the runtime cancels a request whose client went away (decision 0063).
    const lost = slowObject();
    void admitCoalesced('k-lost', lost.stub, request, 600_000).catch(() => {});
    await expect(admitCoalesced('k-lost', lost.stub, request, 20)).rejects.toBeInstanceOf(CounterTimeout);
    // The wait that ran out gave the queue up: the next call leads at once, on a well object.
    const next = slowObject();
    const leader = admitCoalesced('k-lost', next.stub, request, 1000);
    await sleep(5);
    expect(next.batches).toEqual([1]);
    // The lost leader coming back late must not take the key's new queue away from it.
    lost.release();
    await sleep(5);
    const followers = [admitCoalesced('k-lost', next.stub, request, 1000), admitCoalesced('k-lost', next.stub, request, 1000)];
    next.release();
    expect(await Promise.all([leader, ...followers])).toEqual([admitted, admitted, admitted]);
    expect(next.batches).toEqual([1, 2]);
  });

  it('gives every call of a failed round trip its error, and the key recovers on the next call', async () => {
    let fail = true;
    const stub: SubscriptionObject = {
      async admit() {
        await sleep(5);
        if (fail) throw new Error('object down');
        return admitted;
      },
      async admitMany(requests) {
        await sleep(5);
        if (fail) throw new Error('object down');
        return requests.map(() => admitted);
      },
    };
    const calls = Array.from({ length: 3 }, () => admitCoalesced('k-fail', stub, request));
    for (const c of calls) await expect(c).rejects.toThrow('object down');
    fail = false;
    expect(await admitCoalesced('k-fail', stub, request)).toEqual(admitted);
  });
});
