import { Hono } from 'hono';
import type { Database } from '../../db.ts';
import type { AppEnv } from '../../types.ts';
import { authenticateClient, type AuthenticatedClient } from '../client-auth.ts';
import { OAuthError, oauthJson } from '../errors.ts';
import { formOf } from '../form.ts';
import { authorizationCodeGrant } from './authorization-code.ts';
import { clientCredentialsGrant } from './client-credentials.ts';
import type { TokenResponse } from './family.ts';
import { JWT_BEARER, jwtBearerGrant } from './jwt-bearer.ts';
import { passwordGrant } from './password.ts';
import { refreshTokenGrant } from './refresh-token.ts';

type Grant = (env: Env, db: Database, client: AuthenticatedClient, form: URLSearchParams, ip: string) => Promise<TokenResponse>;

const GRANTS: Record<string, Grant> = {
  client_credentials: clientCredentialsGrant,
  refresh_token: refreshTokenGrant,
  authorization_code: authorizationCodeGrant,
  password: passwordGrant,
  [JWT_BEARER]: jwtBearerGrant,
};
export const SUPPORTED_GRANT_TYPES = Object.keys(GRANTS);

/** POST /oauth2/token (RFC 6749 §3.2): every grant answers RFC 6749 §5.1 / §5.2 bodies, never cached. */
export function tokenRoutes() {
  const app = new Hono<AppEnv>();
  app.post('/oauth2/token', async (c) => {
    const form = await formOf(c);
    const grantType = form.get('grant_type');
    if (grantType === null) throw new OAuthError('invalid_request', 'grant_type is required');
    const client = await authenticateClient(c.var.db, c.req.raw.headers, form);
    const grant = Object.hasOwn(GRANTS, grantType) ? GRANTS[grantType] : undefined;
    if (grant === undefined) throw new OAuthError('unsupported_grant_type', `${grantType} is not supported`);
    if (client.application.status !== 'APPROVED') throw new OAuthError('unauthorized_client', `The application is ${client.application.status === 'CREATED' ? 'waiting for approval' : 'rejected'}`);
    if (!client.grantTypes.includes(grantType)) throw new OAuthError('unauthorized_client', `This client may not use ${grantType}`);
    return oauthJson(await grant(c.env, c.var.db, client, form, c.req.header('cf-connecting-ip') ?? 'unknown'));
  });
  return app;
}
