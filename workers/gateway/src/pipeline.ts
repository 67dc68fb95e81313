import type { AdmitRequest, LimitStatus } from '../../../durable-objects/throttle/types.ts';
import type { CustomPolicy } from '../../shared/snapshot.ts';
import type { KeyType } from '../../shared/db/schema.ts';
import { withBusyRetry } from '../../shared/d1-retry.ts';
import { meteredD1 } from './metering/meter.ts';
import { counterStub } from './throttle/counters.ts';
import { ApiError } from '../../shared/problem.ts';
import type { SnapshotResource } from '../../shared/snapshot.ts';
import { verifyAccessToken, type AccessTokenClaims } from './auth/access-token.ts';
import { findApiKey, ipAllowed, referrerAllowed } from './auth/api-key.ts';
import { CHALLENGE_NONE, challengeInvalid, extractCredential, type Credential } from './auth/credentials.ts';
import { corsHeaders, preflight } from './cors/cors.ts';
import { BACKEND_JWT_HEADER, backendJwt } from './proxy/backend-jwt.ts';
import { backendSecurity } from './proxy/endpoint-security.ts';
import { forward } from './proxy/forward.ts';
import { canonicalPath } from './routing/canonical-path.ts';
import type { CompiledSnapshot } from './snapshot/store.ts';
import { currentSnapshot } from './snapshot/store.ts';
import { admitCall, admitShared, counterObjectName, subscriptionError, type SharedCounter } from './throttle/admit.ts';
import { assertNotBlocked } from './throttle/blocking.ts';
import { advancedCounters, customCounters, type CallFacts } from './throttle/conditions.ts';
import { rateLimitHeaders } from './throttle/headers.ts';
import type { Exchange } from './exchange.ts';
import { NO_STEPS } from './policies/compile.ts';
import type { InboundCall, StepCounter } from './policies/step.ts';

/** Who is calling, once the credential has been checked. */
interface Caller {
  readonly applicationId: string;
  readonly keyType: KeyType;
  /** `jti` of a token or id of an API key: what revocation names. */
  readonly credentialId: string;
  readonly issuedAt: number;
  readonly grantId: string | null;
  readonly claims: AccessTokenClaims | null;
  /** The user the call is made for (token `sub`, or the API key's application owner). */
  readonly user: string;
  readonly applicationTier: string | null;
}

/**
 * The call path, in order: route, authenticate, authorize, throttle, proxy. Every step either
 * passes or throws an ApiError that the app renders as problem+json; nothing reaches the backend
 * until every check has passed.
 */
export async function handleApiCall(x: Exchange): Promise<Response> {
  const { request, env, waitUntil } = x;
  const { path, search } = canonicalPath(request.url);
  const compiled = await currentSnapshot(env, waitUntil);
  // An environment bound to a hostname serves its APIs on that host only (WSO2's vhost).
  const host = compiled?.snapshot.hostname;
  const hostMatches = host === undefined || host === null || host === '' || new URL(request.url).hostname === host.toLowerCase();
  const match = hostMatches ? (compiled?.routes.match(request.method, path) ?? null) : null;
  if (compiled === null || match === null) throw new ApiError('no-matching-resource', { detail: 'No API is deployed at this path' });
  const { api } = match;
  const usage: NonNullable<Exchange['usage']> = { apiId: api.id, applicationId: null, keyType: null };
  x.usage = usage;
  const cors = api.cors?.enabled === true ? api.cors : null;
  if (cors !== null) {
    const answer = preflight(cors, request);
    if (answer !== null) return answer;
    x.responseHeaders = corsHeaders(cors, request);
  }
  const clientIp = request.headers.get('cf-connecting-ip');
  const blocking = compiled.snapshot.blocking;
  if (blocking !== undefined) assertNotBlocked(blocking, { api, ip: clientIp });
  if (api.state === 'BLOCKED') throw new ApiError('api-blocked', { detail: `${api.name} ${api.version} is blocked by its publisher` });
  const resource = match.resource;
  if (resource === null) {
    if (match.allowed.length > 0) {
      throw new ApiError('method-not-allowed', { detail: `${request.method} is not defined for this resource`, headers: { allow: match.allowed.join(', ') } });
    }
    throw new ApiError('no-matching-resource', { detail: `No resource of ${api.name} ${api.version} matches ${match.rest}` });
  }

  let limits: readonly LimitStatus[];
  let meter: ((bytes: number) => Promise<void>) | null = null;
  const extraHeaders: Record<string, string> = {};
  let upstreamHeaders = request.headers;
  let caller: Caller | null = null;
  let body: ReadableStream | string | null = request.body;
  const served = compiled.snapshot.keyTypes;
  const facts: CallFacts = { ip: clientIp, headers: request.headers, query: () => new URLSearchParams(search), claims: null };
  const steps = compiled.steps.get(resource) ?? NO_STEPS;
  if (resource.authType !== 'none') {
    // A form body is read (bounded) only to see whether it smuggles a second token (RFC 6750 §2.2).
    const form = await formBody(request);
    if (form !== null) body = form.text;
    const credential = extractCredential({ headers: request.headers, search, apiKeyHeader: api.apiKeyHeader, bodyToken: form?.hasToken ?? false });
    caller = await authenticate(env, request.headers, clientIp, compiled, resource, credential);
    usage.applicationId = caller.applicationId;
    usage.keyType = caller.keyType;
    if (blocking !== undefined) assertNotBlocked(blocking, { applicationId: caller.applicationId, user: caller.user });
    // WSO2's environment type: a production (or sandbox) gateway serves that key type's calls only.
    if (served !== undefined && !served.includes(caller.keyType)) throw new ApiError('endpoint-unavailable', { detail: `This gateway environment does not serve ${caller.keyType.toLowerCase()} keys` });
    if (api.endpoints[caller.keyType] === undefined) throw new ApiError('endpoint-unavailable', { detail: `This API has no ${caller.keyType.toLowerCase()} endpoint` });
  }
  // The policies run once the caller is known and before any quota is spent: a call a policy
  // refuses (request validation) costs its caller nothing and never reaches the backend.
  // Counters a step adds (a GraphQL operation's policy, complexity points) join the call's shared ones.
  let stepCounters: readonly StepCounter[] = [];
  if (steps.inbound.length > 0) {
    const call: InboundCall = { request, search, rest: match.rest, extraHeaders, headers: upstreamHeaders, body, applicationId: caller?.applicationId ?? null, scopes: caller?.claims?.scopes ?? null, counters: [], operation: null };
    for (const step of steps.inbound) {
      const pending = step(call);
      if (pending !== undefined) await pending;
    }
    upstreamHeaders = call.headers;
    body = call.body;
    stepCounters = call.counters;
    if (call.operation !== null) usage.operation = call.operation;
  }
  if (caller === null) {
    // Open resources are where limits matter most: the API's and the resource's policies (with
    // their conditional groups) and every custom policy that can be keyed without a caller.
    const shared: SharedCounter[] = [
      ...advancedCounters(counterObjectName.api(api.id), api.limits, api.conditional, facts),
      ...advancedCounters(counterObjectName.resource(api.id, resource.method, resource.pathTemplate), resource.limits, resource.conditional, facts),
      ...customCounters(anonymousPolicies(compiled.snapshot.customPolicies), { userId: '-', appId: '-', apiContext: api.context, apiVersion: api.version, clientIp }),
      ...stepCounters,
    ];
    limits = await admitShared(env, shared);
  } else {
    const known: Caller = caller;
    const callerFacts: CallFacts = { ...facts, claims: known.claims?.raw ?? null };
    const shared: SharedCounter[] = [
      { name: counterObjectName.application(known.applicationId), limits: known.applicationTier === null ? [] : (compiled.snapshot.applicationPolicies?.[known.applicationTier] ?? []) },
      ...advancedCounters(counterObjectName.api(api.id), api.limits, api.conditional, callerFacts),
      ...advancedCounters(counterObjectName.resource(api.id, resource.method, resource.pathTemplate), resource.limits, resource.conditional, callerFacts),
      ...customCounters(compiled.snapshot.customPolicies, { userId: known.user, appId: known.applicationId, apiContext: api.context, apiVersion: api.version, clientIp }),
      ...stepCounters,
    ];
    const admitRequest: AdmitRequest = { keyType: known.keyType, credentialId: known.credentialId, issuedAt: known.issuedAt, ...(known.grantId === null ? {} : { grantId: known.grantId }) };
    const admitted = await admitCall(env, { applicationId: known.applicationId, apiId: api.id, request: admitRequest, shared }, waitUntil).catch((err: unknown) => deadApplication(env, known.applicationId, admitRequest, err));
    limits = admitted.limits;
    meter = admitted.meter;
    if (api.backendJwt && known.claims !== null) extraHeaders[BACKEND_JWT_HEADER] = await backendJwt(env, known.claims, api, admitted.tier);
  }

  // An open resource goes to the endpoint of the key type the environment serves (production first).
  const endpoint = api.endpoints[caller?.keyType ?? (served === undefined || served.includes('PRODUCTION') ? 'PRODUCTION' : 'SANDBOX')];
  if (endpoint?.security !== undefined) Object.assign(extraHeaders, await backendSecurity(env, endpoint.security));
  const { response, outcome } = await forward({
    endpoint,
    keyType: caller?.keyType ?? null,
    method: request.method,
    rest: match.rest,
    search,
    headers: upstreamHeaders,
    body,
    apiKeyHeader: api.apiKeyHeader,
    clientIp,
    requestUrl: request.url,
    requestId: x.requestId,
    extraHeaders,
  });
  x.bodyOutcome = outcome;
  const out = new Response(meter === null ? response.body : metered(response, meter, waitUntil), response);
  const headers = out.headers;
  for (const step of steps.outbound) step(headers);
  if (x.responseHeaders !== null) setAll(headers, x.responseHeaders);
  if (limits.length > 0) setAll(headers, rateLimitHeaders(limits));
  return out;
}

async function authenticate(env: Env, headers: Headers, clientIp: string | null, compiled: CompiledSnapshot, resource: SnapshotResource, credential: Credential): Promise<Caller> {
  if (credential.kind === 'none') {
    throw new ApiError('missing-credentials', { detail: 'This resource requires an access token or an API key', headers: { 'www-authenticate': CHALLENGE_NONE } });
  }
  if (credential.kind === 'api_key') {
    if (resource.authType === 'oauth2') {
      throw new ApiError('invalid-credentials', { detail: 'This resource accepts OAuth2 access tokens only', headers: { 'www-authenticate': challengeInvalid('access token required') } });
    }
    const record = await findApiKey(withBusyRetry(meteredD1(env.DB)), credential.key);
    if (record === null || record.revoked) {
      throw new ApiError('invalid-credentials', { detail: 'The API key is invalid or revoked', headers: { 'www-authenticate': challengeInvalid('invalid api key') } });
    }
    if (record.expiresAt !== null && record.expiresAt <= Date.now()) {
      throw new ApiError('invalid-credentials', { detail: 'The API key has expired', headers: { 'www-authenticate': challengeInvalid('expired api key') } });
    }
    if (!ipAllowed(clientIp, record.allowedIps) || !referrerAllowed(headers.get('referer'), record.allowedReferrers)) {
      throw new ApiError('forbidden', { detail: 'This API key may not be used from here (IP or referrer restriction)' });
    }
    return { applicationId: record.applicationId, keyType: record.keyType, credentialId: record.id, issuedAt: record.createdAt, grantId: null, claims: null, user: record.ownerId, applicationTier: record.applicationTier };
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
  return { applicationId: claims.applicationId, keyType: claims.keyType, credentialId: claims.jti, issuedAt: claims.issuedAtMs, grantId: claims.grantId, claims, user: claims.sub, applicationTier: claims.applicationTier };
}

/**
 * A call refused as unsubscribed may come from an application that no longer exists: its own
 * counter object (removed with the application) says so, and then the credential is dead — 401
 * `invalid_token`, not 403. Asked on this refusal only, so the hot path pays nothing.
 */
async function deadApplication(env: Env, applicationId: string, request: AdmitRequest, err: unknown): Promise<never> {
  if (!(err instanceof ApiError) || err.code !== 'subscription-not-found') throw err;
  const answer = await counterStub(env, counterObjectName.application(applicationId))
    .admit(request)
    .catch(() => null);
  if (answer !== null && !answer.ok && answer.error.kind === 'revoked') throw subscriptionError(answer.error);
  throw err;
}

/** Custom policies an anonymous call can be counted by: keyed by address, context or version, never by a caller it does not have. */
function anonymousPolicies(policies: readonly CustomPolicy[] | undefined): CustomPolicy[] {
  return (policies ?? []).filter((p) => !/\$(userId|appId)\b/.test(p.keyTemplate));
}

const FORM_TOKEN_SCAN_BYTES = 64 * 1024;

/**
 * An `application/x-www-form-urlencoded` body up to FORM_TOKEN_SCAN_BYTES, read so its
 * `access_token` parameter can be seen (and the text forwarded in its place); null for any other
 * body. A larger form is streamed on unread: the gateway never accepts a token from a body anyway.
 */
async function formBody(request: Request): Promise<{ text: string; hasToken: boolean } | null> {
  if (request.body === null) return null;
  const type = request.headers.get('content-type');
  if (type === null || !/^application\/x-www-form-urlencoded\s*(;|$)/i.test(type)) return null;
  const length = Number(request.headers.get('content-length'));
  if (!Number.isInteger(length) || length < 0 || length > FORM_TOKEN_SCAN_BYTES) return null;
  const text = await request.text();
  return { text, hasToken: new URLSearchParams(text).has('access_token') };
}

function setAll(headers: Headers, values: Readonly<Record<string, string>>): void {
  for (const name in values) headers.set(name, values[name] ?? '');
}

/**
 * The response body, with its bytes charged to bandwidth quotas once known: from Content-Length when
 * the backend sent one, else counted as the body streams through; either way after the client has
 * it, off the response path.
 */
function metered(response: Response, meter: (bytes: number) => Promise<void>, waitUntil: (p: Promise<unknown>) => void): ReadableStream<Uint8Array> | null {
  const declared = Number(response.headers.get('content-length'));
  if (response.body === null || (Number.isInteger(declared) && declared >= 0 && response.headers.has('content-length'))) {
    waitUntil(meter(response.body === null ? 0 : declared));
    return response.body;
  }
  let bytes = 0;
  return response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
      flush() {
        waitUntil(meter(bytes));
      },
    }),
  );
}
