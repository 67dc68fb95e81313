import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';
import { ApiError } from '../../../shared/problem.ts';
import { principalOf } from '../auth/middleware.ts';
import { SCOPES, type Scope } from '../auth/scopes.ts';
import type { AppEnv } from '../types.ts';
import { readStrictJson } from './strict-json.ts';

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);
type OpenAPIRegistry = OpenAPIHono<AppEnv>['openAPIRegistry'];
const JSON_TYPE = /^application\/([\w.-]+\+)?json$/;

interface Operation {
  readonly route: RouteConfig;
  /** null: anyone may call; otherwise a signed-in caller holding these scopes. */
  readonly scopes: readonly Scope[] | null;
  readonly query: ReadonlySet<string>;
  readonly mediaTypes: readonly string[];
}

/**
 * What every management operation checks before its own validators run, in this order, from its
 * OpenAPI route definition (one place, so no route can forget a step or take them out of order):
 *
 * 1. who may call it (`security`): anonymous → 401 with a challenge, missing scope → 403 — an
 *    unauthenticated caller learns nothing about the body the operation expects;
 * 2. the body's media type, from the types the operation declares (415);
 * 3. no query parameter the operation does not declare (400 naming each, as unknown body fields are);
 * 4. a JSON body read by the strict reader (`strict-json.ts`): duplicate names, BOM, lone
 *    surrogates, NUL, non-UTF-8 and deep nesting are 400s, and the validators and handlers that
 *    call `c.req.json()` afterwards read exactly the text that was checked.
 *
 * `registry` is read on the first request, when every sub-app has been mounted.
 */
export function operationGuard(registry: () => OpenAPIRegistry, prefix: string): MiddlewareHandler<AppEnv> {
  let router: TrieRouter<Operation> | undefined;
  return async function operationGuard(c, next) {
    router ??= buildRouter(registry(), prefix);
    const method = c.req.method === 'HEAD' ? 'GET' : c.req.method;
    const operation = router.match(method, c.req.path)[0][0]?.[0];
    if (operation === undefined) return next();

    if (operation.scopes !== null) principalOf(c.var.principal, operation.scopes);

    const hasBody = METHODS_WITH_BODY.has(method) && c.req.raw.body !== null && c.req.header('content-length') !== '0';
    const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
    if (hasBody && !operation.mediaTypes.includes(type)) {
      throw new ApiError('unsupported-media-type', {
        detail: `Content-Type must be ${operation.mediaTypes.join(' or ')}`,
        headers: { 'accept-post': operation.mediaTypes.join(', ') },
      });
    }

    const unknown = [...new Set(new URL(c.req.url).searchParams.keys())].filter((name) => !operation.query.has(name));
    if (unknown.length > 0) {
      throw new ApiError('validation-failed', {
        detail: `Unknown query parameter(s): ${unknown.join(', ')}`,
        errors: unknown.map((name) => ({
          pointer: `#query/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`,
          detail: 'Unknown query parameter',
        })),
      });
    }

    if (hasBody && JSON_TYPE.test(type)) {
      const checked = readStrictJson(await c.req.arrayBuffer());
      if (!checked.ok)
        throw new ApiError('malformed-json', { detail: checked.detail, errors: [{ pointer: checked.pointer, detail: checked.detail }] });
      // Hono's c.req.json() parses the cached text: every reader after this one sees the checked text.
      // (Hono types bodyCache as the Body methods; at run time it holds their promises.)
      Object.assign(c.req.bodyCache, { text: Promise.resolve(checked.text) });
    }
    return next();
  };
}

function buildRouter(registry: OpenAPIRegistry, prefix: string): TrieRouter<Operation> {
  const router = new TrieRouter<Operation>();
  for (const definition of registry.definitions) {
    if (definition.type !== 'route' || !definition.route.path.startsWith(prefix)) continue;
    const route = definition.route;
    router.add(route.method.toUpperCase(), route.path.replace(/\{([^}]+)\}/g, ':$1'), {
      route,
      scopes: scopesOf(route),
      query: new Set(shapeKeys(route.request?.query)),
      mediaTypes: route.request?.body === undefined ? ['application/json'] : Object.keys(route.request.body.content),
    });
  }
  return router;
}

/** null when anyone may call (`security: []` or an empty requirement); else the scopes listed. */
export function scopesOf(route: Pick<RouteConfig, 'security'>): readonly Scope[] | null {
  const security = route.security;
  if (security === undefined) return [];
  if (security.length === 0 || security.some((r) => Object.keys(r).length === 0)) return null;
  const listed = Object.values(security[0] ?? {}).flat();
  return listed.filter((s): s is Scope => (SCOPES as readonly string[]).includes(s));
}

/** The member names of a query schema: a zod object, or one wrapped in a pipe (`.transform()`) or refinement. */
function shapeKeys(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  if ('shape' in schema && typeof schema.shape === 'object' && schema.shape !== null) return Object.keys(schema.shape);
  if ('in' in schema) return shapeKeys(schema.in);
  if ('unwrap' in schema && typeof schema.unwrap === 'function') return shapeKeys((schema.unwrap as () => unknown).call(schema));
  return [];
}
