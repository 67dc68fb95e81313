import type { KeyType } from '../../../shared/db/schema.ts';
import { ApiError } from '../../../shared/problem.ts';
import type { SnapshotEndpoint } from '../../../shared/snapshot.ts';
import { BoundedCache } from '../../../shared/lru.ts';

/**
 * Never forwarded: RFC 9110 §7.6.1 hop-by-hop headers and ones a client must never choose for the
 * backend; and Accept-Encoding, because content coding is negotiated per hop (the runtime decodes
 * what the backend sends, and the edge encodes for the client by what the client accepts;
 * forwarding the client's Accept-Encoding would leak the backend's coding to a client that never
 * offered it); and what the gateway itself sets.
 */
const STRIPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'accept-encoding',
  'authorization',
  'x-jwt-assertion',
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-real-ip',
  'forwarded',
]);
const GATEWAY_PREFIXES = ['x-turnpike-', 'x-consumer-', 'x-wso2-'];

const NONE: ReadonlySet<string> = new Set();

/**
 * Headers are compared with `_` read as `-`: some backends (and CGI) treat them as the same name.
 * `name` comes from iterating a Headers object, which yields names in lower case (Fetch standard).
 */
function mustStrip(name: string, apiKeyHeader: string, connectionListed: ReadonlySet<string>): boolean {
  const n = name.includes('_') ? name.replace(/_/g, '-') : name;
  return STRIPPED.has(n) || n === apiKeyHeader || connectionListed.has(n) || (n.startsWith('x-') && GATEWAY_PREFIXES.some((p) => n.startsWith(p)));
}

export interface ForwardOptions {
  readonly endpoint: SnapshotEndpoint | undefined;
  readonly keyType: KeyType | null;
  readonly method: string;
  readonly rest: string;
  readonly search: string;
  readonly headers: Headers;
  readonly body: ReadableStream | null;
  readonly apiKeyHeader: string;
  readonly clientIp: string | null;
  readonly requestId: string;
  readonly extraHeaders: Readonly<Record<string, string>>;
}

// Round-robin positions and suspended URLs: bounded by the endpoints in one snapshot, and aged.
const cursor = new BoundedCache<SnapshotEndpoint, number>({ maxEntries: 10_000, maxAgeMs: 3_600_000 });
const suspended = new BoundedCache<string, true>({ maxEntries: 10_000, maxAgeMs: 3_600_000 });
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export async function forward(options: ForwardOptions): Promise<Response> {
  const { endpoint } = options;
  if (endpoint === undefined || endpoint.urls.length === 0) {
    throw new ApiError('endpoint-unavailable', { detail: `This API has no ${(options.keyType ?? 'PRODUCTION').toLowerCase()} endpoint` });
  }
  const headers = outboundHeaders(options);
  const order = candidates(endpoint);
  // A request body is a stream that can be read once: only bodiless idempotent calls fail over.
  const canRetry = IDEMPOTENT.has(options.method) && options.body === null && endpoint.strategy !== 'single';
  let lastError: ApiError | null = null;
  for (const target of canRetry ? order : order.slice(0, 1)) {
    const url = joinUrl(target.url, options.rest, options.search);
    try {
      const response = await fetch(url, {
        method: options.method,
        headers,
        body: options.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(target.timeoutMs),
      });
      return response;
    } catch (cause) {
      const timedOut = cause instanceof DOMException && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      lastError = timedOut
        ? new ApiError('gateway-timeout', { detail: `The backend did not answer within ${target.timeoutMs} ms`, cause })
        : new ApiError('bad-gateway', { detail: 'The backend could not be reached', cause });
      if (endpoint.strategy === 'failover') suspended.set(target.url, true, endpoint.suspendSeconds * 1000);
    }
  }
  throw lastError ?? new ApiError('bad-gateway');
}

function candidates(endpoint: SnapshotEndpoint) {
  const urls = endpoint.urls;
  if (endpoint.strategy === 'load_balance') {
    const start = (cursor.get(endpoint) ?? 0) % urls.length;
    cursor.set(endpoint, start + 1);
    return [...urls.slice(start), ...urls.slice(0, start)];
  }
  if (endpoint.strategy === 'failover') {
    const live = urls.filter((u) => suspended.get(u.url) === undefined);
    return live.length > 0 ? [...live, ...urls.filter((u) => !live.includes(u))] : [...urls];
  }
  return [...urls];
}

/**
 * What goes to the backend: the client's headers less what must be stripped, then the gateway's own.
 * Built as name/value pairs that fetch turns into headers in one call: appending to a Headers object
 * one by one showed as a share of the gateway's CPU in profiles (decision 0014). The gateway's own
 * headers replace a client's of the same name; among them, a later one replaces an earlier one.
 */
function outboundHeaders(options: ForwardOptions): Array<[string, string]> {
  const connection = options.headers.get('connection');
  const connectionListed =
    connection === null
      ? NONE
      : new Set(
          connection
            .split(',')
            .map((s) => s.trim().toLowerCase())
            .filter((s) => s !== ''),
        );
  const apiKeyHeader = options.apiKeyHeader.toLowerCase().replace(/_/g, '-');
  const own = new Map<string, string>();
  if (options.clientIp !== null) own.set('x-forwarded-for', options.clientIp);
  own.set('x-request-id', options.requestId);
  for (const [name, value] of Object.entries(options.extraHeaders)) own.set(name.toLowerCase(), value);
  const out: Array<[string, string]> = [];
  for (const [name, value] of options.headers) {
    if (!mustStrip(name, apiKeyHeader, connectionListed) && !own.has(name)) out.push([name, value]);
  }
  out.push(...own);
  return out;
}

function joinUrl(base: string, rest: string, search: string): string {
  const trimmed = base.endsWith('/') ? base.slice(0, -1) : base;
  return trimmed + (rest === '/' && !base.endsWith('/') ? '' : rest) + stripCredentials(search);
}

function stripCredentials(search: string): string {
  if (search === '' || search === '?') return '';
  const kept = search
    .slice(1)
    .split('&')
    .filter((pair) => !/^(access_token|apikey|api_key)=/i.test(pair));
  return kept.length === 0 ? '' : '?' + kept.join('&');
}
