import { ApiError } from '../../../shared/problem.ts';

export type Credential = { kind: 'bearer'; token: string } | { kind: 'api_key'; key: string } | { kind: 'none' };

/** RFC 6750 §3: no `error` attribute when the request carried no credentials at all. */
export const CHALLENGE_NONE = 'Bearer realm="turnpike"';
export const challengeInvalid = (description: string) =>
  `Bearer realm="turnpike", error="invalid_token", error_description="${description.replace(/["\\]/g, '')}"`;
/** RFC 6750 §3.1: a malformed request (e.g. a token sent by more than one method) is 400 `invalid_request`. */
export const challengeInvalidRequest = (description: string) =>
  `Bearer realm="turnpike", error="invalid_request", error_description="${description.replace(/["\\]/g, '')}"`;

/**
 * Size caps on what the gateway reads before it knows who is calling (RFC 6585 §5, 431): one
 * credential header (a JWT access token of this platform is under 2 KiB; 8 KiB leaves room for
 * large claim sets) and all request headers together (Cloudflare's own edge limit is larger, so
 * the gateway must set its own). Documented in docs/architecture.md.
 */
export const MAX_CREDENTIAL_HEADER_BYTES = 8 * 1024;
export const MAX_REQUEST_HEADER_BYTES = 32 * 1024;

/** Query parameters that carry an API key (WSO2 and Kong read `apikey`; `api_key` is common too). */
const API_KEY_PARAMS = ['apikey', 'api_key', 'api-key'];

const AUTH_SCHEME = /^\s*[A-Za-z][\w!#$%&'*+.^`|~-]*\s+[^\s=]/;

/**
 * Refuses a request whose headers together exceed MAX_REQUEST_HEADER_BYTES (name, value and `: ` /
 * CRLF). Returns the name/value pairs it walked, so that forwarding (proxy/forward.ts) does not walk
 * the same immutable headers a second time.
 */
export function assertHeadersWithinCap(headers: Headers): ReadonlyArray<readonly [string, string]> {
  let total = 0;
  const pairs: Array<[string, string]> = [];
  for (const pair of headers) {
    total += pair[0].length + pair[1].length + 4;
    pairs.push(pair);
  }
  if (total > MAX_REQUEST_HEADER_BYTES) {
    throw new ApiError('request-header-fields-too-large', {
      detail: `The request headers total ${total} bytes; the gateway accepts at most ${MAX_REQUEST_HEADER_BYTES}`,
    });
  }
  return pairs;
}

function capped(name: string, value: string | null): string | null {
  if (value !== null && value.length > MAX_CREDENTIAL_HEADER_BYTES) {
    throw new ApiError('request-header-fields-too-large', {
      detail: `The ${name} header is ${value.length} bytes; the gateway accepts at most ${MAX_CREDENTIAL_HEADER_BYTES}`,
    });
  }
  return value;
}

export interface CredentialSources {
  readonly headers: Headers;
  /** The raw query string, with its leading `?` (or empty). */
  readonly search: string;
  readonly apiKeyHeader: string;
  /** Whether a form body (application/x-www-form-urlencoded) carries `access_token` (RFC 6750 §2.2). */
  readonly bodyToken: boolean;
}

/**
 * Exactly one credential per request: a bearer token in `Authorization` (scheme case-insensitive,
 * RFC 7235 §2.1) or an API key in the API's header. Tokens and keys in the query string, and tokens
 * in a form body, are refused (RFC 6750 §2.2/§2.3 are MAYs we decline: URLs end up in logs) — and
 * any credential sent twice is refused however it was sent:
 * - a token by more than one method, or two `Authorization` headers: 400 `invalid_request`
 *   (RFC 6750 §2: "Clients MUST NOT use more than one method to transmit the token");
 * - an API key twice (two headers, header and query, two query parameters): 401, as Kong's key-auth;
 * - a token and an API key together: 401.
 */
export function extractCredential(sources: CredentialSources): Credential {
  const { headers, search, apiKeyHeader } = sources;
  const authorization = capped('Authorization', headers.get('authorization'));
  const apiKey = capped(apiKeyHeader, headers.get(apiKeyHeader));
  const query = search === '' || search === '?' ? null : new URLSearchParams(search);
  const queryTokens = query?.getAll('access_token').length ?? 0;
  let queryKeys = 0;
  if (query !== null) {
    // Each parameter whose name (any case) is one of the key parameters or the API's key header.
    const header = apiKeyHeader.toLowerCase();
    for (const k of query.keys()) {
      const name = k.toLowerCase();
      if (name === header || API_KEY_PARAMS.includes(name)) queryKeys += 1;
    }
  }
  // Header values of one name arrive joined with ", " (Fetch). A token (RFC 6750 §2.1 b64token) has
  // no comma, so each comma-separated part that reads `scheme credentials` is one more header;
  // the parameters of a single Digest-style value (`realm="x", nonce=…`) do not read so.
  // Without a comma there is one value, whatever it reads like: no split on the common path.
  const authorizationCount =
    authorization === null
      ? 0
      : authorization.includes(',')
        ? Math.max(1, authorization.split(',').filter((part) => AUTH_SCHEME.test(part)).length)
        : 1;
  const tokenCount = authorizationCount + queryTokens + (sources.bodyToken ? 1 : 0);
  const keyCount = (apiKey === null ? 0 : apiKey.includes(',') ? apiKey.split(',').length : 1) + queryKeys;
  if (tokenCount > 1) {
    throw new ApiError('invalid-request', {
      detail: 'Send the access token once, by one method (RFC 6750 §2)',
      headers: { 'www-authenticate': challengeInvalidRequest('token sent more than once') },
    });
  }
  if (keyCount > 1)
    throw new ApiError('invalid-credentials', {
      detail: 'Send one API key, once',
      headers: { 'www-authenticate': challengeInvalid('duplicate api key') },
    });
  if (tokenCount > 0 && keyCount > 0) {
    throw new ApiError('invalid-credentials', {
      detail: 'Send one credential, not both a token and an API key',
      headers: { 'www-authenticate': challengeInvalid('duplicate credentials') },
    });
  }
  if (queryTokens > 0) {
    throw new ApiError('invalid-credentials', {
      detail: 'Access tokens are not accepted in the query string',
      headers: { 'www-authenticate': challengeInvalid('token in query string') },
    });
  }
  if (sources.bodyToken) {
    throw new ApiError('invalid-credentials', {
      detail: 'Access tokens are not accepted in the request body',
      headers: { 'www-authenticate': challengeInvalid('token in request body') },
    });
  }
  if (queryKeys > 0) {
    throw new ApiError('invalid-credentials', {
      detail: 'API keys are not accepted in the query string; send it in the header',
      headers: { 'www-authenticate': challengeInvalid('api key in query string') },
    });
  }
  if (authorization !== null) {
    const match = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim());
    if (match === null || match[1] === undefined) {
      throw new ApiError('invalid-credentials', {
        detail: 'Authorization must be a single Bearer token',
        headers: { 'www-authenticate': challengeInvalid('malformed authorization header') },
      });
    }
    return { kind: 'bearer', token: match[1] };
  }
  if (apiKey !== null) return { kind: 'api_key', key: apiKey.trim() };
  return { kind: 'none' };
}
