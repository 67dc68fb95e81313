import { SignJWT, exportJWK, importJWK, type CryptoKey as JoseKey, type JWK } from 'jose';
import { BoundedCache } from '../../../shared/lru.ts';
import type { AccessTokenClaims } from '../auth/access-token.ts';

/** The header WSO2's gateway uses for the backend JWT; backends written for WSO2 read it as is. */
export const BACKEND_JWT_HEADER = 'x-jwt-assertion';
const LIFETIME_SECONDS = 300;

interface GatewayKey {
  kid: string;
  alg: string;
  key: JoseKey | Uint8Array;
  publicJwk: JWK;
}

let parsed: { source: string; key: Promise<GatewayKey> } | null = null;

/** BACKEND_JWT_KEY: one private JWK (ES256, with kid). Parsed once per isolate. */
export function gatewayKey(env: Pick<Env, 'BACKEND_JWT_KEY'>): Promise<GatewayKey> {
  if (parsed === null || parsed.source !== env.BACKEND_JWT_KEY) parsed = { source: env.BACKEND_JWT_KEY, key: parse(env.BACKEND_JWT_KEY) };
  return parsed.key;
}

async function parse(source: string): Promise<GatewayKey> {
  const jwk = JSON.parse(source) as JWK;
  if (typeof jwk.kid !== 'string' || typeof jwk.alg !== 'string') throw new Error('BACKEND_JWT_KEY needs kid and alg');
  const key = await importJWK(jwk, jwk.alg);
  const publicKey = await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, jwk.alg);
  return { kid: jwk.kid, alg: jwk.alg, key, publicJwk: { ...(await exportJWK(publicKey)), kid: jwk.kid, alg: jwk.alg, use: 'sig' } };
}

// Signing costs far more than a lookup: one assertion per (token, API) is reused while it is valid.
const issued = new BoundedCache<string, string>({ maxEntries: 10_000, maxAgeMs: (LIFETIME_SECONDS - 30) * 1000 });

/**
 * The caller's context for the backend, signed by the gateway: application, subscriber, tier, key
 * type and API. Backends verify it against `/_turnpike/jwks`.
 */
export async function backendJwt(
  env: Pick<Env, 'BACKEND_JWT_KEY' | 'GATEWAY_ENVIRONMENT'>,
  claims: AccessTokenClaims,
  api: { id: string; context: string; version: string },
  tier: string,
): Promise<string> {
  const cacheKey = `${claims.jti}\n${api.id}\n${tier}`;
  const hit = issued.get(cacheKey);
  if (hit !== undefined) return hit;
  const key = await gatewayKey(env);
  const now = Math.floor(Date.now() / 1000);
  const jwt = await new SignJWT({
    application_id: claims.applicationId,
    client_id: claims.clientId,
    subscriber: claims.sub,
    tier,
    application_tier: claims.applicationTier,
    key_type: claims.keyType,
    api_id: api.id,
    api_context: api.context,
    api_version: api.version,
  })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' })
    .setIssuer(`turnpike-gateway:${env.GATEWAY_ENVIRONMENT}`)
    .setSubject(claims.sub)
    .setAudience(api.context)
    .setIssuedAt(now)
    .setExpirationTime(now + LIFETIME_SECONDS)
    .sign(key.key);
  issued.set(cacheKey, jwt, Math.min((LIFETIME_SECONDS - 30) * 1000, claims.expiresAtMs - Date.now()));
  return jwt;
}
