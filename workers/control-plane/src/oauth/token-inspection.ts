/**
 * Introspection (RFC 7662) and revocation (RFC 7009): the two endpoints that take a token from the
 * caller. Both authenticate the client, count the call against the caller's limit, and only ever
 * act on what the caller is entitled to: its own tokens, or — for introspection — any token when an
 * admin made the client a resource server (`may_introspect`).
 */
import { eq, inArray } from 'drizzle-orm';
import { sha256Hex } from '../../../shared/crypto.ts';
import { schema, type Database } from '../db.ts';
import { revokeAccessToken } from '../gateway-sync/subscriptions.ts';
import { verifyOwnAccessToken } from './access-token.ts';
import { countCall, countingFailures, type LimitedEndpoint } from './caller-limit.ts';
import { authenticateClient, type AuthenticatedClient } from './client-auth.ts';
import { OAuthError, oauthJson } from './errors.ts';
import { revokeFamily } from './grants.ts';

export interface TokenRequest {
  readonly env: Env;
  readonly db: Database;
  readonly headers: Headers;
  readonly form: URLSearchParams;
  readonly ip: string;
}

/** The authenticated caller, its call counted; failed authentications count against the address. */
async function countedClient(endpoint: LimitedEndpoint, { env, db, headers, form, ip }: TokenRequest): Promise<AuthenticatedClient> {
  const client = await countingFailures(env, ip, () => authenticateClient(db, headers, form));
  await countCall(env, { kind: 'client', endpoint, id: client.id, resourceServer: endpoint === 'introspect' && client.mayIntrospect });
  return client;
}

function tokenOf(form: URLSearchParams): string {
  const token = form.get('token');
  if (token === null) throw new OAuthError('invalid_request', 'token is required');
  return token;
}

const refreshTokenRow = async (db: Database, token: string) =>
  (
    await db
      .select({ token: schema.refreshTokens, clientId: schema.applicationKeys.consumerKey })
      .from(schema.refreshTokens)
      .innerJoin(schema.applicationKeys, eq(schema.applicationKeys.id, schema.refreshTokens.applicationKeyId))
      .where(eq(schema.refreshTokens.tokenHash, await sha256Hex(token)))
      .limit(1)
  )[0];

/**
 * A verified access token not revoked since: neither it nor its grant is on the revocation list,
 * and it was issued after its client's last secret regeneration.
 */
export async function notRevoked(
  db: Database,
  claims: { jti: string; iat: number; client_id: string; grant_id?: unknown },
): Promise<boolean> {
  const grant = typeof claims.grant_id === 'string' ? claims.grant_id : null;
  const [revoked, key] = await db.batch([
    db
      .select({ jti: schema.revokedTokens.jti })
      .from(schema.revokedTokens)
      .where(inArray(schema.revokedTokens.jti, grant === null ? [claims.jti] : [claims.jti, grant]))
      .limit(1),
    db
      .select({ validAfter: schema.applicationKeys.tokensValidAfter })
      .from(schema.applicationKeys)
      .where(eq(schema.applicationKeys.consumerKey, claims.client_id))
      .limit(1),
  ]);
  const current = key[0];
  return revoked.length === 0 && current !== undefined && claims.iat * 1000 >= current.validAfter;
}

/**
 * RFC 7662 §2.2. §2.1 and §4: a caller not authorized to learn about a token gets exactly what an
 * unknown token gets, `{"active":false}` — so a client cannot probe which tokens other clients hold.
 */
export async function introspect(request: TokenRequest): Promise<Response> {
  const caller = await countedClient('introspect', request);
  const token = tokenOf(request.form);
  const { env, db } = request;
  const inactive = oauthJson({ active: false });
  const mayKnow = (clientId: string) => caller.mayIntrospect || clientId === caller.consumerKey;

  const refresh = await refreshTokenRow(db, token);
  if (refresh !== undefined) {
    const r = refresh.token;
    if (!mayKnow(refresh.clientId) || r.status !== 'ACTIVE' || r.expiresAt <= Date.now()) return inactive;
    return oauthJson({
      active: true,
      token_type: 'refresh_token',
      client_id: refresh.clientId,
      scope: r.scope,
      sub: r.userId,
      exp: Math.floor(r.expiresAt / 1000),
      iss: env.ISSUER,
    });
  }
  const claims = await verifyOwnAccessToken(env, token);
  if (claims === null || typeof claims.jti !== 'string' || typeof claims.iat !== 'number' || !mayKnow(claims.client_id)) return inactive;
  if (!(await notRevoked(db, { ...claims, jti: claims.jti, iat: claims.iat }))) return inactive;
  return oauthJson({
    active: true,
    scope: claims['scope'],
    client_id: claims.client_id,
    sub: claims.sub,
    aud: claims.aud,
    iss: claims.iss,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    token_type: 'Bearer',
    application_id: claims.application_id,
    key_type: claims.key_type,
  });
}

/**
 * RFC 7009 §2.1: the client may only revoke its own tokens; a refresh token revokes its whole grant,
 * access tokens included. §2.2: unknown tokens and other clients' tokens answer 200 and change nothing.
 */
export async function revoke(request: TokenRequest): Promise<Response> {
  const client = await countedClient('revoke', request);
  const token = tokenOf(request.form);
  const { env, db } = request;
  const done = new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
  const refresh = await refreshTokenRow(db, token);
  if (refresh !== undefined) {
    if (refresh.token.applicationKeyId === client.id) await revokeFamily(env, db, client, refresh.token.familyId);
    return done;
  }
  const claims = await verifyOwnAccessToken(env, token);
  if (claims !== null && claims.client_id === client.consumerKey && typeof claims.jti === 'string' && typeof claims.exp === 'number') {
    const expiresAt = claims.exp * 1000;
    await db
      .insert(schema.revokedTokens)
      .values({ jti: claims.jti, applicationId: claims.application_id, expiresAt })
      .onConflictDoNothing();
    await revokeAccessToken(env, db, claims.application_id, claims.jti, expiresAt);
  }
  return done;
}
