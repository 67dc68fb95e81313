import { Hono } from 'hono';
import { signingKeys } from '../../keys/signing-keys.ts';
import type { AppEnv } from '../../types.ts';
import { SUPPORTED_GRANT_TYPES } from '../token/routes.ts';

const AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];

/** RFC 8414 authorization server metadata and the JWKS (public keys only, each with kid, alg, use). */
export function metadataRoutes() {
  const app = new Hono<AppEnv>();
  app.get('/.well-known/oauth-authorization-server', (c) => {
    const issuer = c.env.ISSUER;
    return c.json(
      {
        issuer,
        authorization_endpoint: `${issuer}/oauth2/authorize`,
        token_endpoint: `${issuer}/oauth2/token`,
        jwks_uri: `${issuer}/oauth2/jwks`,
        revocation_endpoint: `${issuer}/oauth2/revoke`,
        introspection_endpoint: `${issuer}/oauth2/introspect`,
        grant_types_supported: [...SUPPORTED_GRANT_TYPES],
        response_types_supported: ['code'],
        response_modes_supported: ['query'],
        token_endpoint_auth_methods_supported: AUTH_METHODS,
        revocation_endpoint_auth_methods_supported: AUTH_METHODS,
        introspection_endpoint_auth_methods_supported: AUTH_METHODS,
        code_challenge_methods_supported: ['S256'],
      },
      200,
      { 'cache-control': 'public, max-age=300' },
    );
  });
  app.get('/oauth2/jwks', async (c) => c.json({ keys: (await signingKeys(c.env)).publicJwks }, 200, { 'cache-control': 'public, max-age=300' }));
  return app;
}
