/**
 * A GraphQL API's definition on the publisher side: the config a publisher sends (zod), its check
 * against the schema it names (every coordinate must exist, operations are root fields), and the
 * schema read from a running backend by introspection. The schema is parsed with `graphql`, the
 * reference implementation, so what is accepted here is what the gateway can build.
 */
import { z } from '@hono/zod-openapi';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  isInterfaceType,
  isObjectType,
  printSchema,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { ApiError, type FieldError } from '../../../../shared/problem.ts';
import type { ApiType } from '../../../../shared/db/schema.ts';

const Coordinate = z
  .string()
  .regex(/^[_A-Za-z][_0-9A-Za-z]*\.[_A-Za-z][_0-9A-Za-z]*$/, 'A field coordinate Type.field, e.g. Query.books')
  .max(200);

/** An SDL document the control plane stores: at most this many characters. */
export const MAX_SDL_CHARS = 512 * 1024;

export const GraphqlInput = z
  .strictObject({
    schema: z.string().min(1).max(MAX_SDL_CHARS).openapi({ description: 'The schema in SDL (GraphQL schema definition language)' }),
    maxDepth: z
      .number()
      .int()
      .min(1)
      .max(100)
      .nullable()
      .default(null)
      .openapi({ description: 'Deepest field nesting a query may have (a root field is depth 1); null: no limit' }),
    maxComplexity: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .nullable()
      .default(null)
      .openapi({ description: 'Most complexity points one query may cost; null: no limit' }),
    introspection: z.boolean().default(true).openapi({ description: 'false: __schema and __type queries are refused at the gateway' }),
    fieldCosts: z.record(Coordinate, z.number().int().min(0).max(100_000)).default({}).openapi({
      description: 'Points a field costs (default 1); a field with a first/last/limit argument multiplies its selection by it',
    }),
    fieldScopes: z
      .record(Coordinate, z.array(z.string().min(1).max(100)).min(1).max(20))
      .default({})
      .openapi({ description: 'Scopes a field requires, any one of them; a token lacking it gets 403 naming the field' }),
    operationPolicies: z
      .record(Coordinate, z.string().min(1).max(100))
      .default({})
      .openapi({ description: 'An advanced throttling policy per operation (a root field, e.g. Query.books), shared by every caller' }),
    points: z
      .strictObject({ limit: z.number().int().min(1).max(1_000_000_000), windowSeconds: z.number().int().min(1).max(2_592_000) })
      .nullable()
      .default(null)
      .openapi({
        description:
          'Complexity points each application may spend on this API per window: a call consumes its cost (RateLimit headers count points)',
      }),
  })
  .openapi('GraphqlConfig');
export type GraphqlInputValue = z.infer<typeof GraphqlInput>;

/**
 * A GRAPHQL API has a config and the other types have none; the schema must build and every
 * coordinate name a field of it. Each fault is named by a JSON pointer into the request.
 */
export function checkGraphql(type: ApiType, graphql: GraphqlInputValue | null | undefined, pointer = '/graphql'): void {
  if (type !== 'GRAPHQL') {
    if (graphql !== null && graphql !== undefined)
      throw new ApiError('validation-failed', {
        detail: `A ${type} API has no GraphQL schema`,
        errors: [{ pointer, detail: 'Only a GRAPHQL API has one' }],
      });
    return;
  }
  if (graphql === null || graphql === undefined)
    throw new ApiError('validation-failed', {
      detail: 'A GRAPHQL API needs its schema',
      errors: [{ pointer, detail: 'Send { schema: "<SDL>" } (or introspect the backend first)' }],
    });
  let schema: GraphQLSchema;
  try {
    schema = buildSchema(graphql.schema);
  } catch (err) {
    throw new ApiError('validation-failed', {
      detail: 'The GraphQL schema does not build',
      errors: [{ pointer: `${pointer}/schema`, detail: err instanceof Error ? err.message.slice(0, 500) : 'Not a valid SDL document' }],
    });
  }
  const errors: FieldError[] = [];
  const roots = new Set(
    [schema.getQueryType()?.name, schema.getMutationType()?.name, schema.getSubscriptionType()?.name].filter(
      (n): n is string => n !== undefined,
    ),
  );
  const check = (member: 'fieldCosts' | 'fieldScopes' | 'operationPolicies') => {
    for (const coordinate of Object.keys(graphql[member])) {
      const [typeName = '', fieldName = ''] = coordinate.split('.');
      const type = schema.getType(typeName);
      const at = `${pointer}/${member}/${coordinate.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (
        type === undefined ||
        type === null ||
        !(isObjectType(type) || isInterfaceType(type)) ||
        type.getFields()[fieldName] === undefined
      )
        errors.push({ pointer: at, detail: `The schema has no field ${coordinate}` });
      else if (member === 'operationPolicies' && !roots.has(typeName))
        errors.push({ pointer: at, detail: `${coordinate} is not an operation: operations are fields of ${[...roots].join(', ')}` });
    }
  };
  check('fieldCosts');
  check('fieldScopes');
  check('operationPolicies');
  if (errors.length > 0) throw new ApiError('validation-failed', { detail: errors.map((e) => e.detail).join('; '), errors });
}

/** Advanced policies a GraphQL config names, for the check that they exist. */
export function graphqlPolicies(graphql: GraphqlInputValue | null | undefined): string[] {
  return graphql === null || graphql === undefined ? [] : Object.values(graphql.operationPolicies);
}

export type Introspected = { readonly ok: true; readonly schema: string } | { readonly ok: false; readonly detail: string };

/**
 * Reads a backend's schema by the standard introspection query (POST, JSON, GraphQL over HTTP) and
 * prints it as SDL. A backend that answers with something other than an introspection result is a
 * value, not an exception: the caller names the URL in a 400.
 */
export async function introspect(
  url: string,
  headers: Readonly<Record<string, string>>,
  fetcher: typeof fetch = fetch,
): Promise<Introspected> {
  let response: Response;
  try {
    response = await fetcher(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: getIntrospectionQuery(), operationName: 'IntrospectionQuery' }),
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    return { ok: false, detail: `The backend could not be reached (${err instanceof Error ? err.name : 'error'})` };
  }
  const text = await response.text();
  if (text.length > 4 * MAX_SDL_CHARS) return { ok: false, detail: 'The introspection result is too large' };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, detail: `The backend answered ${response.status} with a body that is not JSON` };
  }
  const data = typeof body === 'object' && body !== null && 'data' in body ? (body as { data: unknown }).data : null;
  if (typeof data !== 'object' || data === null || !('__schema' in data))
    return { ok: false, detail: `The backend answered ${response.status} without an introspection result (is introspection enabled?)` };
  try {
    const sdl = printSchema(buildClientSchema(data as IntrospectionQuery));
    return sdl.length > MAX_SDL_CHARS ? { ok: false, detail: 'The schema is too large' } : { ok: true, schema: sdl };
  } catch (err) {
    return {
      ok: false,
      detail: `The introspection result does not make a schema: ${err instanceof Error ? err.message.slice(0, 300) : 'invalid'}`,
    };
  }
}
