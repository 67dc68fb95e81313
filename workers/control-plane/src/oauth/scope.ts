import { eq, inArray } from 'drizzle-orm';
import { schema, type Database } from '../db.ts';
import { OAuthError } from './errors.ts';

/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), separated by spaces. */
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

export type ScopeCheck =
  | { readonly ok: true; readonly scopes: string[] }
  | { readonly ok: false; readonly reason: 'malformed' }
  | { readonly ok: false; readonly reason: 'outside'; readonly outside: string[] };

/**
 * A `scope` parameter against what the caller may hold. RFC 6749 §5.2: a scope that is unknown,
 * malformed or exceeds the grant is refused (invalid_scope), never silently dropped — a client must
 * not believe it holds what it does not.
 */
export function checkScope(value: string | null, allowed: ReadonlySet<string>): ScopeCheck {
  const tokens = (value ?? '').split(' ').filter((s) => s !== '');
  if (tokens.some((t) => !SCOPE_TOKEN.test(t))) return { ok: false, reason: 'malformed' };
  const outside = tokens.filter((s) => !allowed.has(s));
  if (outside.length > 0) return { ok: false, reason: 'outside', outside: [...new Set(outside)] };
  return { ok: true, scopes: [...new Set(tokens)] };
}

/** The scopes of a check, or the RFC 6749 invalid_scope error it amounts to. */
export function scopesOrThrow(check: ScopeCheck, outsideOf: string): string[] {
  if (check.ok) return check.scopes;
  if (check.reason === 'malformed') throw new OAuthError('invalid_scope', 'The scope parameter is malformed (RFC 6749 §3.3)');
  throw new OAuthError('invalid_scope', `Not ${outsideOf}: ${check.outside.join(' ')}`);
}

/** Scopes an application may be granted: those its subscribed APIs' resources ask for, and their GraphQL fields. */
export async function grantableScopes(db: Database, applicationId: string): Promise<Set<string>> {
  const subs = await db
    .select({ apiId: schema.subscriptions.apiId })
    .from(schema.subscriptions)
    .where(eq(schema.subscriptions.applicationId, applicationId));
  if (subs.length === 0) return new Set();
  const apiIds = subs.map((s) => s.apiId);
  const [rows, graphql] = await db.batch([
    db.select({ scopes: schema.apiResources.scopes }).from(schema.apiResources).where(inArray(schema.apiResources.apiId, apiIds)),
    db.select({ graphql: schema.apis.graphql }).from(schema.apis).where(inArray(schema.apis.id, apiIds)),
  ]);
  return new Set([...rows.flatMap((r) => r.scopes), ...graphql.flatMap((a) => Object.values(a.graphql?.fieldScopes ?? {}).flat())]);
}

/** A space-separated scope string as a list. */
export const scopeList = (scope: string): string[] => scope.split(' ').filter((s) => s !== '');
