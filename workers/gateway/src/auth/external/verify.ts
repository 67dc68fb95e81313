import { decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import { withBusyRetry } from '../../../../shared/d1-retry.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { BoundedCache } from '../../../../shared/lru.ts';
import type { SnapshotApi, SnapshotKeyManager } from '../../../../shared/snapshot.ts';
import { meteredD1 } from '../../metering/meter.ts';
import type { CompiledSnapshot } from '../../snapshot/store.ts';
import { MAX_TOKEN_LENGTH, type AccessTokenClaims, type TokenCheck } from '../access-token.ts';
import { mappedClient } from './clients.ts';
import { Introspector, LEEWAY_SECONDS } from './introspection.ts';
import { KeySets } from './key-sets.ts';

/** One per isolate: key sets and introspection answers outlive snapshot versions (keyed by URI / key manager). */
export const keySets = new KeySets();
export const introspector = new Introspector();

/** What a token said once checked, before its client is mapped (the mapping is looked up on every call, from its own cache). */
interface Checked {
  readonly km: SnapshotKeyManager;
  /** The key it was verified with; null for an introspected token. */
  readonly kid: string | null;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly expiresAtMs: number;
}

// Like Turnpike's own tokens: a verified external JWT is remembered for at most a minute and never
// past its `exp`; a hit still asks whether its key is published (rotated out: refused at once).
const verified = new BoundedCache<string, Checked>({ maxEntries: 10_000, maxAgeMs: 60_000 });

/** Each API's accepted key managers, resolved once per compiled snapshot. */
const acceptedByApi = new WeakMap<SnapshotApi, readonly SnapshotKeyManager[]>();

/** At most this many key managers are asked about one opaque token. */
const MAX_INTROSPECTIONS = 3;

function acceptedBy(compiled: CompiledSnapshot, api: SnapshotApi): readonly SnapshotKeyManager[] {
  let accepted = acceptedByApi.get(api);
  if (accepted === undefined) {
    const names = api.keyManagers ?? [];
    accepted = (compiled.snapshot.keyManagers ?? []).filter((k) => names.includes(k.name));
    acceptedByApi.set(api, accepted);
  }
  return accepted;
}

/**
 * Checks a bearer token against the external key managers the API accepts (decision 0036): a JWT
 * locally against its issuer's published keys, an opaque token by RFC 7662 introspection. Null when
 * the token is for Turnpike's own verification (the API accepts no external key manager, or the
 * JWT names Turnpike's issuer). A valid token whose client no developer has mapped is 403; a key
 * manager that cannot be reached is 503 (not the caller's fault, and nothing is let through).
 */
export async function verifyExternalToken(
  env: Env,
  token: string,
  compiled: CompiledSnapshot,
  api: SnapshotApi,
  now = Date.now(),
): Promise<TokenCheck | null> {
  const accepted = acceptedBy(compiled, api);
  if (accepted.length === 0) return null;
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'token too large' };
  let checked = verified.get(token, now);
  if (
    checked !== undefined &&
    (!accepted.includes(checked.km) ||
      (checked.kid !== null && checked.km.jwksUri !== null && !keySets.holds(checked.km.jwksUri, checked.kid, now)))
  ) {
    verified.delete(token);
    checked = undefined;
  }
  if (checked === undefined) {
    const jws = token.split('.').length === 3 ? readJwt(token) : null;
    if (jws !== null && jws.iss === compiled.snapshot.issuer) return null;
    const outcome = jws === null ? await introspect(env, token, accepted, now) : await verifyJwt(token, jws.iss, accepted, now);
    if (!outcome.ok) return outcome;
    checked = outcome.checked;
    verified.set(token, checked, checked.expiresAtMs - now, now);
  }
  if (checked.expiresAtMs + LEEWAY_SECONDS * 1000 <= now) return { ok: false, reason: 'token expired' };
  return { ok: true, claims: await toClaims(env, token, checked) };
}

function readJwt(token: string): { iss: string | undefined } | null {
  try {
    decodeProtectedHeader(token);
    return { iss: decodeJwt(token).iss };
  } catch {
    return null;
  }
}

type Outcome = { ok: true; checked: Checked } | { ok: false; reason: string };

async function verifyJwt(token: string, iss: string | undefined, accepted: readonly SnapshotKeyManager[], now: number): Promise<Outcome> {
  const km = accepted.find((k) => k.issuer === iss && k.jwksUri !== null);
  if (km === undefined || km.jwksUri === null) return { ok: false, reason: 'issuer not accepted for this API' };
  const header = decodeProtectedHeader(token);
  // The key comes from the registered jwks_uri only, never from the token (RFC 8725 §3.10).
  if ('jku' in header || 'x5u' in header || 'jwk' in header || 'x5c' in header) return { ok: false, reason: 'key-bearing header' };
  if (typeof header.kid !== 'string') return { ok: false, reason: 'no kid' };
  // RFC 9068 §4 asks for at+jwt; many providers (Auth0, Okta, Entra) still send JWT or nothing.
  if (header.typ !== undefined && !/^(application\/)?(at\+jwt|jwt)$/i.test(header.typ)) return { ok: false, reason: 'unexpected typ' };
  const lookup = await keySets.key(
    { jwksUri: km.jwksUri, jwksMaxAgeSeconds: km.jwksMaxAgeSeconds, jwksCooldownSeconds: km.jwksCooldownSeconds },
    header.kid,
    now,
  );
  if (!lookup.ok) {
    if (lookup.reason === 'unavailable')
      throw new ApiError('service-unavailable', {
        detail: `The signing keys of ${km.name} could not be fetched`,
        headers: { 'retry-after': String(km.jwksCooldownSeconds) },
      });
    return { ok: false, reason: 'unknown kid' };
  }
  if (header.alg !== lookup.key.alg) return { ok: false, reason: 'alg does not match the key' };
  try {
    const { payload } = await jwtVerify(token, lookup.key.key, {
      issuer: km.issuer,
      audience: km.audience,
      algorithms: [lookup.key.alg],
      requiredClaims: ['exp'],
      clockTolerance: LEEWAY_SECONDS,
      currentDate: new Date(now),
    });
    return { ok: true, checked: { km, kid: header.kid, payload, expiresAtMs: (payload.exp ?? 0) * 1000 } };
  } catch (err) {
    return { ok: false, reason: err instanceof errors.JOSEError ? err.code : 'token could not be parsed' };
  }
}

async function introspect(env: Env, token: string, accepted: readonly SnapshotKeyManager[], now: number): Promise<Outcome> {
  const candidates = accepted.filter((k) => k.introspection !== null).slice(0, MAX_INTROSPECTIONS);
  if (candidates.length === 0) return { ok: false, reason: 'opaque token and no introspection' };
  let unreachable: SnapshotKeyManager | null = null;
  for (const km of candidates) {
    const answer = await introspector.introspect(env.ENCRYPTION_KEY, km, token, now);
    if (!answer.ok) {
      unreachable = km;
      continue;
    }
    if (answer.result.active) {
      const exp = answer.result.claims['exp'];
      return {
        ok: true,
        checked: { km, kid: null, payload: answer.result.claims, expiresAtMs: typeof exp === 'number' ? exp * 1000 : now + 60_000 },
      };
    }
  }
  if (unreachable !== null)
    throw new ApiError('service-unavailable', {
      detail: `The introspection endpoint of ${unreachable.name} could not be reached`,
      headers: { 'retry-after': '5' },
    });
  return { ok: false, reason: 'inactive token' };
}

/** The claims the call path uses, read through the key manager's claim mappings, with the mapped application's. */
async function toClaims(env: Env, token: string, checked: Checked): Promise<AccessTokenClaims> {
  const p = checked.payload;
  const mapping = checked.km.claims;
  const clientId = p[mapping.clientId];
  if (typeof clientId !== 'string' || clientId === '') {
    throw new ApiError('external-client-not-mapped', {
      detail: `The token carries no client id (claim ${mapping.clientId}), so it cannot be mapped to a Turnpike application`,
    });
  }
  const client = await mappedClient(withBusyRetry(meteredD1(env.DB)), checked.km.id, clientId);
  if (client === null) {
    throw new ApiError('external-client-not-mapped', {
      detail: `The ${checked.km.name} client ${clientId} is not mapped to a Turnpike application; a developer maps it on the application's page in the Developer Portal`,
      extensions: { keyManager: checked.km.name, clientId },
    });
  }
  const scope = p[mapping.scopes];
  const scopes =
    typeof scope === 'string'
      ? scope.split(' ').filter((s) => s !== '')
      : Array.isArray(scope)
        ? scope.filter((s): s is string => typeof s === 'string')
        : [];
  const user = p[mapping.user];
  const iat = typeof p['iat'] === 'number' ? p['iat'] : typeof p['nbf'] === 'number' ? p['nbf'] : 0;
  return {
    // Revocation names a credential by id: `jti` where the provider sets one, else the token's own signature / text.
    jti: typeof p['jti'] === 'string' ? `${checked.km.name}:${p['jti']}` : `${checked.km.name}:${token.slice(-43)}`,
    sub: typeof user === 'string' && user !== '' ? user : clientId,
    clientId,
    applicationId: client.applicationId,
    keyType: client.keyType,
    scopes: new Set(scopes),
    // A token without `iat` counts as issued at the epoch: any revoked-before watermark of its application refuses it (fail closed).
    issuedAtMs: iat * 1000,
    expiresAtMs: checked.expiresAtMs,
    applicationTier: client.applicationTier,
    grantId: null,
    raw: p as JWTPayload,
  };
}
