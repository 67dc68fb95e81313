import { SignJWT, createLocalJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { eq, inArray } from 'drizzle-orm';
import { randomString } from '../../../shared/ids.ts';
import { schema, type Database } from '../db.ts';
import { signingKeys } from '../keys/signing-keys.ts';
import type { AuthenticatedClient } from './client-auth.ts';

/**
 * An RFC 9068 access token: `typ` at+jwt, iss, sub, aud, exp, iat, jti, client_id, scope, plus what
 * the gateway decides on without a database (application, key type, tiers, subscribed APIs).
 */
export async function issueAccessToken(env: Env, db: Database, client: AuthenticatedClient, options: { subject: string; requestedScope: string | null; grantId?: string }) {
  const subs = await db.select({ apiId: schema.subscriptions.apiId, tier: schema.subscriptions.tier }).from(schema.subscriptions).where(eq(schema.subscriptions.applicationId, client.applicationId));
  const allowed = await allowedScopes(db, subs.map((s) => s.apiId));
  // RFC 6749 §3.3: scopes requested but not allowed are dropped, and the granted set is returned.
  const granted = (options.requestedScope ?? '').split(' ').filter((s) => s !== '' && allowed.has(s));
  const keys = await signingKeys(env);
  const ttl = Number(env.ACCESS_TOKEN_TTL_SECONDS);
  // A token issued in the same second as a secret regeneration must not fall under its watermark.
  const iat = Math.max(Math.floor(Date.now() / 1000), Math.ceil(client.tokensValidAfter / 1000));
  const jti = randomString(24);
  const token = await new SignJWT({
    client_id: client.consumerKey,
    scope: granted.join(' '),
    application_id: client.applicationId,
    key_type: client.keyType,
    application_tier: client.application.throttlingPolicy,
    subscribed_apis: Object.fromEntries(subs.map((s) => [s.apiId, s.tier])),
    ...(options.grantId === undefined ? {} : { grant_id: options.grantId }),
  })
    .setProtectedHeader({ alg: keys.active.alg, kid: keys.active.kid, typ: 'at+jwt' })
    .setIssuer(env.ISSUER)
    .setSubject(options.subject)
    .setAudience(env.TOKEN_AUDIENCE)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ttl)
    .setJti(jti)
    .sign(keys.active.key);
  return { token, jti, expiresIn: ttl, scope: granted.join(' ') };
}

/** Scopes an application may be granted: those its subscribed APIs' resources ask for. */
async function allowedScopes(db: Database, apiIds: string[]): Promise<Set<string>> {
  if (apiIds.length === 0) return new Set();
  const rows = await db.select({ scopes: schema.apiResources.scopes }).from(schema.apiResources).where(inArray(schema.apiResources.apiId, apiIds));
  return new Set(rows.flatMap((r) => r.scopes));
}

/** Verifies one of our own access tokens (for revocation and introspection); null if it is not one. */
export async function verifyOwnAccessToken(env: Env, token: string): Promise<(JWTPayload & { client_id: string; application_id: string; key_type: 'PRODUCTION' | 'SANDBOX' }) | null> {
  if (token.length > 8192) return null;
  const keys = await signingKeys(env);
  try {
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [...keys.publicJwks] }), {
      issuer: env.ISSUER,
      audience: env.TOKEN_AUDIENCE,
      typ: 'at+jwt',
      algorithms: [...new Set(keys.publicJwks.map((k) => k.alg))],
      requiredClaims: ['jti', 'exp', 'iat', 'client_id', 'sub'],
    });
    const { client_id: clientId, application_id: applicationId, key_type: keyType } = payload as Record<string, unknown>;
    if (typeof clientId !== 'string' || typeof applicationId !== 'string' || (keyType !== 'PRODUCTION' && keyType !== 'SANDBOX')) return null;
    return { ...payload, client_id: clientId, application_id: applicationId, key_type: keyType };
  } catch (err) {
    if (err instanceof errors.JOSEError) return null;
    throw err;
  }
}
