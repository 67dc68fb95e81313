/**
 * A module-level cache with both bounds every such cache needs: entries and age. A Map keeps
 * insertion order, so re-inserting on hit makes eviction least-recently-used.
 */
export class BoundedCache<K, V> {
  readonly #entries = new Map<K, { value: V; expiresAt: number }>();
  readonly #maxEntries: number;
  readonly #maxAgeMs: number;

  constructor(options: { maxEntries: number; maxAgeMs: number }) {
    if (options.maxEntries < 1 || options.maxAgeMs <= 0) throw new RangeError('BoundedCache needs positive bounds');
    this.#maxEntries = options.maxEntries;
    this.#maxAgeMs = options.maxAgeMs;
  }

  get(key: K, now = Date.now()): V | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** `ttlMs` may only shorten the cache's own age bound. */
  set(key: K, value: V, ttlMs = this.#maxAgeMs, now = Date.now()): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: now + Math.min(ttlMs, this.#maxAgeMs) });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.#entries.delete(key);
  }

  deleteWhere(predicate: (key: K, value: V) => boolean): void {
    for (const [key, entry] of [...this.#entries]) if (predicate(key, entry.value)) this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  get size(): number {
    return this.#entries.size;
  }
}
