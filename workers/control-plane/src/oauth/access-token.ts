import { SignJWT, createLocalJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import { controlPlaneConfig } from '../config.ts';
import { randomString } from '../../../shared/ids.ts';
import { signingKeys } from '../keys/signing-keys.ts';
import type { AuthenticatedClient } from './client-auth.ts';

/**
 * An RFC 9068 access token: `typ` at+jwt, iss, sub, aud, exp, iat, jti, client_id, scope, plus what
 * the gateway decides on without a database (application, key type, application tier). It names no
 * subscriptions: the gateway asks the subscription's counter object on every call, so an
 * unsubscription bites at once rather than when the token expires (decision 0018).
 * The scopes are the caller's to check (scope.ts); they are signed as given.
 */
export async function issueAccessToken(
  env: Env,
  client: Pick<AuthenticatedClient, 'consumerKey' | 'applicationId' | 'keyType' | 'tokensValidAfter' | 'application'>,
  options: { subject: string; scopes: readonly string[]; grantId?: string },
) {
  const keys = await signingKeys(env);
  const ttl = controlPlaneConfig(env).ACCESS_TOKEN_TTL_SECONDS;
  // A token issued in the same second as a secret regeneration must not fall under its watermark.
  const iat = Math.max(Math.floor(Date.now() / 1000), Math.ceil(client.tokensValidAfter / 1000));
  const jti = randomString(24);
  const scope = options.scopes.join(' ');
  const token = await new SignJWT({
    client_id: client.consumerKey,
    scope,
    application_id: client.applicationId,
    key_type: client.keyType,
    application_tier: client.application.throttlingPolicy,
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
  return { token, jti, expiresIn: ttl, scope };
}

/** Verifies one of our own access tokens (for revocation and introspection); null if it is not one. */
export async function verifyOwnAccessToken(
  env: Env,
  token: string,
): Promise<(JWTPayload & { client_id: string; application_id: string; key_type: 'PRODUCTION' | 'SANDBOX' }) | null> {
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
    if (typeof clientId !== 'string' || typeof applicationId !== 'string' || (keyType !== 'PRODUCTION' && keyType !== 'SANDBOX'))
      return null;
    return { ...payload, client_id: clientId, application_id: applicationId, key_type: keyType };
  } catch (err) {
    if (err instanceof errors.JOSEError) return null;
    throw err;
  }
}
