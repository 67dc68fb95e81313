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
  param: TrieNode | null;
  /** A trailing `{+rest}` / `*` template. */
  wildcard: Map<string, SnapshotResource> | null;
  methods: Map<string, SnapshotResource> | null;
}

const newNode = (): TrieNode => ({ literal: new Map(), param: null, wildcard: null, methods: null });

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
    if (s.startsWith('{') && s.endsWith('}')) {
      node.param ??= newNode();
      node = node.param;
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

function isWildcard(segment: string): boolean {
  return segment === '*' || /^\{\+[^}]+\}$/.test(segment) || /^\{[^}]+\*\}$/.test(segment);
}

/** Literal segments win over parameters, which win over a trailing wildcard. */
function walk(node: TrieNode, segments: string[], i: number): Map<string, SnapshotResource> | null {
  if (i === segments.length) return node.methods ?? node.wildcard;
  const s = segments[i] ?? '';
  const literal = node.literal.get(s);
  if (literal !== undefined) {
    const found = walk(literal, segments, i + 1);
    if (found !== null) return found;
  }
  if (node.param !== null && s !== '') {
    const found = walk(node.param, segments, i + 1);
    if (found !== null) return found;
  }
  return node.wildcard;
}
