import { unseal } from '../../../../shared/seal.ts';
import { BoundedCache } from '../../../../shared/lru.ts';
import type { SnapshotKeyManager } from '../../../../shared/snapshot.ts';

/** What an introspection endpoint said of a token (RFC 7662 §2.2): active with its claims, or not. */
export type Introspected = { active: true; claims: Readonly<Record<string, unknown>> } | { active: false };

export type IntrospectionOutcome = { ok: true; result: Introspected } | { ok: false; reason: 'unavailable' };

export type Poster = (url: string, init: RequestInit) => Promise<Response>;

/** A positive answer is reused for at most this long (and never past the token's `exp`). */
export const POSITIVE_TTL_MS = 60_000;
/** An inactive or unknown token is remembered this long, so a replayed bad token costs no round trip. */
export const NEGATIVE_TTL_MS = 10_000;
const MAX_RESPONSE_BYTES = 16 * 1024;

/**
 * RFC 7662 introspection of opaque tokens at an external key manager, with both answers cached in
 * this isolate (bounded in entries and age). A token revoked at the provider is still accepted for up
 * to POSITIVE_TTL_MS — the price of not asking on every call, documented in docs/architecture.md.
 */
export class Introspector {
  readonly #answers = new BoundedCache<string, Introspected>({ maxEntries: 10_000, maxAgeMs: POSITIVE_TTL_MS });
  readonly #post: Poster;
  /** Requests sent to introspection endpoints, for tests. */
  calls = 0;

  constructor(post: Poster = (url, init) => fetch(url, init)) {
    this.#post = post;
  }

  async introspect(encryptionKey: string, km: SnapshotKeyManager, token: string, now = Date.now()): Promise<IntrospectionOutcome> {
    const endpoint = km.introspection;
    if (endpoint === null) return { ok: true, result: { active: false } };
    const cacheKey = `${km.id}\n${token}`;
    const cached = this.#answers.get(cacheKey, now);
    if (cached !== undefined) return { ok: true, result: cached };
    let res: Response;
    try {
      const secret = await unseal(encryptionKey, endpoint.clientSecret, km.id);
      this.calls += 1;
      res = await this.#post(endpoint.endpoint, {
        method: 'POST',
        headers: {
          // RFC 6749 §2.3.1: client_secret_basic, each part form-urlencoded first.
          authorization: `Basic ${btoa(`${formEncode(endpoint.clientId)}:${formEncode(secret)}`)}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        signal: AbortSignal.timeout(5_000),
      });
    } catch (err) {
      console.warn(
        JSON.stringify({ level: 'warn', message: 'introspection endpoint not reached', keyManager: km.name, cause: String(err) }),
      );
      return { ok: false, reason: 'unavailable' };
    }
    const text = res.ok ? await res.text() : (await res.body?.cancel(), '');
    const body = res.ok && text.length <= MAX_RESPONSE_BYTES ? parseObject(text) : null;
    if (body === null) {
      console.warn(
        JSON.stringify({ level: 'warn', message: 'introspection endpoint answered badly', keyManager: km.name, status: res.status }),
      );
      return { ok: false, reason: 'unavailable' };
    }
    const result = judge(body, km, now);
    const exp = typeof body['exp'] === 'number' ? body['exp'] * 1000 : Infinity;
    this.#answers.set(cacheKey, result, result.active ? Math.min(POSITIVE_TTL_MS, exp - now) : NEGATIVE_TTL_MS, now);
    return { ok: true, result };
  }
}

/**
 * RFC 7662 §2.2: `active` is the one required member. The gateway also refuses an active answer that
 * names another issuer or an audience without the gateway's, or whose `exp`/`nbf` say it is not valid now.
 */
function judge(body: Record<string, unknown>, km: SnapshotKeyManager, now: number): Introspected {
  if (body['active'] !== true) return { active: false };
  if (body['iss'] !== undefined && body['iss'] !== km.issuer) return { active: false };
  const aud = body['aud'];
  if (aud !== undefined && !(aud === km.audience || (Array.isArray(aud) && aud.includes(km.audience)))) return { active: false };
  const seconds = now / 1000;
  if (typeof body['exp'] === 'number' && body['exp'] + LEEWAY_SECONDS <= seconds) return { active: false };
  if (typeof body['nbf'] === 'number' && body['nbf'] - LEEWAY_SECONDS > seconds) return { active: false };
  return { active: true, claims: body };
}

export const LEEWAY_SECONDS = 30;

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}
