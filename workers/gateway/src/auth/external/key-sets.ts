import { importJWK, type CryptoKey as JoseKey, type JWK } from 'jose';
import { BoundedCache } from '../../../../shared/lru.ts';
import { outliveCaller } from '../../shared-work.ts';

/** A verification key, pinned to the one algorithm it may be used with (RFC 8725 §3.1). */
export interface PinnedKey {
  readonly alg: string;
  readonly key: JoseKey | Uint8Array;
}

export type KeyLookup = { ok: true; key: PinnedKey } | { ok: false; reason: 'unknown-kid' | 'unavailable' };

export type JwksFetcher = (url: string) => Promise<Response>;

export interface KeySetSource {
  readonly jwksUri: string;
  /** How long a fetched key set is used before it is fetched again. */
  readonly jwksMaxAgeSeconds: number;
  /** The least time between two fetches of one key set, whatever `kid`s arrive meanwhile. */
  readonly jwksCooldownSeconds: number;
}

interface HeldSet {
  keys: Map<string, PinnedKey>;
  /** When the keys were fetched; 0 when no fetch has succeeded yet. */
  fetchedAt: number;
  /** When the last fetch started, successful or not: the cooldown counts from here. */
  attemptedAt: number;
  pending: Promise<void> | null;
}

/** A key set larger than this is refused: no provider publishes more, and the gateway reads it whole. */
const MAX_JWKS_BYTES = 64 * 1024;
const MAX_KEYS = 50;
const FETCH_TIMEOUT_MS = 5_000;

/**
 * The algorithm a published key without `alg` is pinned to, from its type alone: one per key, so a
 * token cannot pick RS256 for a key meant for PS256 or any HMAC for a public key.
 */
function pinnedAlg(jwk: JWK): string | null {
  if (typeof jwk.alg === 'string') return jwk.alg === 'none' || jwk.alg.startsWith('HS') ? null : jwk.alg;
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return jwk.crv === 'P-256' ? 'ES256' : jwk.crv === 'P-384' ? 'ES384' : jwk.crv === 'P-521' ? 'ES512' : null;
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  return null;
}

/**
 * External key managers' signing keys (JWKS), held per `jwks_uri` in this isolate. A hand cache
 * rather than jose's `createRemoteJWKSet` (decision 0036): the set's age and cooldown come from the
 * key manager's registration, a refresh that fails keeps the cooldown (a failing provider is not
 * asked on every request either), every key is pinned to one algorithm when it is imported, a
 * verified token can ask cheaply whether its key is still published, and the fetcher is injected
 * so the no-storm bound is tested by counting fetches.
 *
 * Fetched when first needed, again once older than its max age, and on a `kid` it does not hold —
 * at most once per cooldown however many unknown `kid`s arrive (concurrent misses share one fetch).
 */
export class KeySets {
  readonly #sets = new BoundedCache<string, HeldSet>({ maxEntries: 64, maxAgeMs: 24 * 3600_000 });
  readonly #fetcher: JwksFetcher;
  /** Fetches started, for tests and the request log. */
  fetches = 0;

  constructor(
    fetcher: JwksFetcher = (url) => fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) }),
  ) {
    this.#fetcher = fetcher;
  }

  async key(source: KeySetSource, kid: string, now = Date.now()): Promise<KeyLookup> {
    let held = this.#sets.get(source.jwksUri, now);
    if (held === undefined) {
      held = { keys: new Map(), fetchedAt: 0, attemptedAt: 0, pending: null };
      this.#sets.set(source.jwksUri, held, undefined, now);
    }
    const stale = now - held.fetchedAt > source.jwksMaxAgeSeconds * 1000;
    const cooled = now - held.attemptedAt >= source.jwksCooldownSeconds * 1000;
    if ((stale || !held.keys.has(kid)) && (cooled || held.pending !== null)) await this.#refresh(source, held, now);
    // Past its age and not refreshed (the provider did not answer): no longer trusted, fail closed.
    if (now - held.fetchedAt > source.jwksMaxAgeSeconds * 1000) return { ok: false, reason: 'unavailable' };
    const key = held.keys.get(kid);
    if (key !== undefined) return { ok: true, key };
    return { ok: false, reason: 'unknown-kid' };
  }

  /** Whether `kid` is still in the set as last fetched: a verified token whose key was rotated out is refused. */
  holds(jwksUri: string, kid: string, now = Date.now()): boolean {
    return this.#sets.get(jwksUri, now)?.keys.has(kid) ?? false;
  }

  #refresh(source: KeySetSource, held: HeldSet, now: number): Promise<void> {
    if (held.pending !== null) return held.pending;
    held.attemptedAt = now;
    this.fetches += 1;
    // Concurrent misses share this fetch: it must not end with the request that started it (shared-work.ts).
    held.pending = outliveCaller(this.#load(source.jwksUri))
      .then((keys) => {
        held.keys = keys;
        // Aged from when the fetch started: never younger than it is.
        held.fetchedAt = now;
      })
      .catch((err: unknown) => {
        console.warn(
          JSON.stringify({ level: 'warn', message: 'external key set not fetched', jwksUri: source.jwksUri, cause: String(err) }),
        );
      })
      .finally(() => {
        held.pending = null;
      });
    return held.pending;
  }

  async #load(url: string): Promise<Map<string, PinnedKey>> {
    const res = await this.#fetcher(url);
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`JWKS answered ${res.status}`);
    }
    const text = await res.text();
    if (text.length > MAX_JWKS_BYTES) throw new Error(`JWKS is ${text.length} bytes`);
    const body = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error('JWKS has no keys array');
    const keys = new Map<string, PinnedKey>();
    for (const jwk of body.keys.slice(0, MAX_KEYS) as JWK[]) {
      // Only signing keys with a `kid` (RFC 7517 §4.2, §4.5); a key the gateway cannot pin is skipped.
      if (typeof jwk !== 'object' || jwk === null || typeof jwk.kid !== 'string' || (jwk.use !== undefined && jwk.use !== 'sig')) continue;
      if ('d' in jwk || jwk.kty === 'oct') continue;
      const alg = pinnedAlg(jwk);
      if (alg === null) continue;
      try {
        keys.set(jwk.kid, { alg, key: await importJWK(jwk, alg) });
      } catch {
        // A key the runtime cannot import is one fewer key, not a broken set.
      }
    }
    return keys;
  }
}
