import { and, eq, gt, isNull, or } from 'drizzle-orm';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { sha256Hex } from '../../../shared/crypto.ts';
import { ApiError } from '../../../shared/problem.ts';
import { schema, type Database } from '../db.ts';
import type { AppEnv } from '../types.ts';
import type { Principal } from './principal.ts';
import { ROLE_SCOPES, type Scope } from './scopes.ts';
import { SESSION_COOKIE, findSessionUser } from './session.ts';

export const MANAGEMENT_CHALLENGE = 'Bearer realm="turnpike-management"';

/**
 * Resolves the caller from a management bearer token (`tpm_…`) or a portal session cookie. A
 * gateway access token is not a management credential and is never accepted here.
 */
/** Who a management token (tpm_…) speaks for, with the scopes its user's role still allows; null if invalid, expired or the user is not active. */
export async function managementTokenPrincipal(db: Database, token: string): Promise<Principal | null> {
  const rows = await db
    .select({ token: schema.managementTokens, user: schema.users })
    .from(schema.managementTokens)
    .innerJoin(schema.users, eq(schema.users.id, schema.managementTokens.userId))
    .where(
      and(
        eq(schema.managementTokens.tokenHash, await sha256Hex(token)),
        or(isNull(schema.managementTokens.expiresAt), gt(schema.managementTokens.expiresAt, Date.now())),
      ),
    )
    .limit(1);
  const row = rows[0];
  if (row === undefined || row.user.status !== 'ACTIVE') return null;
  const allowed = new Set<Scope>(ROLE_SCOPES[row.user.role]);
  return {
    userId: row.user.id,
    email: row.user.email,
    role: row.user.role,
    scopes: new Set(row.token.scopes.filter((s): s is Scope => allowed.has(s as Scope))),
    via: 'token',
  };
}

export function authenticate(): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    const authorization = c.req.header('authorization');
    const db = c.var.db;
    let principal: Principal | undefined;
    if (authorization !== undefined) {
      const match = /^bearer +(tpm_[A-Za-z0-9_-]+)$/i.exec(authorization.trim());
      if (match?.[1] === undefined)
        throw new ApiError('unauthorized', {
          detail: 'Use a management token (tpm_…) or a portal session',
          headers: { 'www-authenticate': `${MANAGEMENT_CHALLENGE}, error="invalid_token"` },
        });
      principal = (await managementTokenPrincipal(db, match[1])) ?? undefined;
      if (principal === undefined) {
        throw new ApiError('unauthorized', {
          detail: 'The management token is invalid or expired',
          headers: { 'www-authenticate': `${MANAGEMENT_CHALLENGE}, error="invalid_token"` },
        });
      }
    } else {
      const token = getCookie(c, SESSION_COOKIE);
      if (token !== undefined) {
        const user = await findSessionUser(db, token);
        // Writes with the cookie were checked for their origin before anything else (same-origin.ts).
        if (user !== null && user.status === 'ACTIVE') {
          principal = { userId: user.id, email: user.email, role: user.role, scopes: new Set(ROLE_SCOPES[user.role]), via: 'session' };
        }
      }
    }
    c.set('principal', principal);
    await next();
  };
}

/** The caller must be signed in and hold every listed scope. */
export function requireScopes(...scopes: Scope[]): MiddlewareHandler<AppEnv> {
  return async function requireScopes(c, next) {
    principalOf(c.var.principal, scopes);
    await next();
  };
}

export function principalOf(principal: Principal | undefined, scopes: readonly Scope[] = []): Principal {
  if (principal === undefined)
    throw new ApiError('unauthorized', {
      detail: 'Sign in or send a management token',
      headers: { 'www-authenticate': MANAGEMENT_CHALLENGE },
    });
  const missing = scopes.filter((s) => !principal.scopes.has(s));
  if (missing.length > 0) throw new ApiError('forbidden', { detail: `Missing scope: ${missing.join(', ')}` });
  return principal;
}
