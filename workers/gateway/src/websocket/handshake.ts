import { ApiError } from '../../../shared/problem.ts';
import { DEFAULT_STREAMING, type Streaming } from '../../../shared/revision.ts';
import type { SnapshotApi } from '../../../shared/snapshot.ts';

/**
 * A browser cannot set `Authorization` on a WebSocket (the WHATWG WebSocket API takes a URL and
 * subprotocols only), so the handshake may carry the access token as an offered subprotocol
 * `bearer.<token>` (as Kubernetes does with `base64url.bearer.authorization.k8s.io.<token>`): a JWT
 * is base64url parts joined by dots, all `token` characters, as RFC 6455 §4.1 requires of a
 * subprotocol. The gateway takes it out of the offer: it never reaches the backend and is never
 * selected back to the client.
 */
export const BEARER_SUBPROTOCOL_PREFIX = 'bearer.';

/**
 * The subprotocol a browser offers beside `bearer.<token>` so that the handshake can succeed against
 * a backend that selects none: a client that offered subprotocols fails the connection when the
 * answer selects none of them (Chromium: "Sent non-empty 'Sec-WebSocket-Protocol' header but no
 * response was received"; RFC 6455 §4.1 lets a client require one). The token itself is never
 * selected back, so the gateway selects this one instead when the backend selected nothing; like
 * the token, the backend never sees it offered (decision 0053).
 */
export const BEARER_ACK_SUBPROTOCOL = 'turnpike.bearer';

/** RFC 6455 §4.1 (and §4.2.1): a GET whose `Upgrade` names websocket and whose `Connection` lists upgrade. */
export function isWebSocketHandshake(request: Request): boolean {
  if (request.method !== 'GET') return false;
  const upgrade = request.headers.get('upgrade');
  return upgrade !== null && upgrade.split(',').some((p) => p.trim().toLowerCase() === 'websocket');
}

export interface HandshakeCredentials {
  /** The request headers, with a token from the subprotocol or (if allowed) the query moved into `Authorization`. */
  readonly headers: Headers;
  /** The query, less `access_token` when it was accepted. */
  readonly search: string;
  /** The subprotocols the client offered, less the credential: what the backend is offered. */
  readonly protocols: readonly string[];
  /** The subprotocol to select when the backend selects none: BEARER_ACK_SUBPROTOCOL when the client offered it, else null. */
  readonly fallbackProtocol: string | null;
}

/**
 * Where a WebSocket handshake's token may come from, in the gateway's one credential shape: the
 * `Authorization` header, a `bearer.` subprotocol, or — only when the publisher allows it, for
 * browsers — `?access_token=` (RFC 6750 §2.3 warns it ends up in logs; the gateway never forwards
 * it). Two of them at once are refused, as RFC 6750 §2 asks of any request.
 */
export function handshakeCredentials(request: Request, search: string, streaming: Streaming): HandshakeCredentials {
  const offered = (request.headers.get('sec-websocket-protocol') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const protocolTokens = offered
    .filter((p) => p.startsWith(BEARER_SUBPROTOCOL_PREFIX))
    .map((p) => p.slice(BEARER_SUBPROTOCOL_PREFIX.length));
  const protocols = offered.filter((p) => !p.startsWith(BEARER_SUBPROTOCOL_PREFIX) && p !== BEARER_ACK_SUBPROTOCOL);
  const fallbackProtocol = offered.includes(BEARER_ACK_SUBPROTOCOL) ? BEARER_ACK_SUBPROTOCOL : null;
  let query = search;
  let queryToken: string | null = null;
  if (streaming.allowQueryToken && search.length > 1) {
    const params = new URLSearchParams(search);
    const tokens = params.getAll('access_token');
    if (tokens.length > 1) throw new ApiError('invalid-request', { detail: 'Send the access token once, by one method (RFC 6750 §2)' });
    queryToken = tokens[0] ?? null;
    if (queryToken !== null) {
      params.delete('access_token');
      const rest = params.toString();
      query = rest === '' ? '' : `?${rest}`;
    }
  }
  const moved = [...protocolTokens, ...(queryToken === null ? [] : [queryToken])];
  if (moved.length === 0) {
    if (fallbackProtocol === null) return { headers: request.headers, search, protocols, fallbackProtocol };
    const headers = new Headers(request.headers);
    if (protocols.length === 0) headers.delete('sec-websocket-protocol');
    else headers.set('sec-websocket-protocol', protocols.join(', '));
    return { headers, search, protocols, fallbackProtocol };
  }
  if (moved.length > 1 || request.headers.has('authorization')) {
    throw new ApiError('invalid-request', {
      detail: 'Send the access token once: in Authorization, a bearer. subprotocol or the query, not several',
      headers: { 'www-authenticate': 'Bearer realm="turnpike", error="invalid_request"' },
    });
  }
  const headers = new Headers(request.headers);
  headers.set('authorization', `Bearer ${moved[0] ?? ''}`);
  headers.delete('sec-websocket-protocol');
  return { headers, search: query, protocols, fallbackProtocol };
}

/**
 * A WS API's handshake, checked and with its credential in one place; anything else is 426 (RFC
 * 9110 §15.5.22 asks for an `Upgrade` header naming the protocol; `wrangler dev`'s proxy drops it as
 * hop-by-hop, so the problem's detail names it too).
 */
export function webSocketHandshake(
  request: Request,
  search: string,
  api: Pick<SnapshotApi, 'name' | 'version' | 'streaming'>,
): HandshakeCredentials {
  if (!isWebSocketHandshake(request)) {
    throw new ApiError('upgrade-required', {
      detail: `${api.name} ${api.version} is a WebSocket API: open it with a WebSocket handshake (RFC 6455 §4.1)`,
      headers: { upgrade: 'websocket' },
    });
  }
  return handshakeCredentials(request, search, api.streaming ?? DEFAULT_STREAMING);
}
