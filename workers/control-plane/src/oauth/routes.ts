import { eq, inArray } from 'drizzle-orm';
import { Hono, type Context } from 'hono';
import { sha256Hex } from '../../../shared/crypto.ts';
import { schema } from '../db.ts';
import { revokeAccessToken } from '../gateway-sync/subscriptions.ts';
import { signingKeys } from '../keys/signing-keys.ts';
import type { AppEnv } from '../types.ts';
import { issueAccessToken, verifyOwnAccessToken } from './access-token.ts';
import { authorizeDecision, authorizePage } from './authorize.ts';
import { authorizationCodeGrant, passwordGrant, refreshTokenGrant, revokeFamily } from './grants.ts';
import { authenticateClient } from './client-auth.ts';
import { JWT_BEARER, jwtBearerGrant } from './jwt-bearer.ts';
import { OAuthError, oauthJson } from './errors.ts';

const FORM_LIMIT = 16 * 1024;

/** The form body of an OAuth endpoint (RFC 6749 §3.2: application/x-www-form-urlencoded), bounded. */
async function formOf(c: Context<AppEnv>): Promise<URLSearchParams> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  const text = await c.req.text();
  if (text.length > FORM_LIMIT) throw new OAuthError('invalid_request', 'The request body is too large');
  const form = new URLSearchParams(text);
  // RFC 6749 §3.2: parameters must not be repeated.
  const names = [...form.keys()];
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw new OAuthError('invalid_request', `The parameter ${repeated} is repeated`);
  return form;
}

/** The Key Manager: RFC 8414 metadata, token, revocation (RFC 7009), introspection (RFC 7662), JWKS. */
export function oauthRoutes() {
  const app = new Hono<AppEnv>();

  app.get('/.well-known/oauth-authorization-server', (c) =>
    c.json(
      {
        issuer: c.env.ISSUER,
        token_endpoint: `${c.env.ISSUER}/oauth2/token`,
        jwks_uri: `${c.env.ISSUER}/oauth2/jwks`,
        revocation_endpoint: `${c.env.ISSUER}/oauth2/revoke`,
        introspection_endpoint: `${c.env.ISSUER}/oauth2/introspect`,
        authorization_endpoint: `${c.env.ISSUER}/oauth2/authorize`,
        // `password` only for clients an admin enabled it for.
        grant_types_supported: ['client_credentials', 'authorization_code', 'refresh_token', 'password', JWT_BEARER],
        response_types_supported: ['code'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        code_challenge_methods_supported: ['S256'],
      },
      200,
      { 'cache-control': 'public, max-age=300' },
    ),
  );

  app.get('/oauth2/jwks', async (c) => c.json({ keys: (await signingKeys(c.env)).publicJwks }, 200, { 'cache-control': 'public, max-age=300' }));

  app.post('/oauth2/token', async (c) => {
    const form = await formOf(c);
    const grantType = form.get('grant_type');
    if (grantType === null) throw new OAuthError('invalid_request', 'grant_type is required');
    const client = await authenticateClient(c.var.db, c.req.raw.headers, form);
    if (client.application.status !== 'APPROVED') throw new OAuthError('unauthorized_client', `The application is ${client.application.status === 'CREATED' ? 'waiting for approval' : 'rejected'}`);
    if (grantType === 'authorization_code') return oauthJson(await authorizationCodeGrant(c.env, c.var.db, client, form));
    if (grantType === 'refresh_token') return oauthJson(await refreshTokenGrant(c.env, c.var.db, client, form));
    if (grantType === JWT_BEARER) return oauthJson(await jwtBearerGrant(c.env, c.var.db, client, form));
    if (grantType === 'password') return oauthJson(await passwordGrant(c.env, c.var.db, client, form, c.req.header('cf-connecting-ip') ?? 'unknown'));
    if (grantType !== 'client_credentials') throw new OAuthError('unsupported_grant_type', `${grantType} is not supported`);
    if (!client.grantTypes.includes('client_credentials')) throw new OAuthError('unauthorized_client', 'This client may not use client_credentials');
    const issued = await issueAccessToken(c.env, c.var.db, client, { subject: client.consumerKey, requestedScope: form.get('scope') });
    // RFC 6749 §4.4.3: no refresh token for client credentials.
    return oauthJson({ access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope });
  });

  app.get('/oauth2/authorize', (c) => authorizePage(c));
  app.post('/oauth2/authorize', (c) => authorizeDecision(c));

  app.post('/oauth2/revoke', async (c) => {
    const form = await formOf(c);
    const client = await authenticateClient(c.var.db, c.req.raw.headers, form);
    const token = form.get('token');
    if (token === null) throw new OAuthError('invalid_request', 'token is required');
    // A refresh token revokes its whole grant, access tokens included (RFC 7009 §2.1).
    const refresh = (await c.var.db.select().from(schema.refreshTokens).where(eq(schema.refreshTokens.tokenHash, await sha256Hex(token))).limit(1))[0];
    if (refresh !== undefined) {
      if (refresh.applicationKeyId === client.id) await revokeFamily(c.env, c.var.db, client, refresh.familyId);
      return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
    }
    const claims = await verifyOwnAccessToken(c.env, token);
    // RFC 7009 §2.2: unknown tokens, and tokens of other clients, answer 200 and change nothing.
    if (claims !== null && claims.client_id === client.consumerKey && typeof claims.jti === 'string' && typeof claims.exp === 'number') {
      const expiresAt = claims.exp * 1000;
      await c.var.db.insert(schema.revokedTokens).values({ jti: claims.jti, applicationId: claims.application_id, expiresAt }).onConflictDoNothing();
      await revokeAccessToken(c.env, c.var.db, claims.application_id, claims.jti, expiresAt);
    }
    return new Response(null, { status: 200, headers: { 'cache-control': 'no-store' } });
  });

  app.post('/oauth2/introspect', async (c) => {
    const form = await formOf(c);
    await authenticateClient(c.var.db, c.req.raw.headers, form);
    const token = form.get('token');
    if (token === null) throw new OAuthError('invalid_request', 'token is required');
    const inactive = () => oauthJson({ active: false });
    const refresh = (await c.var.db.select().from(schema.refreshTokens).where(eq(schema.refreshTokens.tokenHash, await sha256Hex(token))).limit(1))[0];
    if (refresh !== undefined) {
      if (refresh.status !== 'ACTIVE' || refresh.expiresAt <= Date.now()) return inactive();
      return oauthJson({ active: true, token_type: 'refresh_token', scope: refresh.scope, sub: refresh.userId, exp: Math.floor(refresh.expiresAt / 1000) });
    }
    const claims = await verifyOwnAccessToken(c.env, token);
    if (claims === null || typeof claims.jti !== 'string' || typeof claims.iat !== 'number') return inactive();
    const db = c.var.db;
    const grant = typeof claims['grant_id'] === 'string' ? claims['grant_id'] : null;
    const [revoked, key] = await db.batch([
      db.select({ jti: schema.revokedTokens.jti }).from(schema.revokedTokens).where(inArray(schema.revokedTokens.jti, grant === null ? [claims.jti] : [claims.jti, grant])).limit(1),
      db.select({ validAfter: schema.applicationKeys.tokensValidAfter }).from(schema.applicationKeys).where(eq(schema.applicationKeys.consumerKey, claims.client_id)).limit(1),
    ]);
    const current = key[0];
    if (revoked.length > 0 || current === undefined || claims.iat * 1000 < current.validAfter) return inactive();
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
  });

  return app;
}
