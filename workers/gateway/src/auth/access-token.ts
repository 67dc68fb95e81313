import { errors, jwtVerify, type JWTPayload, type JWTHeaderParameters } from 'jose';
import type { KeyType } from '../../../shared/db/schema.ts';
import { BoundedCache } from '../../../shared/lru.ts';
import type { CompiledSnapshot } from '../snapshot/store.ts';

/** What the gateway needs from an access token (RFC 9068 claims plus Turnpike's own). */
export interface AccessTokenClaims {
  readonly jti: string;
  readonly sub: string;
  readonly clientId: string;
  readonly applicationId: string;
  readonly keyType: KeyType;
  readonly scopes: ReadonlySet<string>;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly applicationTier: string | null;
  /** The refresh-token family (grant) the token was issued from, if any. */
  readonly grantId: string | null;
  /** Every claim as signed, for policies that match on a claim (conditional throttling). */
  readonly raw: Readonly<Record<string, unknown>>;
}

export type TokenCheck = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: string };

/** JWS compact tokens larger than this are refused before any parsing. */
export const MAX_TOKEN_LENGTH = 8192;
const CLOCK_TOLERANCE_SECONDS = 60;

// Verification is the largest CPU cost of a request; a verified token is remembered for at most a
// minute (and never past its `exp`). Revocation does not depend on this cache: the counter object
// checks every request against its revocation state.
const verified = new BoundedCache<string, { version: number; claims: AccessTokenClaims }>({ maxEntries: 10_000, maxAgeMs: 60_000 });

/**
 * The answer for a token this snapshot version already verified as Turnpike's own, without parsing
 * it; undefined when it is not in the verified-token cache. Asked before the external key managers'
 * check (auth/step.ts), which would otherwise decode every Turnpike token only to find Turnpike's issuer.
 */
export function cachedAccessToken(token: string, compiled: CompiledSnapshot, now = Date.now()): TokenCheck | undefined {
  const cached = verified.get(token, now);
  if (cached === undefined || cached.version !== compiled.snapshot.version) return undefined;
  if (cached.claims.expiresAtMs + CLOCK_TOLERANCE_SECONDS * 1000 <= now) return { ok: false, reason: 'token expired' };
  return { ok: true, claims: cached.claims };
}

export async function verifyAccessToken(token: string, compiled: CompiledSnapshot, now = Date.now()): Promise<TokenCheck> {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'token too large' };
  const cached = cachedAccessToken(token, compiled, now);
  if (cached !== undefined) return cached;
  try {
    const { payload } = await jwtVerify(token, (header: JWTHeaderParameters) => pinnedKey(header, compiled), {
      issuer: compiled.snapshot.issuer,
      audience: compiled.snapshot.audience,
      // RFC 9068 §4: the `typ` header must be at+jwt (jose compares it case-insensitively with application/ stripped).
      typ: 'at+jwt',
      algorithms: ['ES256', 'EdDSA'],
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat', 'jti', 'client_id'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now),
    });
    const claims = toClaims(payload);
    if (claims === null) return { ok: false, reason: 'token lacks required claims' };
    verified.set(token, { version: compiled.snapshot.version, claims }, claims.expiresAtMs - now, now);
    return { ok: true, claims };
  } catch (err) {
    if (err instanceof errors.JOSEError) return { ok: false, reason: err.code };
    return { ok: false, reason: 'token could not be parsed' };
  }
}

/**
 * The key is chosen by `kid` from the Key Manager's published keys only — never from `jku`, `x5u`
 * or an embedded `jwk` — and the header's `alg` must be the one that key was published for, which
 * defeats algorithm confusion (RFC 8725 §3.1).
 */
function pinnedKey(header: JWTHeaderParameters, compiled: CompiledSnapshot) {
  if ('jku' in header || 'x5u' in header || 'jwk' in header || 'x5c' in header) throw new errors.JWSInvalid('key-bearing header');
  const entry = typeof header.kid === 'string' ? compiled.keys.get(header.kid) : undefined;
  if (entry === undefined) throw new errors.JWKSNoMatchingKey();
  if (header.alg !== entry.alg) throw new errors.JOSEAlgNotAllowed('alg does not match the key');
  return entry.key;
}

function toClaims(p: JWTPayload): AccessTokenClaims | null {
  const applicationId = p['application_id'];
  const keyType = p['key_type'];
  const clientId = p['client_id'];
  if (typeof applicationId !== 'string' || typeof clientId !== 'string') return null;
  if (keyType !== 'PRODUCTION' && keyType !== 'SANDBOX') return null;
  if (typeof p.jti !== 'string' || typeof p.sub !== 'string' || typeof p.iat !== 'number' || typeof p.exp !== 'number') return null;
  const scope = typeof p['scope'] === 'string' ? p['scope'] : '';
  const tier = p['application_tier'];
  const grant = p['grant_id'];
  return {
    jti: p.jti,
    sub: p.sub,
    clientId,
    applicationId,
    keyType,
    scopes: new Set(scope.split(' ').filter((s) => s !== '')),
    issuedAtMs: p.iat * 1000,
    expiresAtMs: p.exp * 1000,
    applicationTier: typeof tier === 'string' ? tier : null,
    grantId: typeof grant === 'string' ? grant : null,
    raw: p,
  };
}
