import type { Context } from 'hono';
import type { LimitStatus } from '../../../durable-objects/throttle/types.ts';
import { ApiError } from '../../shared/problem.ts';
import { verifyAccessToken } from './auth/access-token.ts';
import { CHALLENGE_NONE, challengeInvalid, extractCredential } from './auth/credentials.ts';
import { corsHeaders, preflight } from './cors/cors.ts';
import { BACKEND_JWT_HEADER, backendJwt } from './proxy/backend-jwt.ts';
import { forward } from './proxy/forward.ts';
import { canonicalPath } from './routing/canonical-path.ts';
import { currentSnapshot } from './snapshot/store.ts';
import { admitSubscription } from './throttle/admit.ts';
import { rateLimitHeaders } from './throttle/headers.ts';
import type { GatewayEnv } from './types.ts';

/**
 * The call path, in order: route, authenticate, authorize, throttle, proxy. Every step either
 * passes or throws an ApiError that the app renders as problem+json; nothing reaches the backend
 * until every check has passed.
 */
export async function handleApiCall(c: Context<GatewayEnv>): Promise<Response> {
  const request = c.req.raw;
  const { path, search } = canonicalPath(request.url);
  const compiled = await currentSnapshot(c.env, (p) => c.executionCtx.waitUntil(p));
  const match = compiled?.routes.match(request.method, path) ?? null;
  if (compiled === null || match === null) throw new ApiError('no-matching-resource', { detail: 'No API is deployed at this path' });
  const { api } = match;
  const usage = { apiId: api.id, applicationId: null as string | null, keyType: null as string | null };
  c.set('usage', usage);
  const cors = api.cors?.enabled === true ? api.cors : null;
  if (cors !== null) {
    const answer = preflight(cors, request);
    if (answer !== null) return answer;
    c.set('responseHeaders', corsHeaders(cors, request));
  }
  if (api.state === 'BLOCKED') throw new ApiError('api-blocked', { detail: `${api.name} ${api.version} is blocked by its publisher` });
  const resource = match.resource;
  if (resource === null) {
    if (match.allowed.length > 0) {
      throw new ApiError('method-not-allowed', { detail: `${request.method} is not defined for this resource`, headers: { allow: match.allowed.join(', ') } });
    }
    throw new ApiError('no-matching-resource', { detail: `No resource of ${api.name} ${api.version} matches ${match.rest}` });
  }

  const credential = extractCredential(request.headers, search, api.apiKeyHeader);
  let limits: readonly LimitStatus[] = [];
  let keyType: 'PRODUCTION' | 'SANDBOX' | null = null;
  const extraHeaders: Record<string, string> = { ...api.headerEdits?.request.set };

  if (resource.authType !== 'none') {
    if (credential.kind === 'none') {
      throw new ApiError('missing-credentials', { detail: 'This resource requires an access token or an API key', headers: { 'www-authenticate': CHALLENGE_NONE } });
    }
    if (credential.kind === 'api_key') {
      // API keys arrive with the Key Manager issue; until then they are refused, never waved through.
      throw new ApiError('invalid-credentials', { detail: 'API keys are not accepted for this resource', headers: { 'www-authenticate': challengeInvalid('api key not accepted') } });
    }
    if (resource.authType === 'api_key') {
      throw new ApiError('invalid-credentials', { detail: 'This resource accepts API keys only', headers: { 'www-authenticate': challengeInvalid('api key required') } });
    }
    const checked = await verifyAccessToken(credential.token, compiled);
    if (!checked.ok) {
      throw new ApiError('invalid-credentials', { detail: 'The access token is invalid or expired', headers: { 'www-authenticate': challengeInvalid('invalid access token') } });
    }
    const claims = checked.claims;
    if (resource.scopes.length > 0 && !resource.scopes.some((s) => claims.scopes.has(s))) {
      throw new ApiError('insufficient-scope', {
        detail: `This resource requires the scope ${resource.scopes.join(' or ')}`,
        headers: { 'www-authenticate': `Bearer realm="turnpike", error="insufficient_scope", scope="${resource.scopes.join(' ')}"` },
        extensions: { requiredScopes: resource.scopes },
      });
    }
    keyType = claims.keyType;
    usage.applicationId = claims.applicationId;
    usage.keyType = keyType;
    if (api.endpoints[keyType] === undefined) {
      throw new ApiError('endpoint-unavailable', { detail: `This API has no ${keyType.toLowerCase()} endpoint` });
    }
    const admitted = await admitSubscription(c.env, claims.applicationId, api.id, { keyType, credentialId: claims.jti, issuedAt: claims.issuedAtMs });
    limits = admitted.limits;
    if (api.backendJwt) extraHeaders[BACKEND_JWT_HEADER] = await backendJwt(c.env, claims, api, admitted.tier);
  }

  const response = await forward({
    endpoint: api.endpoints[keyType ?? 'PRODUCTION'],
    keyType,
    method: request.method,
    rest: match.rest,
    search,
    headers: withoutHeaders(request.headers, api.headerEdits?.request.remove ?? []),
    body: request.body,
    apiKeyHeader: api.apiKeyHeader,
    clientIp: request.headers.get('cf-connecting-ip'),
    requestId: c.var.requestId,
    extraHeaders,
  });
  const out = new Response(response.body, response);
  for (const name of api.headerEdits?.response.remove ?? []) out.headers.delete(name);
  for (const [name, value] of Object.entries({ ...api.headerEdits?.response.set, ...c.var.responseHeaders, ...rateLimitHeaders(limits) })) out.headers.set(name, value);
  return out;
}

function withoutHeaders(headers: Headers, names: readonly string[]): Headers {
  if (names.length === 0) return headers;
  const out = new Headers(headers);
  for (const name of names) out.delete(name);
  return out;
}
