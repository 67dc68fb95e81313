import { eq } from 'drizzle-orm';
import { sha256Hex, timingSafeEqual } from '../../../shared/crypto.ts';
import { schema, type Database } from '../db.ts';
import { OAuthError } from './errors.ts';

export type AuthenticatedClient = typeof schema.applicationKeys.$inferSelect & { application: typeof schema.applications.$inferSelect };

/**
 * Client authentication by `client_secret_basic` (RFC 6749 §2.3.1: id and secret are
 * form-urlencoded before base64) or `client_secret_post`; using both is an invalid request.
 */
export async function authenticateClient(db: Database, headers: Headers, form: URLSearchParams): Promise<AuthenticatedClient> {
  const authorization = headers.get('authorization');
  const postId = form.get('client_id');
  const postSecret = form.get('client_secret');
  let id: string;
  let secret: string;
  if (authorization !== null && /^basic /i.test(authorization)) {
    if (postSecret !== null) throw new OAuthError('invalid_request', 'Use one client authentication method, not two');
    let decoded: string;
    try {
      decoded = atob(authorization.slice(6).trim());
    } catch {
      throw new OAuthError('invalid_client', 'Malformed Basic credentials', { challenge: true });
    }
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new OAuthError('invalid_client', 'Malformed Basic credentials', { challenge: true });
    try {
      id = decodeURIComponent(decoded.slice(0, colon).replace(/\+/g, ' '));
      secret = decodeURIComponent(decoded.slice(colon + 1).replace(/\+/g, ' '));
    } catch {
      throw new OAuthError('invalid_client', 'Malformed Basic credentials', { challenge: true });
    }
    if (postId !== null && postId !== id) throw new OAuthError('invalid_request', 'client_id differs from the authenticated client');
  } else if (postId !== null && postSecret !== null) {
    id = postId;
    secret = postSecret;
  } else {
    throw new OAuthError('invalid_client', 'Client authentication is required', { challenge: true });
  }
  const row = (
    await db
      .select({ key: schema.applicationKeys, application: schema.applications })
      .from(schema.applicationKeys)
      .innerJoin(schema.applications, eq(schema.applications.id, schema.applicationKeys.applicationId))
      .where(eq(schema.applicationKeys.consumerKey, id))
      .limit(1)
  )[0];
  // Hash either way, so an unknown client id takes as long as a wrong secret.
  const presented = await sha256Hex(secret);
  if (row === undefined || !timingSafeEqual(presented, row.key.secretHash))
    throw new OAuthError('invalid_client', 'Unknown client or wrong secret', { challenge: true });
  return { ...row.key, application: row.application };
}
