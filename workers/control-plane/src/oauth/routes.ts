import { Hono, type Context } from 'hono';
import { signingKeys } from '../keys/signing-keys.ts';
import type { AppEnv } from '../types.ts';
import { authorizeDecision, authorizePage } from './authorize.ts';
import { countingFailures } from './caller-limit.ts';
import { authenticateClient } from './client-auth.ts';
import { OAuthError, methodNotAllowed, oauthJson } from './errors.ts';
import { ADVERTISED_GRANT_TYPES, grantFor } from './grant-registry.ts';
import { OIDC_SCOPES, userinfo } from './oidc.ts';
import { deleteRegistration, readRegistration, register, updateRegistration } from './registration.ts';
import { introspect, revoke, type TokenRequest } from './token-inspection.ts';

const FORM_LIMIT = 16 * 1024;

/** The form body of an OAuth endpoint (RFC 6749 §3.2: application/x-www-form-urlencoded), bounded. */
async function formOf(c: Context<AppEnv>): Promise<URLSearchParams> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    throw new OAuthError('invalid_request', 'The body must be application/x-www-form-urlencoded');
  const text = await c.req.text();
  if (text.length > FORM_LIMIT) throw new OAuthError('invalid_request', 'The request body is too large');
  const form = new URLSearchParams(text);
  // RFC 6749 §3.2: parameters must not be repeated.
  const names = [...form.keys()];
  const repeated = names.find((n, i) => names.indexOf(n) !== i);
  if (repeated !== undefined) throw new OAuthError('invalid_request', `The parameter ${repeated} is repeated`);
  return form;
}

const ipOf = (c: Context<AppEnv>) => c.req.header('cf-connecting-ip') ?? 'unknown';
const tokenRequest = async (c: Context<AppEnv>): Promise<TokenRequest> => ({
  env: c.env,
  db: c.var.db,
  headers: c.req.raw.headers,
  form: await formOf(c),
  ip: ipOf(c),
});

/** Every endpoint and the methods it takes; any other method is a 405 naming them (RFC 9110 §15.5.6). */
const ENDPOINT_METHODS = {
  '/.well-known/oauth-authorization-server': ['GET', 'HEAD'],
  '/.well-known/openid-configuration': ['GET', 'HEAD'],
  '/oauth2/userinfo': ['GET', 'HEAD', 'POST'],
  '/oauth2/jwks': ['GET', 'HEAD'],
  '/oauth2/token': ['POST'],
  '/oauth2/revoke': ['POST'],
  '/oauth2/introspect': ['POST'],
  '/oauth2/authorize': ['GET', 'HEAD', 'POST'],
  '/oauth2/register': ['POST'],
  '/oauth2/register/:clientId': ['GET', 'HEAD', 'PUT', 'DELETE'],
} as const;

/** RFC 8414 §2: what the authorization server offers. */
async function metadata(env: Env) {
  return {
    issuer: env.ISSUER,
    token_endpoint: `${env.ISSUER}/oauth2/token`,
    jwks_uri: `${env.ISSUER}/oauth2/jwks`,
    revocation_endpoint: `${env.ISSUER}/oauth2/revoke`,
    introspection_endpoint: `${env.ISSUER}/oauth2/introspect`,
    authorization_endpoint: `${env.ISSUER}/oauth2/authorize`,
    // RFC 7591 §3: behind an initial access token (a developer's management token).
    registration_endpoint: `${env.ISSUER}/oauth2/register`,
    grant_types_supported: ADVERTISED_GRANT_TYPES,
    response_types_supported: ['code'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    code_challenge_methods_supported: ['S256'],
    // RFC 9207: the authorization response names its issuer (mix-up defence).
    authorization_response_iss_parameter_supported: true,
  };
}

/** The Key Manager: RFC 8414 metadata, token, revocation (RFC 7009), introspection (RFC 7662), JWKS. */
export function oauthRoutes() {
  const app = new Hono<AppEnv>();

  app.get('/.well-known/oauth-authorization-server', async (c) =>
    c.json(await metadata(c.env), 200, { 'cache-control': 'public, max-age=300' }),
  );
  // OpenID Connect Discovery 1.0 §4: the same server, with what an OpenID Provider adds (§3).
  app.get('/.well-known/openid-configuration', async (c) => {
    const keys = await signingKeys(c.env);
    return c.json(
      {
        ...(await metadata(c.env)),
        userinfo_endpoint: `${c.env.ISSUER}/oauth2/userinfo`,
        scopes_supported: OIDC_SCOPES,
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: [...new Set(keys.publicJwks.map((k) => k.alg))],
        claims_supported: ['iss', 'sub', 'aud', 'exp', 'iat', 'azp', 'nonce', 'at_hash', 'name', 'email', 'email_verified'],
      },
      200,
      { 'cache-control': 'public, max-age=300' },
    );
  });

  app.get('/oauth2/jwks', async (c) =>
    c.json({ keys: (await signingKeys(c.env)).publicJwks }, 200, { 'cache-control': 'public, max-age=300' }),
  );

  app.post('/oauth2/token', async (c) => {
    const form = await formOf(c);
    const grantType = form.get('grant_type');
    if (grantType === null) throw new OAuthError('invalid_request', 'grant_type is required');
    const client = await countingFailures(c.env, ipOf(c), () => authenticateClient(c.var.db, c.req.raw.headers, form));
    if (client.application.status !== 'APPROVED')
      throw new OAuthError(
        'unauthorized_client',
        `The application is ${client.application.status === 'CREATED' ? 'waiting for approval' : 'rejected'}`,
      );
    const grant = grantFor(grantType, client);
    return oauthJson(await grant.handle({ env: c.env, db: c.var.db, client, form, ip: ipOf(c) }));
  });

  app.get('/oauth2/authorize', (c) => authorizePage(c));
  app.post('/oauth2/authorize', (c) => authorizeDecision(c));
  app.get('/oauth2/userinfo', (c) => userinfo(c.env, c.var.db, c.req.raw.headers));
  app.post('/oauth2/userinfo', (c) => userinfo(c.env, c.var.db, c.req.raw.headers));
  app.post('/oauth2/register', (c) => register(c));
  app.get('/oauth2/register/:clientId', (c) => readRegistration(c));
  app.put('/oauth2/register/:clientId', (c) => updateRegistration(c));
  app.delete('/oauth2/register/:clientId', (c) => deleteRegistration(c));
  app.post('/oauth2/revoke', async (c) => revoke(await tokenRequest(c)));
  app.post('/oauth2/introspect', async (c) => introspect(await tokenRequest(c)));

  // Registered after the handlers above, so only the methods they do not take reach these.
  for (const [path, allow] of Object.entries(ENDPOINT_METHODS)) {
    app.all(path, (c) =>
      c.req.method === 'OPTIONS' ? new Response(null, { status: 204, headers: { allow: allow.join(', ') } }) : methodNotAllowed(allow),
    );
  }
  return app;
}
