/** RFC 6749 §5.2 error responses: JSON, never cached; client authentication failures are 401 with a challenge. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'invalid_grant' | 'unauthorized_client' | 'unsupported_grant_type' | 'invalid_scope' | 'unsupported_token_type';

export class OAuthError extends Error {
  readonly code: OAuthErrorCode;
  readonly description: string;
  /** Set when the client tried the Authorization header: RFC 6749 §5.2 asks for 401 and a matching challenge. */
  readonly challenge: boolean;

  constructor(code: OAuthErrorCode, description: string, challenge = false) {
    super(description);
    this.code = code;
    this.description = description;
    this.challenge = challenge;
  }
}

export function oauthErrorResponse(error: OAuthError): Response {
  const status = error.code === 'invalid_client' ? 401 : 400;
  const headers = new Headers({ 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' });
  if (status === 401) headers.set('www-authenticate', 'Basic realm="turnpike", charset="UTF-8"');
  return new Response(JSON.stringify({ error: error.code, error_description: error.description }), { status, headers });
}

export function oauthJson(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store', pragma: 'no-cache' } });
}
