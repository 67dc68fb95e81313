import type { Database } from '../../db.ts';
import { issueAccessToken } from '../access-token.ts';
import type { AuthenticatedClient } from '../client-auth.ts';
import { requestedScopes } from '../form.ts';
import type { TokenResponse } from './family.ts';

/** RFC 6749 §4.4: the client acts on its own behalf; the subject is the client, and no refresh token (§4.4.3). */
export async function clientCredentialsGrant(env: Env, db: Database, client: AuthenticatedClient, form: URLSearchParams): Promise<TokenResponse> {
  const issued = await issueAccessToken(env, db, client, { subject: client.consumerKey, requestedScopes: requestedScopes(form) });
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scope };
}
