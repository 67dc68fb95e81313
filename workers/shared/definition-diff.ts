/**
 * Field-by-field differences between two API definitions, shared by the CLI (`turnpike diff` /
 * `status`: project files against the control plane, cli/plan.ts) and the control plane (the current
 * definition against the revision a gateway serves: "2 changes not deployed"). Equal means equal as
 * canonical JSON, so key order and absent-vs-null never count as a change.
 */
export interface Change {
  action: '+' | '-' | '~';
  field: string;
  from?: unknown;
  to?: unknown;
}

/** JSON with object keys sorted, so equal values print equal. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export const equal = (a: unknown, b: unknown): boolean => canonical(a ?? null) === canonical(b ?? null);

/** `~ field` for each of `fields` whose values differ. */
export function fieldChanges<K extends string>(
  before: { readonly [k in K]?: unknown },
  after: { readonly [k in K]?: unknown },
  fields: readonly K[],
): Change[] {
  return fields.flatMap((field): Change[] =>
    equal(after[field], before[field]) ? [] : [{ action: '~', field, from: before[field], to: after[field] }],
  );
}

export interface ResourceSettings {
  method: string;
  path: string;
  authType: string;
  scopes: string[];
  throttlingPolicy: string | null;
  /** The operation's policies (issue #22); absent in definitions that predate them. */
  policies?: readonly unknown[] | undefined;
}

/** `+`, `-` or `~ resource METHOD path` per resource added, removed or changed (auth, scopes, policy). */
export function resourceChanges(before: readonly ResourceSettings[], after: readonly ResourceSettings[]): Change[] {
  // Policies only where there are some: a resource without any reads as it did before policies existed.
  const settings = (r: ResourceSettings) => ({
    authType: r.authType,
    scopes: r.scopes,
    throttlingPolicy: r.throttlingPolicy,
    ...(r.policies !== undefined && r.policies.length > 0 ? { policies: r.policies } : {}),
  });
  const was = new Map(before.map((r) => [`${r.method} ${r.path}`, settings(r)]));
  const is = new Map(after.map((r) => [`${r.method} ${r.path}`, settings(r)]));
  const changes: Change[] = [];
  for (const [key, value] of is) {
    const old = was.get(key);
    if (old === undefined) changes.push({ action: '+', field: `resource ${key}`, to: value });
    else if (!equal(old, value)) changes.push({ action: '~', field: `resource ${key}`, from: old, to: value });
  }
  for (const [key, value] of was) if (!is.has(key)) changes.push({ action: '-', field: `resource ${key}`, from: value });
  return changes;
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** One line per change: `+ field: value`, `- field: value`, `~ field: old -> new`. */
export function formatChange(c: Change): string {
  return c.action === '+'
    ? `+ ${c.field}: ${show(c.to)}`
    : c.action === '-'
      ? `- ${c.field}: ${show(c.from)}`
      : `~ ${c.field}: ${show(c.from)} -> ${show(c.to)}`;
}

export function formatChanges(changes: readonly Change[]): string {
  return changes.map(formatChange).join('\n');
}
