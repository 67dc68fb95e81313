import type { GatewaySnapshot, SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';

export interface RouteMatch {
  readonly api: SnapshotApi;
  /** The path below context and version, as forwarded to the backend. */
  readonly rest: string;
  readonly resource: SnapshotResource | null;
  /** Methods defined for the matched path template, for `Allow` on 405. */
  readonly allowed: readonly string[];
}

interface TrieNode {
  literal: Map<string, TrieNode>;
  /**
   * Segments that mix literal text and parameters (`{sid}.json`, `{name}:cancel`, `v{major}`,
   * `{from}-{to}`; OpenAPI 3.1 §4.8.2 path templating), most literal text first, keyed by shape
   * (`{}.json`) so templates that differ only in parameter names share one branch.
   */
  patterns: Array<{ shape: string; literalLength: number; test: RegExp; node: TrieNode }>;
  param: TrieNode | null;
  /** A trailing `{+rest}` / `*` template. */
  wildcard: Map<string, SnapshotResource> | null;
  methods: Map<string, SnapshotResource> | null;
}

const newNode = (): TrieNode => ({ literal: new Map(), patterns: [], param: null, wildcard: null, methods: null });

/**
 * Built once per snapshot. Lookup cost depends on the depth of the path, not on how many APIs are
 * deployed: contexts are found by trying the path's first segments against a Map, resources by
 * walking a per-API segment trie.
 */
export class RouteTable {
  readonly #byContextVersion = new Map<string, SnapshotApi>();
  readonly #defaultByContext = new Map<string, SnapshotApi>();
  readonly #tries = new Map<SnapshotApi, TrieNode>();
  readonly #maxContextDepth: number;

  constructor(snapshot: GatewaySnapshot) {
    let depth = 1;
    for (const api of snapshot.apis) {
      this.#byContextVersion.set(`${api.context}\n${api.version}`, api);
      if (api.isDefaultVersion) this.#defaultByContext.set(api.context, api);
      depth = Math.max(depth, api.context.split('/').length - 1);
      const root = newNode();
      for (const resource of api.resources) insert(root, resource);
      this.#tries.set(api, root);
    }
    this.#maxContextDepth = depth;
  }

  match(method: string, path: string): RouteMatch | null {
    const segments = path.split('/').slice(1);
    for (let depth = Math.min(this.#maxContextDepth, segments.length); depth >= 1; depth--) {
      const context = '/' + segments.slice(0, depth).join('/');
      const version = segments[depth];
      if (version !== undefined) {
        const api = this.#byContextVersion.get(`${context}\n${version}`);
        if (api !== undefined) return this.#resource(api, method, segments.slice(depth + 1));
      }
      const byDefault = this.#defaultByContext.get(context);
      if (byDefault !== undefined) return this.#resource(byDefault, method, segments.slice(depth));
    }
    return null;
  }

  #resource(api: SnapshotApi, method: string, rest: string[]): RouteMatch {
    const restPath = '/' + rest.join('/');
    const node = walk(this.#tries.get(api) ?? newNode(), rest[rest.length - 1] === '' ? rest.slice(0, -1) : rest, 0);
    if (node === null) return { api, rest: restPath, resource: null, allowed: [] };
    const resource = node.get(method) ?? (method === 'HEAD' ? node.get('GET') : undefined) ?? null;
    return { api, rest: restPath, resource, allowed: [...node.keys()] };
  }
}

function insert(root: TrieNode, resource: SnapshotResource): void {
  let node = root;
  const segments = resource.pathTemplate.split('/').filter((s) => s !== '');
  for (let i = 0; i < segments.length; i++) {
    const s = segments[i] ?? '';
    if (i === segments.length - 1 && isWildcard(s)) {
      node.wildcard ??= new Map();
      node.wildcard.set(resource.method, resource);
      return;
    }
    if (/^\{[^{}]+\}$/.test(s)) {
      node.param ??= newNode();
      node = node.param;
    } else if (/\{[^{}]+\}/.test(s)) {
      node = patternNode(node, s);
    } else {
      let next = node.literal.get(s);
      if (next === undefined) {
        next = newNode();
        node.literal.set(s, next);
      }
      node = next;
    }
  }
  node.methods ??= new Map();
  node.methods.set(resource.method, resource);
}

/** The branch of a mixed segment, made once per shape: each `{name}` matches one or more characters. */
function patternNode(node: TrieNode, segment: string): TrieNode {
  const shape = segment.replace(/\{[^{}]+\}/g, '{}');
  const existing = node.patterns.find((p) => p.shape === shape);
  if (existing !== undefined) return existing.node;
  const literals = shape.split('{}');
  const test = new RegExp('^' + literals.map(escapeRegExp).join('.+?') + '$');
  const created = { shape, literalLength: literals.join('').length, test, node: newNode() };
  node.patterns.push(created);
  node.patterns.sort((a, b) => b.literalLength - a.literalLength);
  return created.node;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isWildcard(segment: string): boolean {
  return segment === '*' || /^\{\+[^}]+\}$/.test(segment) || /^\{[^}]+\*\}$/.test(segment);
}

/** Literal segments win over mixed ones, which win over parameters, which win over a trailing wildcard. */
function walk(node: TrieNode, segments: string[], i: number): Map<string, SnapshotResource> | null {
  if (i === segments.length) return node.methods ?? node.wildcard;
  const s = segments[i] ?? '';
  const literal = node.literal.get(s);
  if (literal !== undefined) {
    const found = walk(literal, segments, i + 1);
    if (found !== null) return found;
  }
  if (s !== '') {
    for (const p of node.patterns) {
      if (!p.test.test(s)) continue;
      const found = walk(p.node, segments, i + 1);
      if (found !== null) return found;
    }
  }
  if (node.param !== null && s !== '') {
    const found = walk(node.param, segments, i + 1);
    if (found !== null) return found;
  }
  return node.wildcard;
}
