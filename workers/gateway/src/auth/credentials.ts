import { ApiError } from '../../../shared/problem.ts';

export type Credential = { kind: 'bearer'; token: string } | { kind: 'api_key'; key: string } | { kind: 'none' };

/** RFC 6750 §3: no `error` attribute when the request carried no credentials at all. */
export const CHALLENGE_NONE = 'Bearer realm="turnpike"';
export const challengeInvalid = (description: string) =>
  `Bearer realm="turnpike", error="invalid_token", error_description="${description.replace(/["\\]/g, '')}"`;

/**
 * Exactly one credential per request: a bearer token in `Authorization` (scheme case-insensitive,
 * RFC 7235 §2.1) or an API key in the API's header. Tokens in the query string are refused
 * (RFC 6750 §2.3 is a MAY we decline: URLs end up in logs).
 */
export function extractCredential(headers: Headers, search: string, apiKeyHeader: string): Credential {
  const authorization = headers.get('authorization');
  const apiKey = headers.get(apiKeyHeader);
  if (search !== '' && /[?&]access_token=/i.test(search)) {
    throw new ApiError('invalid-credentials', { detail: 'Access tokens are not accepted in the query string', headers: { 'www-authenticate': challengeInvalid('token in query string') } });
  }
  if (authorization !== null && apiKey !== null) {
    throw new ApiError('invalid-credentials', { detail: 'Send one credential, not both a token and an API key', headers: { 'www-authenticate': challengeInvalid('duplicate credentials') } });
  }
  if (authorization !== null) {
    const match = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(authorization.trim());
    if (match === null || match[1] === undefined) {
      throw new ApiError('invalid-credentials', { detail: 'Authorization must be a single Bearer token', headers: { 'www-authenticate': challengeInvalid('malformed authorization header') } });
    }
    return { kind: 'bearer', token: match[1] };
  }
  if (apiKey !== null) {
    if (apiKey.includes(',')) throw new ApiError('invalid-credentials', { detail: 'Send one API key', headers: { 'www-authenticate': challengeInvalid('duplicate credentials') } });
    return { kind: 'api_key', key: apiKey.trim() };
  }
  return { kind: 'none' };
}
