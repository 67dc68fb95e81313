/** RFC 6749 §5.2 error responses: JSON, never cached; client authentication failures are 401 with a challenge. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type'
  // RFC 6749 §4.1.2.1's code for "temporarily overloaded", answered with 429 and Retry-After.
  | 'temporarily_unavailable';

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly description: string;
  /** Set when the client tried the Authorization header: RFC 6749 §5.2 asks for 401 and a matching challenge. */
  readonly challenge: boolean;
  /** Seconds a throttled caller should wait (RFC 9110 §10.2.3 Retry-After). */
  readonly retryAfter: number | undefined;

  constructor(code: OAuthErrorCode, description: string, options: { challenge?: boolean; retryAfter?: number } = {}) {
    super(description);
    this.code = code;
    this.description = description;
    this.challenge = options.challenge ?? false;
    this.retryAfter = options.retryAfter;
  }
}

const NO_STORE = { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' } as const;

export function oauthErrorResponse(error: OAuthError): Response {
  const status = error.code === 'invalid_client' ? 401 : error.code === 'temporarily_unavailable' ? 429 : 400;
  const headers = new Headers(NO_STORE);
  if (status === 401) headers.set('www-authenticate', 'Basic realm="turnpike", charset="UTF-8"');
  if (error.retryAfter !== undefined) headers.set('retry-after', String(error.retryAfter));
  return new Response(JSON.stringify({ error: error.code, error_description: error.description }), { status, headers });
}

export function oauthJson(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: NO_STORE });
}

/**
 * RFC 9110 §15.5.6: a method the endpoint does not take is a 405 naming those it does, with an
 * RFC 6749-style body so OAuth clients can read it like any other error of the endpoint.
 */
export function methodNotAllowed(allow: readonly string[]): Response {
  return new Response(JSON.stringify({ error: 'invalid_request', error_description: `Use ${allow.join(' or ')}` }), {
    status: 405,
    headers: { ...NO_STORE, allow: allow.join(', ') },
  });
}
