/**
 * Work one request starts and other requests wait for — a coalesced batch's round trip, a shared
 * lease request, a snapshot reload, a shard's read, a key set's fetch — must not end with the
 * request that started it. When a client goes away, the runtime cancels what its request was
 * still doing, unless it was handed to `waitUntil` (which keeps it running for up to 30 s more);
 * a shared promise cancelled so never settles, and every request that waits on it would wait in
 * vain — for good, where the promise is cached (decision 0063). So the starter hands it to
 * `waitUntil` and returns it unchanged.
 *
 * The `waitUntil` is `cloudflare:workers`' own (it belongs to the request it is called in), handed
 * in by the Worker's entry module (index.ts): these modules are also loaded by Node (the bench's
 * token micro-benchmark compiles a snapshot), which cannot import `cloudflare:` modules.
 */
let handOff: ((work: Promise<unknown>) => void) | null = null;

/** Called once by the Worker's entry module with `cloudflare:workers`' `waitUntil`. */
export function outliveWith(waitUntil: (work: Promise<unknown>) => void): void {
  handOff = waitUntil;
}

/** Whether the entry module has handed `waitUntil` in (for its test). */
export const outlivesCallers = (): boolean => handOff !== null;

export function outliveCaller<T>(work: Promise<T>): Promise<T> {
  // Its rejection belongs to the requests that await it; here it must not count as unhandled.
  handOff?.(work.then(noop, noop));
  return work;
}

const noop = () => {};
