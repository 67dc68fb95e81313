import { z } from 'zod';

// RFC 6901 §3: a JSON pointer is empty or a sequence of `/`-prefixed reference tokens, `~` escaped as ~0 / ~1.
const Pointer = z
  .string()
  .max(500)
  .regex(/^(\/([^~/]|~[01])*)+$/, 'A JSON pointer (RFC 6901) such as /user/name');

export const BodyEdits = z.strictObject({
  map: z.record(Pointer, Pointer).default({}).describe('from → to: the field at the first pointer is moved to the second'),
  remove: z.array(Pointer).max(100).default([]),
  set: z.record(Pointer, z.unknown()).default({}).describe('pointer → JSON value'),
});
export type BodyEditList = z.output<typeof BodyEdits>;

type Container = Record<string, unknown> | unknown[];
const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null;

/**
 * The value with the edits applied, in order: moves, removals, sets. A move or removal whose
 * source is absent does nothing; a set creates the objects on its way (`/a/b` on `{}` gives
 * `{"a":{"b":…}}`). The value is edited in place: it was parsed from text for this call.
 */
export function applyBodyEdits(value: unknown, edits: BodyEditList): unknown {
  let root = value;
  for (const [from, to] of Object.entries(edits.map)) {
    const taken = take(root, tokens(from));
    if (taken.found) root = put(root, tokens(to), taken.value);
  }
  for (const pointer of edits.remove) take(root, tokens(pointer));
  for (const [pointer, v] of Object.entries(edits.set)) root = put(root, tokens(pointer), structuredClone(v));
  return root;
}

function tokens(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Removes and returns the member at the path. */
function take(root: unknown, path: readonly string[]): { found: true; value: unknown } | { found: false } {
  const parent = walk(root, path.slice(0, -1), false);
  const key = path[path.length - 1];
  if (parent === undefined || key === undefined) return { found: false };
  if (Array.isArray(parent)) {
    const i = index(key, parent.length - 1);
    if (i === null) return { found: false };
    return { found: true, value: parent.splice(i, 1)[0] };
  }
  if (!Object.hasOwn(parent, key)) return { found: false };
  const out = parent[key];
  delete parent[key];
  return { found: true, value: out };
}

/** Puts the value at the path (creating objects on the way); `-` appends to an array (RFC 6901 §4). */
function put(root: unknown, path: readonly string[], value: unknown): unknown {
  if (path.length === 0) return value;
  const base = isContainer(root) ? root : {};
  const parent = walk(base, path.slice(0, -1), true);
  const key = path[path.length - 1] as string;
  if (parent === undefined) return base;
  if (Array.isArray(parent)) {
    if (key === '-') parent.push(value);
    else {
      const i = index(key, parent.length);
      if (i !== null) parent[i] = value;
    }
  } else parent[key] = value;
  return base;
}

function walk(root: unknown, path: readonly string[], create: boolean): Container | undefined {
  let node: unknown = root;
  for (const key of path) {
    if (!isContainer(node)) return undefined;
    let next: unknown = Array.isArray(node)
      ? index(key, node.length - 1) === null
        ? undefined
        : node[Number(key)]
      : Object.hasOwn(node, key)
        ? node[key]
        : undefined;
    if (next === undefined && create && !Array.isArray(node)) {
      next = {};
      node[key] = next;
    }
    node = next;
  }
  return isContainer(node) ? node : undefined;
}

// An array index is digits without a leading zero (RFC 6901 §4), at most `max`.
function index(key: string, max: number): number | null {
  if (!/^(0|[1-9]\d*)$/.test(key)) return null;
  const i = Number(key);
  return i <= max ? i : null;
}
