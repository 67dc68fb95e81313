import type { ApiError } from '../../../shared/problem.ts';

/**
 * How the gateway ends a WebSocket it proxies (RFC 6455 §7.4: 4000–4999 are for applications;
 * the 44xx mirror the HTTP status a request would have got). Documented in docs/architecture.md
 * ("WebSocket APIs") and decision 0042. A frame over its limit is not a close: it gets an error
 * frame (see relay.ts) and the connection stays open.
 */
export const CLOSE = {
  /** The credential was revoked or expired, or its application deleted. */
  credential: 4401,
  /** The subscription was blocked or removed, the API blocked or undeployed, or a blocking condition matches. */
  forbidden: 4403,
  /** No frame either way for the API's idle timeout. */
  idle: 4408,
  /** The API's maximum connection duration passed. */
  maxDuration: 4410,
  /** The backend's WebSocket failed, or went away without a close frame (RFC 6455 1006 cannot be sent). */
  backendError: 1011,
  normal: 1000,
} as const;

/** The close code for an error that ends an open connection (a refusal at the next frame or check). */
export function closeCodeFor(error: ApiError): number {
  return error.code === 'invalid-credentials' ? CLOSE.credential : CLOSE.forbidden;
}

/**
 * The code the other side's close is passed on with. 1005 (no status) and 1006 (abnormal) are never
 * sent on the wire (RFC 6455 §7.4.1), and a peer's code outside the sendable ranges is not relayed.
 */
export function relayedCloseCode(code: number): number {
  if (code === 1005) return CLOSE.normal;
  if ((code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)) return code;
  return CLOSE.backendError;
}

/** A close reason is at most 123 bytes of UTF-8 (RFC 6455 §5.5: 125 for the control frame, 2 for the code). */
export function closeReason(text: string): string {
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength <= 123) return text;
  return new TextDecoder().decode(bytes.slice(0, 120)).replace(/\uFFFD+$/, '') + '...';
}
