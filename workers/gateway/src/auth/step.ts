import { withBusyRetry } from '../../../shared/d1-retry.ts';
import { ApiError } from '../../../shared/problem.ts';
import type { GatewaySnapshot, SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import { meteredD1 } from '../metering/meter.ts';
import type { CallStep, Caller } from '../call.ts';
import type { CompiledSnapshot } from '../snapshot/store.ts';
import { assertNotBlocked } from '../throttle/blocking.ts';
import { checkBearer } from './bearer.ts';
import { findApiKey, ipAllowed, knownApiKey, referrerAllowed } from './api-key.ts';
import { CHALLENGE_NONE, challengeInvalid, extractCredential, type Credential } from './credentials.ts';

/**
 * The authentication step of a resource that asks for a credential (absent on `authType: none`):
 * the access token or API key, the resource's scopes, the blocking conditions on the application
 * and the user, and whether this environment and this API serve the caller's key type.
 */
/** `mocked`: a mock answers the resource (a prototype API), so it needs no endpoint. */
export function authenticationStep(
  snapshot: GatewaySnapshot,
  api: SnapshotApi,
  resource: SnapshotResource,
  mocked = false,
): CallStep | null {
  if (resource.authType === 'none') return null;
  const blocking = snapshot.blocking;
  const served = snapshot.keyTypes;
  return async function authenticate_(call) {
    const { request } = call;
    // A form body is read (bounded) only to see whether it smuggles a second token (RFC 6750 §2.2).
    const form = request.body === null ? null : await formBody(request);
    if (form !== null) call.body = form.text;
    // `call.headers`: a WebSocket handshake's subprotocol token is moved into Authorization there.
    const credential = extractCredential({
      headers: call.headers,
      search: call.search,
      apiKeyHeader: api.apiKeyHeader,
      bodyToken: form?.hasToken ?? false,
    });
    const caller = await authenticate(call.x.env, request.headers, call.clientIp, call.compiled, api, resource, credential);
    call.caller = caller;
    const usage = call.x.usage;
    if (usage !== undefined) {
      usage.applicationId = caller.applicationId;
      usage.keyType = caller.keyType;
      // last_used_at is written off the hot path, from the usage batch (usage/consumer.ts).
      if (credential.kind === 'api_key') usage.apiKeyId = caller.credentialId;
    }
    if (blocking !== undefined) assertNotBlocked(blocking, { applicationId: caller.applicationId, user: caller.user });
    // WSO2's environment type: a production (or sandbox) gateway serves that key type's calls only.
    if (served !== undefined && !served.includes(caller.keyType))
      throw new ApiError('endpoint-unavailable', {
        detail: `This gateway environment does not serve ${caller.keyType.toLowerCase()} keys`,
      });
    if (!mocked && api.endpoints[caller.keyType] === undefined)
      throw new ApiError('endpoint-unavailable', { detail: `This API has no ${caller.keyType.toLowerCase()} endpoint` });
  };
}

async function authenticate(
  env: Env,
  headers: Headers,
  clientIp: string | null,
  compiled: CompiledSnapshot,
  api: SnapshotApi,
  resource: SnapshotResource,
  credential: Credential,
): Promise<Caller> {
  if (credential.kind === 'none') {
    throw new ApiError('missing-credentials', {
      detail: 'This resource requires an access token or an API key',
      headers: { 'www-authenticate': CHALLENGE_NONE },
    });
  }
  if (credential.kind === 'api_key') {
    if (resource.authType === 'oauth2') {
      throw new ApiError('invalid-credentials', {
        detail: 'This resource accepts OAuth2 access tokens only',
        headers: { 'www-authenticate': challengeInvalid('access token required') },
      });
    }
    const known = knownApiKey(credential.key);
    const record = known !== undefined ? known : await findApiKey(() => withBusyRetry(meteredD1(env.DB)), credential.key);
    if (record === null || record.revoked) {
      throw new ApiError('invalid-credentials', {
        detail: 'The API key is invalid or revoked',
        headers: { 'www-authenticate': challengeInvalid('invalid api key') },
      });
    }
    if (record.expiresAt !== null && record.expiresAt <= Date.now()) {
      throw new ApiError('invalid-credentials', {
        detail: 'The API key has expired',
        headers: { 'www-authenticate': challengeInvalid('expired api key') },
      });
    }
    if (!ipAllowed(clientIp, record.allowedIps) || !referrerAllowed(headers.get('referer'), record.allowedReferrers)) {
      throw new ApiError('forbidden', { detail: 'This API key may not be used from here (IP or referrer restriction)' });
    }
    return {
      applicationId: record.applicationId,
      keyType: record.keyType,
      credentialId: record.id,
      issuedAt: record.createdAt,
      grantId: null,
      claims: null,
      user: record.ownerId,
      applicationTier: record.applicationTier,
    };
  }
  if (resource.authType === 'api_key') {
    throw new ApiError('invalid-credentials', {
      detail: 'This resource accepts API keys only',
      headers: { 'www-authenticate': challengeInvalid('api key required') },
    });
  }
  // Turnpike's verified-token cache, then the external key managers the API accepts, then Turnpike's own check.
  const checked = await checkBearer(env, credential.token, compiled, api);
  if (!checked.ok) {
    // Why, for the operator; the caller gets one answer whatever the check (STYLE.md: internal reasons off the wire).
    console.warn(JSON.stringify({ level: 'warn', message: 'access token refused', reason: checked.reason }));
    throw new ApiError('invalid-credentials', {
      detail: 'The access token is invalid or expired',
      headers: { 'www-authenticate': challengeInvalid('invalid access token') },
    });
  }
  const claims = checked.claims;
  if (resource.scopes.length > 0 && !resource.scopes.some((s) => claims.scopes.has(s))) {
    throw new ApiError('insufficient-scope', {
      detail: `This resource requires the scope ${resource.scopes.join(' or ')}`,
      headers: { 'www-authenticate': `Bearer realm="turnpike", error="insufficient_scope", scope="${resource.scopes.join(' ')}"` },
      extensions: { requiredScopes: resource.scopes },
    });
  }
  return {
    applicationId: claims.applicationId,
    keyType: claims.keyType,
    credentialId: claims.jti,
    issuedAt: claims.issuedAtMs,
    grantId: claims.grantId,
    claims,
    user: claims.sub,
    applicationTier: claims.applicationTier,
  };
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
