/**
 * OpenID Connect on top of the authorization-code grant: the `openid` scope makes the token
 * response carry an id_token (OIDC Core §3.1.3.3) and lets the access token read `userinfo`
 * (§5.3). The identity scopes are the user's, not an API's: they are grantable to every client of
 * the code flow, whatever it subscribes to.
 */
import { SignJWT } from 'jose';
import { eq } from 'drizzle-orm';
import { base64url } from '../../../shared/crypto.ts';
import { schema, type Database } from '../db.ts';
import { signingKeys } from '../keys/signing-keys.ts';
import { verifyOwnAccessToken } from './access-token.ts';
import { scopeList } from './scope.ts';
import { notRevoked } from './token-inspection.ts';

/** OIDC Core §5.4: `openid` asks for an id_token; `profile` and `email` for claims about the user. */
export const OIDC_SCOPES = ['openid', 'profile', 'email'] as const;
export const OPENID = 'openid';

/** The user claims each scope releases (OIDC Core §5.4), as far as Turnpike knows them. */
export async function userClaims(
  db: Database,
  userId: string,
  scopes: readonly string[],
): Promise<Record<string, string | boolean> | null> {
  const user = (
    await db
      .select({
        email: schema.users.email,
        name: schema.users.displayName,
        verified: schema.users.emailVerified,
        status: schema.users.status,
      })
      .from(schema.users)
      .where(eq(schema.users.id, userId))
      .limit(1)
  )[0];
  if (user === undefined || user.status !== 'ACTIVE') return null;
  return {
    ...(scopes.includes('profile') ? { name: user.name } : {}),
    ...(scopes.includes('email') ? { email: user.email, email_verified: user.verified } : {}),
  };
}

/**
 * OIDC Core §3.1.3.6 at_hash: the left half of the SHA-256 of the access token, base64url — binds the
 * id_token to the access token issued with it (ES256 and RS256 both hash with SHA-256).
 */
async function atHash(accessToken: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(accessToken)));
  return base64url(digest.slice(0, digest.length / 2));
}

/**
 * The id_token of a code grant (OIDC Core §2, §3.1.3.7): iss, sub (the user), aud and azp (the
 * client), exp, iat, the request's nonce, at_hash, and the claims the scopes release.
 * It lives no longer than the access token, so the longest token lifetime (which bounds when a
 * rotated-out signing key may retire) stays ACCESS_TOKEN_TTL_SECONDS.
 */
export async function issueIdToken(
  env: Env,
  db: Database,
  options: { clientId: string; userId: string; scopes: readonly string[]; nonce: string | null; accessToken: string },
): Promise<string | null> {
  const claims = await userClaims(db, options.userId, options.scopes);
  if (claims === null) return null;
  const keys = await signingKeys(env);
  const iat = Math.floor(Date.now() / 1000);
  return new SignJWT({
    ...claims,
    azp: options.clientId,
    at_hash: await atHash(options.accessToken),
    ...(options.nonce === null ? {} : { nonce: options.nonce }),
  })
    .setProtectedHeader({ alg: keys.active.alg, kid: keys.active.kid, typ: 'JWT' })
    .setIssuer(env.ISSUER)
    .setSubject(options.userId)
    .setAudience(options.clientId)
    .setIssuedAt(iat)
    .setExpirationTime(iat + Number(env.ACCESS_TOKEN_TTL_SECONDS))
    .sign(keys.active.key);
}

/** RFC 6750 §3: a refused bearer token, with the challenge that says why. */
function bearerError(
  status: 400 | 401 | 403,
  error: 'invalid_request' | 'invalid_token' | 'insufficient_scope',
  description: string,
): Response {
  return new Response(JSON.stringify({ error, error_description: description }), {
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      'www-authenticate': `Bearer realm="turnpike", error="${error}", error_description="${description}"${error === 'insufficient_scope' ? ` scope="${OPENID}"` : ''}`,
    },
  });
}

/**
 * OIDC Core §5.3 UserInfo: the access token in the Authorization header (RFC 6750 §2.1), verified,
 * not revoked, holding `openid` and issued for a user (a client's own token has no user).
 */
export async function userinfo(env: Env, db: Database, headers: Headers): Promise<Response> {
  const authorization = headers.get('authorization');
  const token = authorization !== null && /^bearer [^\s]+$/i.test(authorization) ? authorization.slice(7) : null;
  if (token === null)
    return new Response(JSON.stringify({ error: 'invalid_request', error_description: 'A bearer access token is required' }), {
      status: 401,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'www-authenticate': 'Bearer realm="turnpike"' },
    });
  const claims = await verifyOwnAccessToken(env, token);
  if (
    claims === null ||
    typeof claims.jti !== 'string' ||
    typeof claims.iat !== 'number' ||
    typeof claims.sub !== 'string' ||
    !(await notRevoked(db, { ...claims, jti: claims.jti, iat: claims.iat }))
  )
    return bearerError(401, 'invalid_token', 'The access token is invalid, expired or revoked');
  const scopes = scopeList(typeof claims['scope'] === 'string' ? claims['scope'] : '');
  if (!scopes.includes(OPENID)) return bearerError(403, 'insufficient_scope', 'The access token was not granted the openid scope');
  const released = await userClaims(db, claims.sub, scopes);
  if (released === null) return bearerError(401, 'invalid_token', 'The user of this token is no longer active');
  return new Response(JSON.stringify({ sub: claims.sub, ...released }), {
    status: 200,
    headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  });
}
