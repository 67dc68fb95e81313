import { ROLES, type Role, type SsoRoleRule } from '../../../shared/db/schema.ts';

/**
 * The value at a claim path: a plain claim name first (URIs such as
 * `https://example.com/roles` hold dots of their own), then the dotted path through nested objects
 * (Keycloak's `realm_access.roles`).
 */
export function claimAt(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let here: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof here !== 'object' || here === null || Array.isArray(here) || !Object.hasOwn(here, part)) return undefined;
    here = (here as Record<string, unknown>)[part];
  }
  return here;
}

/** A roles claim as its values: an array of strings, or one string of space- or comma-separated values. */
export function claimValues(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((v) => v !== '');
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** Most to least privileged: a user in several mapped groups gets the highest of their roles. */
const RANK: Readonly<Record<Role, number>> = Object.fromEntries(
  ROLES.map((r) => [r, r === 'admin' ? 3 : r === 'publisher' ? 2 : 1]),
) as Record<Role, number>;

/**
 * The Turnpike role the provider's claim grants: the highest role of any rule whose value the claim
 * holds, else the default; null when neither (the sign-in is then refused, never guessed).
 */
export function mapRole(
  claims: Readonly<Record<string, unknown>>,
  rolesClaim: string,
  rules: readonly SsoRoleRule[],
  defaultRole: Role | null,
): Role | null {
  const held = new Set(claimValues(claimAt(claims, rolesClaim)));
  let best: Role | null = null;
  for (const rule of rules) {
    if (held.has(rule.value) && (best === null || RANK[rule.role] > RANK[best])) best = rule.role;
  }
  return best ?? defaultRole;
}
