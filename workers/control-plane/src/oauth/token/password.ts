import { eq } from 'drizzle-orm';
import { verifyPassword } from '../../../../shared/crypto.ts';
import { clearLoginFailures, loginRetryAfter, recordLoginFailure } from '../../auth/login-throttle.ts';
import { schema, type Database } from '../../db.ts';
import type { AuthenticatedClient } from '../client-auth.ts';
import { OAuthError } from '../errors.ts';
import { requestedScopes } from '../form.ts';
import { newFamilyId, userGrantResponse, type TokenResponse } from './family.ts';

/**
 * RFC 6749 §4.3, the resource owner password grant. Off for every client unless an admin adds
 * `password` to the client's grant types (a developer cannot choose it); throttled like the login.
 */
export async function passwordGrant(env: Env, db: Database, client: AuthenticatedClient, form: URLSearchParams, ip: string): Promise<TokenResponse> {
  const username = form.get('username');
  const password = form.get('password');
  if (username === null || password === null) throw new OAuthError('invalid_request', 'username and password are required');
  const email = username.trim().toLowerCase();
  if ((await loginRetryAfter(db, email, ip)) > 0) throw new OAuthError('invalid_grant', 'Too many failed attempts; try again later');
  const user = (await db.select().from(schema.users).where(eq(schema.users.email, email)).limit(1))[0];
  if (user === undefined || !(await verifyPassword(password, user.passwordHash)) || user.status !== 'ACTIVE') {
    await recordLoginFailure(db, email, ip);
    throw new OAuthError('invalid_grant', 'Wrong username or password');
  }
  await clearLoginFailures(db, email);
  return userGrantResponse(env, db, client, user.id, requestedScopes(form) ?? [], newFamilyId());
}
