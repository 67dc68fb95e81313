import type { KeyType } from '../../../shared/db/schema.ts';
import { ApiError } from '../../../shared/problem.ts';
import type { SnapshotEndpoint } from '../../../shared/snapshot.ts';
import { BoundedCache } from '../../../shared/lru.ts';
import { CallTimer, SMALL_BODY_BYTES, bodyTimeouts, declaredLength, guardBody, readSmallBody, type BodyOutcome } from './body-guard.ts';

/**
 * Never forwarded: RFC 9110 §7.6.1 hop-by-hop headers and ones a client must never choose for the
 * backend; and Accept-Encoding, because content coding is negotiated per hop (the runtime decodes
 * what the backend sends, and the edge encodes for the client by what the client accepts;
 * forwarding the client's Accept-Encoding would leak the backend's coding to a client that never
 * offered it); and what the gateway itself sets.
 *
 * Identity and forwarding headers are the class a backend trusts because "the proxy set them":
 * who the user is (X-User, X-Remote-User, X-Authenticated-User…, Cloudflare Access's
 * CF-Access-*), where the call came from (X-Forwarded-*, Forwarded, X-Real-IP, True-Client-IP,
 * X-Client-IP…) and which client certificate it showed. A client's copy of any of them is dropped
 * (any case, `_` read as `-`) and the gateway sets X-Forwarded-For / Forwarded itself from
 * CF-Connecting-IP. The list is in docs/architecture.md ("Headers the backend never gets from a client").
 */
const STRIPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  // An expectation is negotiated with the edge that received the request, not with the backend
  // (RFC 9110 §10.1.1); an unknown one passed on made the runtime answer 417 without a body.
  'expect',
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
  // Where the call came from.
  'forwarded',
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
  'client-ip',
  'x-cluster-client-ip',
  'x-originating-ip',
  'x-remote-ip',
  'x-remote-addr',
  'x-host',
  'x-original-host',
  'x-original-url',
  'x-original-uri',
  'x-rewrite-url',
  'fastly-client-ip',
  'akamai-client-ip',
  'x-appengine-user-ip',
  'via',
  // Who the caller is.
  'x-user',
  'x-user-id',
  'x-userid',
  'x-username',
  'x-user-email',
  'x-email',
  'x-remote-user',
  'remote-user',
  'x-auth-user',
  'x-authenticated-user',
  'x-authenticated-userid',
  'x-authenticated-scope',
  'x-credential-identifier',
  'x-anonymous-consumer',
  'x-client-cert',
  'x-client-verify',
  'x-client-dn',
  'ssl-client-cert',
  'x-arr-clientcert',
  'x-forwarded-client-cert',
  'x-amzn-oidc-data',
  'x-amzn-oidc-identity',
  'x-amzn-oidc-accesstoken',
  'x-ms-client-principal',
  'x-ms-client-principal-id',
  'x-ms-client-principal-name',
  'x-ms-client-principal-idp',
  'x-goog-authenticated-user-email',
  'x-goog-authenticated-user-id',
  'x-goog-iap-jwt-assertion',
]);
/**
 * Prefixes of whole families: the gateway's and WSO2's own, Kong's consumer headers, every
 * `X-Forwarded-*` (For, Host, Proto, Port, Prefix, Server, Uri, Ssl…), oauth2-proxy's
 * `X-Auth-Request-*`, client-certificate headers, and every `CF-*` header — Cloudflare's own
 * (CF-Connecting-IP, CF-Ray, CF-IPCountry, CF-Visitor) describe this hop, not the backend's, and
 * CF-Access-* would impersonate a Cloudflare Access identity.
 */
const STRIPPED_PREFIXES = ['x-turnpike-', 'x-consumer-', 'x-wso2-', 'x-forwarded-', 'x-auth-request-', 'x-ssl-', 'x-client-cert-', 'cf-'];

const NONE: ReadonlySet<string> = new Set();

/**
 * Headers are compared with `_` read as `-`: some backends (and CGI) treat them as the same name.
 * `name` comes from iterating a Headers object, which yields names in lower case (Fetch standard).
 */
export function mustStrip(name: string, apiKeyHeader: string, connectionListed: ReadonlySet<string> = NONE): boolean {
  const n = name.includes('_') ? name.replace(/_/g, '-') : name;
  if (STRIPPED.has(n) || n === apiKeyHeader || connectionListed.has(n)) return true;
  const first = n.charCodeAt(0);
  // Only names starting with `x` or `c` can carry a stripped prefix; most headers are neither.
  return (first === 0x78 || first === 0x63) && STRIPPED_PREFIXES.some((p) => n.startsWith(p));
}

export interface ForwardOptions {
  readonly endpoint: SnapshotEndpoint | undefined;
  readonly keyType: KeyType | null;
  readonly method: string;
  readonly rest: string;
  readonly search: string;
  readonly headers: Headers;
  /** `headers` as name/value pairs, when the caller already has them (the same entries, in the same order). */
  readonly headerPairs?: ReadonlyArray<readonly [string, string]> | null;
  /** The request body: the client's stream, or the form text the gateway had to read. */
  readonly body: ReadableStream | string | null;
  readonly apiKeyHeader: string;
  readonly clientIp: string | null;
  /** The URL the client called: its host and scheme go to the backend as X-Forwarded-Host / -Proto and in Forwarded. */
  readonly requestUrl: string;
  readonly requestId: string;
  readonly extraHeaders: Readonly<Record<string, string>>;
  /**
   * A WebSocket API's handshake (RFC 6455 §4.1): the gateway opens its own WebSocket to the backend,
   * so `Upgrade` goes out (for these calls only; it is stripped from every other) while the client's
   * `Sec-WebSocket-Key`/`-Version`/`-Extensions` do not — the runtime makes its own handshake.
   */
  readonly upgrade?: 'websocket';
  /**
   * SSE: no total deadline on the body (a stream is meant to last); the idle timeout between
   * chunks still holds, and `maxDurationMs` (the API's maximum connection duration) ends it.
   */
  readonly streaming?: { readonly maxDurationMs: number };
}

/** The runtime makes its own WebSocket handshake with the backend: the client's must not leak into it. */
const HANDSHAKE_OWN = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-extensions', 'sec-websocket-accept']);

// Round-robin positions and suspended URLs: bounded by the endpoints in one snapshot, and aged.
const cursor = new BoundedCache<SnapshotEndpoint, number>({ maxEntries: 10_000, maxAgeMs: 3_600_000 });
const suspended = new BoundedCache<string, true>({ maxEntries: 10_000, maxAgeMs: 3_600_000 });
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

export interface Forwarded {
  /** The backend's response, its body passed through the body guard. */
  readonly response: Response;
  /** How the body ended (null when there is none); a cut body is a backend error in usage. */
  readonly outcome: Promise<BodyOutcome> | null;
  /** `response` is the gateway's own copy (its headers can be set), not the fetched one (immutable headers). */
  readonly own: boolean;
}

export async function forward(options: ForwardOptions): Promise<Forwarded> {
  const { endpoint } = options;
  if (endpoint === undefined || endpoint.urls.length === 0) {
    throw new ApiError('endpoint-unavailable', { detail: `This API has no ${(options.keyType ?? 'PRODUCTION').toLowerCase()} endpoint` });
  }
  const headers = outboundHeaders(options);
  const order = candidates(endpoint);
  // A request body is a stream that can be read once: only bodiless idempotent calls fail over.
  const canRetry = IDEMPOTENT.has(options.method) && options.body === null && endpoint.strategy !== 'single';
  let lastError: ApiError | null = null;
  for (const target of canRetry || order.length === 1 ? order : order.slice(0, 1)) {
    const url = joinUrl(target.url, options.rest, options.search);
    const sentAt = Date.now();
    // One timer for the call: the header timeout, then a small body's own limits (body-guard.ts).
    const timer = new CallTimer(sentAt + target.timeoutMs, 'headers');
    let response: Response;
    try {
      response = await fetch(url, {
        method: options.method,
        headers,
        body: options.body,
        redirect: 'manual',
        signal: timer.signal,
      });
    } catch (cause) {
      timer.stop();
      lastError =
        timer.cutBy === 'headers'
          ? new ApiError('gateway-timeout', { detail: `The backend did not answer within ${target.timeoutMs} ms`, cause })
          : new ApiError('bad-gateway', { detail: 'The backend could not be reached', cause });
      if (endpoint.strategy === 'failover') suspended.set(target.url, true, endpoint.suspendSeconds * 1000);
      continue;
    }
    // A WebSocket handshake's answer carries the socket, not a body to guard.
    if (options.upgrade !== undefined || response.body === null) {
      timer.stop();
      return { response, outcome: null, own: false };
    }
    const endpointTimeouts = bodyTimeouts(target, sentAt);
    // An event stream is meant to last: the API's maximum duration replaces the endpoint's total deadline.
    const timeouts =
      options.streaming === undefined
        ? endpointTimeouts
        : { idleMs: endpointTimeouts.idleMs, deadline: sentAt + options.streaming.maxDurationMs };
    const length = declaredLength(response.headers);
    if (options.streaming === undefined && length !== null && length <= SMALL_BODY_BYTES) {
      // A body the runtime decodes (Content-Encoding) may be longer than its declared length: read to its end.
      const exact = response.headers.has('content-encoding') ? null : length;
      let read: Awaited<ReturnType<typeof readSmallBody>>;
      try {
        read = await readSmallBody(response.body, timer, timeouts, exact);
      } finally {
        timer.stop();
      }
      if (read.kind === 'complete') return { response: new Response(read.bytes, response), outcome: null, own: true };
      // Nothing has reached the client yet: the gateway's own answer, as for a header timeout.
      if (read.kind === 'cut')
        throw new ApiError('gateway-timeout', {
          detail: `The backend's body did not arrive within the endpoint's ${read.reason === 'idle' ? 'idle' : 'total'} timeout`,
        });
      throw new ApiError('bad-gateway', { detail: "The backend's body broke off" });
    }
    // A larger body streams under guardBody's own timers, which outlive the call: the runtime's fetch
    // would cut it at this timer's limit.
    timer.stop();
    const guarded = guardBody(response.body, timeouts);
    return { response: new Response(guarded.body, response), outcome: guarded.outcome, own: true };
  }
  throw lastError ?? new ApiError('bad-gateway');
}

function candidates(endpoint: SnapshotEndpoint): readonly SnapshotEndpoint['urls'][number][] {
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
  // One URL, or no strategy that reorders them: the snapshot's own list, not a copy per call.
  return urls;
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
  for (const [name, value] of forwardingHeaders(options.clientIp, options.requestUrl)) own.set(name, value);
  own.set('x-request-id', options.requestId);
  for (const [name, value] of Object.entries(options.extraHeaders)) own.set(name.toLowerCase(), value);
  const out: Array<[string, string]> = [];
  if (options.upgrade !== undefined) own.set('upgrade', options.upgrade);
  for (const [name, value] of options.headerPairs ?? options.headers) {
    if (options.upgrade !== undefined && (HANDSHAKE_OWN.has(name) || name === 'sec-websocket-protocol')) continue;
    if (!mustStrip(name, apiKeyHeader, connectionListed) && !own.has(name)) out.push([name, value]);
  }
  out.push(...own);
  return out;
}

/**
 * What the gateway vouches for about the call, replacing whatever the client sent: X-Forwarded-For
 * (the de-facto header) and Forwarded (RFC 7239 §4) from CF-Connecting-IP, which Cloudflare's edge
 * sets and a client cannot; the host and scheme the client used. A client address that does not
 * parse as IPv4 or IPv6 is left out (RFC 7239 §6.3 would call it `unknown`) rather than passed on.
 */
export function forwardingHeaders(clientIp: string | null, requestUrl: string): ReadonlyArray<readonly [string, string]> {
  const origin = originOf(requestUrl);
  const last = lastForwarding;
  if (last !== null && last.clientIp === clientIp && last.origin === origin) return last.headers;
  const headers = forwardingHeadersOf(clientIp, origin);
  lastForwarding = { clientIp, origin, headers };
  return headers;
}

/**
 * The last client address and origin and their headers: one entry, so bounded by construction, and
 * a pure function of its key, so never stale. Consecutive calls come from few clients to one host;
 * a URL parse and the address checks per call showed in profiles (decision 0060).
 */
let lastForwarding: { clientIp: string | null; origin: string; headers: ReadonlyArray<readonly [string, string]> } | null = null;

/**
 * The scheme and authority of an absolute URL: everything before the first `/`, `?`, `#` or `\`
 * after `://` (WHATWG URL: where a special URL's authority ends). Its host and scheme are the whole
 * URL's, so the headers built from it are the same.
 */
function originOf(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  for (let i = scheme + 3; i < url.length; i++) {
    const c = url.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23 || c === 0x5c) return url.slice(0, i);
  }
  return url;
}

function forwardingHeadersOf(clientIp: string | null, origin: string): Array<[string, string]> {
  const url = new URL(origin);
  const proto = url.protocol.replace(/:$/, '');
  const out: Array<[string, string]> = [];
  const ip = clientIp === null ? null : clientIp.trim();
  const v4 = ip !== null && /^\d{1,3}(\.\d{1,3}){3}$/.test(ip) && ip.split('.').every((p) => Number(p) <= 255);
  const v6 = ip !== null && !v4 && ip.includes(':') && /^[0-9a-f:.]+$/i.test(ip);
  const parts: string[] = [];
  if (ip !== null && (v4 || v6)) {
    out.push(['x-forwarded-for', ip]);
    // RFC 7239 §6: an IPv6 node is bracketed, and then the value must be a quoted-string.
    parts.push(v4 ? `for=${ip}` : `for="[${ip}]"`);
  }
  // A host may carry a port, so it is quoted (RFC 7239 §4: a token cannot hold `:`).
  parts.push(`host="${url.host}"`, `proto=${proto}`);
  out.push(['forwarded', parts.join(';')], ['x-forwarded-host', url.host], ['x-forwarded-proto', proto]);
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
