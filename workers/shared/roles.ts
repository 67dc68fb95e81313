/**
 * The three roles, one name each (decision 0057). Until 2026-12 the developer role was stored and
 * answered as `subscriber` (WSO2's name); that name is still read, never written or answered: input
 * that names it is a deprecated alias, and a row or token that still carries it parses as
 * `developer` (parse, don't fail) rather than locking its user out.
 */
export const ROLES = ['admin', 'publisher', 'developer'] as const;
export type Role = (typeof ROLES)[number];

/** Old names of a role, accepted on input and in storage. */
export const LEGACY_ROLE_NAMES: Readonly<Record<string, Role>> = { subscriber: 'developer' };

/** `value` as a role: a current name as is, an old name as its current one, anything else null. */
export function roleNamed(value: unknown): Role | null {
  if (typeof value !== 'string') return null;
  if ((ROLES as readonly string[]).includes(value)) return value as Role;
  return Object.hasOwn(LEGACY_ROLE_NAMES, value) ? (LEGACY_ROLE_NAMES[value] ?? null) : null;
}

/**
 * A stored role. Every write is checked against ROLES, so anything else was written by an older
 * version; it reads as `developer`, the role with the fewest rights, instead of failing the request.
 */
export function storedRole(value: unknown): Role {
  return roleNamed(value) ?? 'developer';
}

/** A stored list of roles (`visible_roles`): old names read as current ones, unknown names dropped, each role once. */
export function storedRoles(values: unknown): Role[] {
  if (!Array.isArray(values)) return [];
  const out: Role[] = [];
  for (const v of values) {
    const role = roleNamed(v);
    if (role !== null && !out.includes(role)) out.push(role);
  }
  return out;
}

/** Every name `role` may be stored under, for SQL that matches stored values. */
export function storedNamesOf(role: Role): string[] {
  return [role, ...Object.keys(LEGACY_ROLE_NAMES).filter((old) => LEGACY_ROLE_NAMES[old] === role)];
}
