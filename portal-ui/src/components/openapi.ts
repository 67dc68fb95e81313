/**
 * The API reference: Swagger UI (swagger-ui-dist, served from the portal's own origin and loaded only
 * on this tab) renders a copy of the API's OpenAPI document prepared here. The copy never makes the
 * renderer fetch: external $refs become a note, and the `servers` (or Swagger 2.0 host and
 * basePath) are replaced by the portal's same-origin /gateway proxy for this API, one server per
 * gateway environment the API is deployed to (Swagger UI's servers dropdown picks one). Descriptions are
 * publisher-controlled Markdown; Swagger UI would parse them to HTML (DOMPurify-sanitised), so its
 * Markdown component is replaced by ours, which builds DOM nodes and never parses HTML. Its own
 * authorisation dialogs (which would send the browser to publisher-given OAuth2 URLs) are removed:
 * the credential comes from the page's picker through `requestInterceptor`.
 *
 * From 150 tags + operations on, Swagger UI virtualises the list: it renders only the rows near the
 * viewport of its nearest scrollable ancestor (any `overflow: auto|scroll`), else of the window. So no
 * ancestor of the reference may be a scroll container: with one that is not height-bound, the
 * virtualiser measured the wrong viewport, rendered about half of a 180-operation description and
 * restored a scroll offset mid-document (decision 0024).
 */
import type { SwaggerRequest, SwaggerUIOptions, SwaggerUISystem } from 'swagger-ui-dist/swagger-ui-es-bundle.js';
import { markdown } from './markdown.ts';

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);

/** What the publisher's import preview lists for each operation of a document. */
export interface Operation {
  method: string;
  path: string;
  open: boolean;
  scopes: string[];
}

function resolveRef(doc: Json, value: unknown, depth = 0): Json | null {
  const o = obj(value);
  if (o === null || depth > 20) return o;
  const ref = o['$ref'];
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return typeof ref === 'string' ? null : o;
  let cur: unknown = doc;
  for (const part of ref.slice(2).split('/')) cur = obj(cur)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return resolveRef(doc, cur, depth + 1);
}

/** The operations of an OpenAPI 3.x or Swagger 2.0 document (local $refs only), with their security. */
export function operations(doc: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, rawItem] of Object.entries(obj(doc['paths']) ?? {})) {
    const item = resolveRef(doc, rawItem);
    for (const method of METHODS) {
      const op = obj(item?.[method]);
      if (op === null) continue;
      const security = op['security'] ?? doc['security'];
      const requirements = Array.isArray(security) ? (security as unknown[]) : null;
      out.push({
        method: method.toUpperCase(),
        path,
        open: requirements !== null && requirements.length === 0,
        scopes: [
          ...new Set(
            (requirements ?? []).flatMap((r) =>
              Object.values(obj(r) ?? {}).flatMap((v) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [])),
            ),
          ),
        ],
      });
    }
  }
  return out;
}

/**
 * The tags the reference groups operations under, in Swagger UI's order: the document's `tags`
 * first (as listed), then any tag only operations name; "default" for untagged operations.
 */
export function operationTags(doc: Json): string[] {
  const listed = (Array.isArray(doc['tags']) ? (doc['tags'] as unknown[]) : []).flatMap((t) => {
    const name = obj(t)?.['name'];
    return typeof name === 'string' ? [name] : [];
  });
  const used = new Set<string>();
  for (const rawItem of Object.values(obj(doc['paths']) ?? {})) {
    const item = resolveRef(doc, rawItem);
    for (const method of METHODS) {
      const op = obj(item?.[method]);
      if (op === null) continue;
      const tags = Array.isArray(op['tags']) ? op['tags'].filter((t): t is string => typeof t === 'string') : [];
      if (tags.length === 0) used.add('default');
      for (const t of tags) used.add(t);
    }
  }
  return [...listed.filter((t) => used.has(t)), ...[...used].filter((t) => !listed.includes(t))];
}

/**
 * The absolute http(s) URLs a document names for its API: OpenAPI 3 `servers` with their variables
 * at their defaults (OpenAPI 3.1 §4.8.5), or Swagger 2.0 `schemes` + `host` + `basePath`. Relative
 * server URLs name no backend and are left out.
 */
export function documentServers(doc: Json): string[] {
  if (isSwagger2(doc)) {
    const host = doc['host'];
    if (typeof host !== 'string' || host === '') return [];
    const schemes = Array.isArray(doc['schemes']) ? doc['schemes'].filter((x): x is string => x === 'https' || x === 'http') : [];
    const basePath = typeof doc['basePath'] === 'string' ? doc['basePath'] : '';
    return (schemes.length === 0 ? ['https'] : schemes).map((scheme) => `${scheme}://${host}${basePath}`);
  }
  const out: string[] = [];
  for (const raw of Array.isArray(doc['servers']) ? (doc['servers'] as unknown[]) : []) {
    const server = obj(raw);
    const template = server?.['url'];
    if (typeof template !== 'string') continue;
    const variables = obj(server?.['variables']) ?? {};
    const url = template.replace(/\{([^}]+)\}/g, (m, name: string) => {
      const value = obj(variables[name])?.['default'];
      return typeof value === 'string' ? value : m;
    });
    if (/^https?:\/\/[^/{}]+/.test(url) && !url.includes('{') && !out.includes(url)) out.push(url.replace(/\/$/, ''));
  }
  return out;
}

/** A deep copy without external $refs. */
function localOnly(value: unknown, depth = 0): unknown {
  if (depth > 64) return null;
  if (Array.isArray(value)) return value.map((v) => localOnly(v, depth + 1));
  const o = obj(value);
  if (o === null) return value;
  const ref = o['$ref'];
  if (typeof ref === 'string' && !ref.startsWith('#/')) return { description: `External reference ${ref} (not fetched)` };
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, localOnly(v, depth + 1)]));
}

/** One way for the console to reach the API: the proxy's absolute URL for one gateway environment. */
export interface ConsoleServer {
  url: string;
  description: string;
}

/** Whether the document is Swagger 2.0, whose single host and basePath name one server only. */
export const isSwagger2 = (doc: Json): boolean => typeof doc['swagger'] === 'string';

/**
 * The document as the renderer gets it: every call goes to one of `servers` (absolute /gateway
 * URLs, at least one). Swagger 2.0 has room for one: the first.
 */
export function forConsole(doc: Json, servers: readonly ConsoleServer[]): Json {
  const copy = localOnly(doc) as Json;
  // Path items and operations may name servers of their own; calls go to the proxy only.
  for (const item of Object.values(obj(copy['paths']) ?? {})) {
    const path = obj(item);
    delete path?.['servers'];
    for (const method of METHODS) delete obj(path?.[method])?.['servers'];
  }
  const first = servers[0];
  if (first === undefined) throw new Error('forConsole needs at least one server');
  if (isSwagger2(copy)) {
    const url = new URL(first.url);
    return { ...copy, host: url.host, basePath: url.pathname, schemes: [url.protocol.replace(':', '')] };
  }
  return { ...copy, servers: servers.map((s) => ({ url: s.url, description: s.description })) };
}

/** Our Markdown in place of Swagger UI's: a React element whose children we build with h(). */
function markdownPlugin(system: SwaggerUISystem) {
  const { React } = system;
  const Markdown = ({ source, className }: { source?: unknown; className?: string }) =>
    typeof source === 'string' && source.trim() !== ''
      ? React.createElement('div', {
          className: ['markdown-host', className ?? ''].join(' ').trim(),
          ref: (el: HTMLElement | null) => el?.replaceChildren(markdown(source)),
        })
      : null;
  const none = () => () => null;
  return { wrapComponents: { Markdown: () => Markdown, authorizeBtn: none, authorizeOperationBtn: none } };
}

/**
 * Renders `doc` into `root` with a console whose requests `intercept` completes (credential, proxy
 * header). Returns once the renderer has loaded; the chunk and its stylesheet are fetched on first use.
 */
export async function renderReference(
  root: HTMLElement,
  doc: Json,
  servers: readonly ConsoleServer[],
  intercept: (req: SwaggerRequest) => SwaggerRequest,
): Promise<SwaggerUISystem> {
  const [{ default: SwaggerUI }] = await Promise.all([
    import('swagger-ui-dist/swagger-ui-es-bundle.js'),
    import('swagger-ui-dist/swagger-ui.css'),
  ]);
  const options: SwaggerUIOptions = {
    domNode: root,
    spec: forConsole(doc, servers),
    plugins: [markdownPlugin],
    deepLinking: false,
    validatorUrl: null,
    syntaxHighlight: false,
    tryItOutEnabled: true,
    displayRequestDuration: true,
    defaultModelsExpandDepth: 0,
    withCredentials: false,
    persistAuthorization: false,
    requestInterceptor: intercept,
  };
  return SwaggerUI(options);
}
