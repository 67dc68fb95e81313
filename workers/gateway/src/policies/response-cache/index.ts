import { z } from 'zod';
import { sha256Hex } from '../../../../shared/crypto.ts';
import { definePolicy, type InboundCall } from '../step.ts';

const HeaderName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'A header name (RFC 9110 §5.1)')
  .max(100);
const Config = z.strictObject({
  /** How long a response is served from the cache; a backend's shorter `s-maxage` / `max-age` wins. */
  ttlSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400)
    .default(300),
  /** The query parameters that are part of the key; null: the whole query string (its parameters sorted). */
  queryParams: z.array(z.string().min(1).max(100)).max(20).nullable().default(null),
  /** Request headers whose values are part of the key (and so may be named in the backend's `Vary`). */
  headers: z.array(HeaderName).max(10).default([]),
  /** One cache per calling application: for answers that depend on who asks (and may say `Cache-Control: private`). */
  private: z.boolean().default(false),
});

/** Statuses a cache may store without explicit freshness (RFC 9110 §15.1 "heuristically cacheable"), less 206, which the Cache API refuses. */
const CACHEABLE = new Set([200, 203, 300, 301, 308, 404, 410]);
// Internal headers of a stored copy: never on the wire.
const STORED_AT = 'x-turnpike-stored-at';
const BACKEND_CACHE_CONTROL = 'x-turnpike-cache-control';

interface Pending {
  readonly key: Request;
  readonly store: boolean;
  readonly state: 'MISS' | 'BYPASS';
}

// What the answer step learnt, for the response step of the same call; entries go with their call.
const pending = new WeakMap<InboundCall, Pending>();

/**
 * Serves an operation's GET responses from Cloudflare's cache (the Cache API, `caches.default`, in
 * the data centre that took the call). The step runs after authentication, the other policies and
 * throttling, so a hit is authenticated, authorized and counted like any call — it only spares the
 * backend — and says so: `X-Cache: HIT` and `Age` (RFC 9111 §5.1). The key is the API, its
 * deployment (a redeploy or a purge from the publisher changes `cacheEpoch`, so old entries are never
 * read again), the key type, the path, the chosen query parameters and headers, and the calling
 * application when `private`. RFC 9111 is followed where a gateway cache can: the caller's
 * `no-store` / `no-cache` (§5.2.1) skip the lookup; the backend's `no-store`, `no-cache`,
 * `private` (unless the policy is private) and `Set-Cookie` keep an answer out; its `s-maxage` /
 * `max-age` shorten the TTL; a `Vary` on a header that is not part of the key keeps it out, since
 * the key could not tell its variants apart (Accept-Encoding excepted: the runtime decodes and
 * re-encodes bodies itself). Credentials never reach the backend, so what is stored is an answer to
 * the API, not to a credential; `private` is for answers that differ per caller.
 */
export const responseCache = definePolicy({
  name: 'response-cache',
  description:
    "Serves GET responses from Cloudflare's cache for ttlSeconds, keyed by path, chosen query parameters and headers (and the calling application when private); hits are still authenticated and counted.",
  config: Config,
  build(config, { api, resource }) {
    if (resource.method !== 'GET') return {};
    const keyHeaders = [...new Set(config.headers.map((h) => h.toLowerCase()))].sort();
    const keyParams = config.queryParams === null ? null : [...new Set(config.queryParams)].sort();
    const prefix = `${api.id}\n${api.revisionId}\n${api.cacheEpoch ?? 0}\n${resource.pathTemplate}`;
    const keyOf = async (call: InboundCall): Promise<Request> => {
      const parts = [
        prefix,
        call.caller?.keyType ?? '-',
        config.private ? (call.caller?.applicationId ?? '-') : '',
        call.rest,
        queryPart(call.search, keyParams),
      ];
      for (const name of keyHeaders) parts.push(`${name}:${call.request.headers.get(name) ?? ''}`);
      const origin = new URL(call.request.url).origin;
      // Under the gateway's reserved prefix: no API is served there, so no real URL shares the key.
      return new Request(`${origin}/_turnpike/cache/${encodeURIComponent(api.id)}/${await sha256Hex(parts.join('\n'))}`);
    };
    return {
      async answer(call) {
        const method = call.request.method;
        if (method !== 'GET' && method !== 'HEAD') return null;
        const key = await keyOf(call);
        const asked = directives(call.request.headers.get('cache-control'));
        if (asked.has('no-store') || asked.has('no-cache')) {
          pending.set(call, { key, store: !asked.has('no-store') && method === 'GET', state: 'BYPASS' });
          return null;
        }
        const hit = await caches.default.match(key);
        if (hit === undefined) {
          pending.set(call, { key, store: method === 'GET', state: 'MISS' });
          return null;
        }
        return served(hit, method === 'HEAD');
      },
      response(response, call) {
        const p = pending.get(call);
        if (p === undefined) return response;
        pending.delete(call);
        const ttl = p.store ? storableFor(response, config.ttlSeconds, keyHeaders, config.private) : 0;
        let body = response.body;
        if (ttl > 0) {
          let kept: ReadableStream | null = null;
          if (body !== null) [body, kept] = body.tee();
          const stored = new Headers(response.headers);
          const backendCc = response.headers.get('cache-control');
          if (backendCc !== null) stored.set(BACKEND_CACHE_CONTROL, backendCc);
          // The Cache API keeps an entry as long as its Cache-Control says.
          stored.set('cache-control', `max-age=${ttl}`);
          stored.set(STORED_AT, String(Date.now()));
          call.waitUntil(
            caches.default
              .put(p.key, new Response(kept, { status: response.status, statusText: response.statusText, headers: stored }))
              .catch((err: unknown) => console.warn(JSON.stringify({ level: 'warn', message: 'response not cached', cause: String(err) }))),
          );
        }
        const out = new Response(body, response);
        out.headers.set('x-cache', p.state);
        return out;
      },
    };
  },
});

/** A stored response as the caller gets it: the backend's own Cache-Control back, its age, and no internal header. */
function served(hit: Response, head: boolean): Response {
  const headers = new Headers(hit.headers);
  const storedAt = Number(headers.get(STORED_AT));
  const backendAge = Number(headers.get('age') ?? 0);
  const age = Math.max(0, Math.floor((Date.now() - storedAt) / 1000)) + (Number.isFinite(backendAge) ? backendAge : 0);
  const backendCc = headers.get(BACKEND_CACHE_CONTROL);
  if (backendCc === null) headers.delete('cache-control');
  else headers.set('cache-control', backendCc);
  headers.delete(BACKEND_CACHE_CONTROL);
  headers.delete(STORED_AT);
  headers.set('age', String(age));
  headers.set('x-cache', 'HIT');
  if (head) void hit.body?.cancel();
  return new Response(head ? null : hit.body, { status: hit.status, statusText: hit.statusText, headers });
}

/** Seconds the response may be kept (0: not at all), by the backend's headers and the policy's TTL. */
function storableFor(response: Response, ttlSeconds: number, keyHeaders: readonly string[], privateCache: boolean): number {
  if (!CACHEABLE.has(response.status) || response.headers.has('set-cookie')) return 0;
  const cc = directives(response.headers.get('cache-control'));
  if (cc.has('no-store') || cc.has('no-cache') || (cc.has('private') && !privateCache)) return 0;
  const vary = response.headers.get('vary');
  if (vary !== null) {
    for (const raw of vary.split(',')) {
      const name = raw.trim().toLowerCase();
      if (name === '' || name === 'accept-encoding') continue;
      if (name === '*' || !keyHeaders.includes(name)) return 0;
    }
  }
  const backendMax = seconds(cc.get('s-maxage')) ?? seconds(cc.get('max-age'));
  return backendMax === null ? ttlSeconds : Math.min(ttlSeconds, backendMax);
}

/** Cache-Control directives by name (RFC 9111 §5.2): names lower-cased, quoted values unquoted. */
function directives(header: string | null): Map<string, string> {
  const out = new Map<string, string>();
  if (header === null) return out;
  for (const part of header.split(',')) {
    const [name = '', value = ''] = part.split('=', 2).map((s) => s.trim());
    if (name !== '') out.set(name.toLowerCase(), value.replace(/^"|"$/g, ''));
  }
  return out;
}

function seconds(value: string | undefined): number | null {
  if (value === undefined || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** The query's part of the key: the chosen parameters (or all), sorted, so their order never splits an entry. */
function queryPart(search: string, chosen: readonly string[] | null): string {
  if (search === '' || search === '?') return '';
  const params = new URLSearchParams(search);
  const kept = [...params].filter(([name]) => chosen === null || chosen.includes(name));
  kept.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return new URLSearchParams(kept).toString();
}
