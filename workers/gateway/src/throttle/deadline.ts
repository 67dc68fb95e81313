/**
 * A wait on a promise that another request's I/O settles (a coalesced batch's leader, a shared lease
 * request) has no I/O of its own: workerd sees such a request idle, cancels it as hung and answers a
 * plain 500 — seen under load once the counter objects moved to their own process. A timer owned by
 * the waiting request keeps it alive, and bounds the wait: past `ms` the wait rejects and the caller
 * fails closed (503).
 */
export const COUNTER_WAIT_MS = 5000;

export class CounterTimeout extends Error {
  constructor() {
    super('the counter object did not answer in time');
    this.name = 'CounterTimeout';
  }
}

export function withDeadline<T>(promise: Promise<T>, ms: number = COUNTER_WAIT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CounterTimeout()), ms);
  });
  return Promise.race([promise, expired]).finally(() => {
    if (timer !== null) clearTimeout(timer);
  });
}
