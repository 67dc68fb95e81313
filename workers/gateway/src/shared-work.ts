import { waitUntil } from 'cloudflare:workers';

/**
 * Work one request starts and other requests wait for — a coalesced batch's round trip, a shared
 * lease request, a snapshot reload, a shard's read, a key set's fetch — must not end with the
 * request that started it. When a client goes away, the runtime cancels what its request was
 * still doing, unless it was handed to `waitUntil` (which keeps it running for up to 30 s more);
 * a shared promise cancelled so never settles, and every request that waits on it would wait in
 * vain — for good, where the promise is cached (decision 0063). So the starter hands it to
 * `waitUntil` (of the request it runs in: `cloudflare:workers`' own) and returns it unchanged.
 */
export function outliveCaller<T>(work: Promise<T>): Promise<T> {
  // Its rejection belongs to the requests that await it; here it must not count as unhandled.
  waitUntil(work.then(noop, noop));
  return work;
}

const noop = () => {};
