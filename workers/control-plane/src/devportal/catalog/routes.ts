import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, asc, count, desc, eq, inArray, ne, or, sql, type SQL } from 'drizzle-orm';
import { API_KINDS, API_TYPES, TIME_UNITS } from '../../../../shared/db/schema.ts';
import { DEFAULT_STREAMING, StreamingSchema } from '../../../../shared/revision.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { storedNamesOf } from '../../../../shared/roles.ts';
import type { Principal } from '../../auth/principal.ts';
import { schema, type Database } from '../../db.ts';
import { PagingQuery, jsonResponse, pageOf, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import { DocumentSchema, documentView } from '../../publisher/documents/routes.ts';
import { generatedDocument } from '../../publisher/openapi/parse.ts';
import { loadDocument } from '../../publisher/openapi/documents.ts';
import type { AppEnv } from '../../types.ts';
import { OPTIONALLY_SIGNED_IN } from '../../http/security.ts';
import { containsText } from '../../http/search.ts';

const CATALOG_STATES = ['PUBLISHED', 'PRE-RELEASED', 'DEPRECATED'] as const;
export const CatalogEnvironment = z
  .object({
    name: z.string().openapi({ description: "The gateway environment, as the portal's try-it proxy names it (/gateway/<name>/…)" }),
    displayName: z.string(),
    gatewayUrl: z
      .string()
      .nullable()
      .openapi({ description: "The environment's public gateway URL (https://<hostname>), or null when its hostname is not set" }),
  })
  .openapi('CatalogEnvironment');
export const CatalogTier = z
  .object({
    name: z.string(),
    displayName: z.string(),
    description: z.string(),
    quotaType: z.enum(['requestCount', 'bandwidth']),
    limit: z.number().int().nullable().openapi({ description: 'Calls (or bytes) per window; null: unlimited' }),
    unitTime: z.number().int(),
    timeUnit: z.enum(TIME_UNITS),
    burstLimit: z.number().int().nullable(),
    burstTimeUnit: z.enum(['sec', 'min']).nullable(),
  })
  .openapi('CatalogTier', { description: 'A subscription tier an API offers, with what it allows' });
export const CatalogApi = z
  .object({
    id: z.string(),
    kind: z.enum(API_KINDS).openapi({
      description: 'API, or PRODUCT: operations of several APIs under one subscription (GET /products/{id} lists them; decision 0049)',
    }),
    name: z.string(),
    context: z.string(),
    version: z.string(),
    type: z.enum(API_TYPES).openapi({ description: 'HTTP (REST), GRAPHQL, WS or SSE: what the console speaks' }),
    description: z.string(),
    tags: z.array(z.string()),
    lifecycleState: z.enum(CATALOG_STATES),
    subscriptionTiers: z.array(z.string()),
    tiers: z.array(CatalogTier).openapi({ description: 'The offered tiers with their limits, in the order of subscriptionTiers' }),
    isDefaultVersion: z.boolean(),
    apiKeyHeader: z.string().openapi({ description: 'The request header that carries an API key for this API' }),
    acceptsApiKeys: z.boolean().openapi({
      description: 'Whether any resource of the API takes an API key (api_key or oauth2_or_api_key); false: OAuth2 tokens only (or open)',
    }),
    environments: z.array(CatalogEnvironment).openapi({
      description:
        'The gateway environments that serve the API now (a revision is deployed there) and that the caller may see; empty when it is deployed nowhere',
    }),
  })
  .openapi('CatalogApi');
/** What a developer needs of a GraphQL API to write queries: the schema and the limits (not the publisher's cost table or policies). */
export const GraphqlSchemaView = z
  .object({
    schema: z.string().openapi({ description: 'SDL' }),
    maxDepth: z.number().int().nullable(),
    maxComplexity: z.number().int().nullable(),
    introspection: z.boolean(),
    fieldScopes: z.record(z.string(), z.array(z.string())),
    points: z.object({ limit: z.number().int(), windowSeconds: z.number().int() }).nullable(),
  })
  .openapi('CatalogGraphqlSchema');
type CatalogEnvironment = z.infer<typeof CatalogEnvironment>;
type CatalogTier = z.infer<typeof CatalogTier>;

const listed = inArray(schema.apis.lifecycleState, [...CATALOG_STATES]);
type ApiRow = typeof schema.apis.$inferSelect;

/** WSO2's visibility: PUBLIC to everyone, PRIVATE to signed-in users, RESTRICTED to the roles it names. */
export function visibleTo(api: Pick<ApiRow, 'visibility' | 'visibleRoles'>, principal: Principal | undefined): boolean {
  if (api.visibility === 'PUBLIC') return true;
  if (principal === undefined) return false;
  return api.visibility === 'PRIVATE' || api.visibleRoles.includes(principal.role);
}

/**
 * The gateway environments each of `apiIds` is deployed to, that `principal` may see: an
 * environment with `visibleRoles` is shown to signed-in users of one of those roles only (WSO2's
 * gateway-environment visibility), one without to everyone. In creation order, so the default
 * (production) environment comes first.
 */
export async function deployedEnvironments(
  db: Database,
  apiIds: readonly string[],
  principal: Principal | undefined,
): Promise<Map<string, CatalogEnvironment[]>> {
  const out = new Map<string, CatalogEnvironment[]>(apiIds.map((id) => [id, []]));
  if (apiIds.length === 0) return out;
  const e = schema.gatewayEnvironments;
  const rows = await db
    .select({
      apiId: schema.deployments.apiId,
      name: e.name,
      displayName: e.displayName,
      hostname: e.hostname,
      visibleRoles: e.visibleRoles,
    })
    .from(schema.deployments)
    .innerJoin(e, eq(e.id, schema.deployments.environmentId))
    .where(inArray(schema.deployments.apiId, [...apiIds]))
    .orderBy(asc(e.createdAt), asc(e.name));
  for (const r of rows) {
    if (r.visibleRoles.length > 0 && (principal === undefined || !r.visibleRoles.includes(principal.role))) continue;
    out.get(r.apiId)?.push({ name: r.name, displayName: r.displayName, gatewayUrl: r.hostname === null ? null : `https://${r.hostname}` });
  }
  return out;
}

/** The subscription tiers by name, for the tier names the given APIs offer (one query for a page of APIs). */
export async function tiersByName(db: Database, apis: ReadonlyArray<Pick<ApiRow, 'subscriptionTiers'>>): Promise<Map<string, CatalogTier>> {
  const names = [...new Set(apis.flatMap((a) => a.subscriptionTiers))];
  if (names.length === 0) return new Map();
  const p = schema.throttlingPolicies;
  const rows = await db
    .select({
      name: p.name,
      displayName: p.displayName,
      description: p.description,
      quotaType: p.quotaType,
      limit: p.limit,
      unitTime: p.unitTime,
      timeUnit: p.timeUnit,
      burstLimit: p.burstLimit,
      burstTimeUnit: p.burstTimeUnit,
    })
    .from(p)
    .where(and(eq(p.kind, 'subscription'), inArray(p.name, names)));
  return new Map(rows.map((r) => [r.name, r]));
}

const API_KEY_AUTH: ReadonlyArray<ApiResourceRow['authType']> = ['api_key', 'oauth2_or_api_key'];
type ApiResourceRow = typeof schema.apiResources.$inferSelect;

/** Which of `apiIds` have a resource that takes an API key. */
async function apisTakingKeys(db: Database, apiIds: readonly string[]): Promise<Set<string>> {
  if (apiIds.length === 0) return new Set();
  const r = schema.apiResources;
  const rows = await db
    .selectDistinct({ apiId: r.apiId })
    .from(r)
    .where(and(inArray(r.apiId, [...apiIds]), inArray(r.authType, [...API_KEY_AUTH])));
  return new Set(rows.map((x) => x.apiId));
}

/** `visibleTo` as SQL, so the catalog pages in the database and not after a cap. */
function visibleSql(principal: Principal | undefined): SQL | undefined {
  if (principal === undefined) return eq(schema.apis.visibility, 'PUBLIC');
  return or(
    ne(schema.apis.visibility, 'RESTRICTED'),
    // A row not yet migrated may still name the role by its old name (decision 0057).
    sql`exists (select 1 from json_each(${schema.apis.visibleRoles}) where json_each.value in (${sql.join(
      storedNamesOf(principal.role).map((name) => sql`${name}`),
      sql`, `,
    )}))`,
  );
}

/**
 * An API of the catalog the caller may see, or 404 — also for APIs that exist but are not in it.
 * `pointer`: the request field that named the API, for the problem's `errors[]`.
 */
export async function catalogApi(db: Database, apiId: string, principal: Principal | undefined, pointer?: string): Promise<ApiRow> {
  const api = (
    await db
      .select()
      .from(schema.apis)
      .where(and(eq(schema.apis.id, apiId), listed))
      .limit(1)
  )[0];
  if (api === undefined || !visibleTo(api, principal))
    throw new ApiError('not-found', {
      detail: 'No such API in the catalog',
      ...(pointer === undefined ? {} : { errors: [{ pointer, detail: 'Not in the catalog' }] }),
    });
  return api;
}

/** The catalog: published, pre-released and deprecated APIs the caller may see (anonymous callers: PUBLIC ones). */
export function catalogRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const view = (a: ApiRow, environments: CatalogEnvironment[], tiers: Map<string, CatalogTier>, keyApis: Set<string>) => ({
    id: a.id,
    kind: a.kind,
    name: a.name,
    context: a.context,
    version: a.version,
    type: a.type,
    description: a.description,
    tags: a.tags,
    lifecycleState: a.lifecycleState as (typeof CATALOG_STATES)[number],
    subscriptionTiers: a.subscriptionTiers,
    // A tier deleted after the API named it has no limits to show; the subscribe call refuses it anyway.
    tiers: a.subscriptionTiers.flatMap((t) => tiers.get(t) ?? []),
    isDefaultVersion: a.isDefaultVersion,
    apiKeyHeader: a.apiKeyHeader,
    acceptsApiKeys: keyApis.has(a.id),
    environments,
  });

  app.openapi(
    createRoute({
      security: OPTIONALLY_SIGNED_IN,
      method: 'get',
      path: '/apis',
      tags: ['Devportal: catalog'],
      summary: 'Browse the catalog',
      request: { query: PagingQuery.extend({ query: z.string().max(100).optional(), tag: z.string().max(50).optional() }) },
      responses: { 200: jsonResponse(pageOf(CatalogApi), 'A page of APIs') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const db = c.var.db;
      const a = schema.apis;
      const where = and(
        listed,
        visibleSql(c.var.principal),
        q.tag === undefined ? undefined : sql`exists (select 1 from json_each(${a.tags}) where json_each.value = ${q.tag})`,
        q.query === undefined ? undefined : containsText(q.query, a.name, a.context, a.description),
      );
      const [rows, total] = await db.batch([
        db.select().from(a).where(where).orderBy(desc(a.createdAt)).limit(q.limit).offset(q.offset),
        db.select({ n: count() }).from(a).where(where),
      ]);
      const ids = rows.map((r) => r.id);
      const [environments, tiers, keyApis] = await Promise.all([
        deployedEnvironments(db, ids, c.var.principal),
        tiersByName(db, rows),
        apisTakingKeys(db, ids),
      ]);
      return c.json(
        {
          count: rows.length,
          total: total[0]?.n ?? 0,
          limit: q.limit,
          offset: q.offset,
          list: rows.map((r) => view(r, environments.get(r.id) ?? [], tiers, keyApis)),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: OPTIONALLY_SIGNED_IN,
      method: 'get',
      path: '/apis/{apiId}',
      tags: ['Devportal: catalog'],
      summary: 'One API of the catalog with its resources',
      request: { params: z.object({ apiId: z.string() }) },
      responses: {
        200: jsonResponse(
          CatalogApi.extend({
            resources: z.array(z.object({ method: z.string(), path: z.string(), authType: z.string(), scopes: z.array(z.string()) })),
            streaming: StreamingSchema.nullable().openapi({
              description:
                "A WS or SSE API's connection limits (idle and maximum duration, connections per subscription, whether a query token is taken); null for HTTP and GraphQL APIs",
            }),
          }),
          'The API',
        ),
        ...problems('not-found'),
      },
    }),
    async (c) => {
      const db = c.var.db;
      const api = await catalogApi(db, c.req.valid('param').apiId, c.var.principal);
      const [resources, environments, tiers] = await Promise.all([
        db.select().from(schema.apiResources).where(eq(schema.apiResources.apiId, api.id)).orderBy(schema.apiResources.sortOrder),
        deployedEnvironments(db, [api.id], c.var.principal),
        tiersByName(db, [api]),
      ]);
      const keyApis = new Set(resources.some((r) => API_KEY_AUTH.includes(r.authType)) ? [api.id] : []);
      return c.json(
        {
          ...view(api, environments.get(api.id) ?? [], tiers, keyApis),
          resources: resources.map((r) => ({ method: r.method, path: r.pathTemplate, authType: r.authType, scopes: r.scopes })),
          streaming: api.type === 'WS' || api.type === 'SSE' ? (api.streaming ?? DEFAULT_STREAMING) : null,
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      security: OPTIONALLY_SIGNED_IN,
      method: 'get',
      path: '/apis/{apiId}/documents',
      tags: ['Devportal: catalog'],
      summary: "An API's documents, in order",
      request: { params: z.object({ apiId: z.string() }) },
      responses: { 200: jsonResponse(z.object({ list: z.array(DocumentSchema) }), 'Documents'), ...problems('not-found') },
    }),
    async (c) => {
      const db = c.var.db;
      const api = await catalogApi(db, c.req.valid('param').apiId, c.var.principal);
      const rows = await db
        .select()
        .from(schema.apiDocuments)
        .where(eq(schema.apiDocuments.apiId, api.id))
        .orderBy(asc(schema.apiDocuments.sortOrder), asc(schema.apiDocuments.name));
      return c.json({ list: rows.map(documentView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: OPTIONALLY_SIGNED_IN,
      method: 'get',
      path: '/apis/{apiId}/graphql',
      tags: ['Devportal: catalog'],
      summary: "A GraphQL API's schema (SDL) and the limits its queries must keep",
      request: { params: z.object({ apiId: z.string() }) },
      responses: { 200: jsonResponse(GraphqlSchemaView, 'The schema and limits'), ...problems('not-found') },
    }),
    async (c) => {
      const api = await catalogApi(c.var.db, c.req.valid('param').apiId, c.var.principal);
      const graphql = api.type === 'GRAPHQL' ? api.graphql : null;
      if (graphql === null) throw new ApiError('not-found', { detail: 'This API is not a GraphQL API' });
      return c.json(
        {
          schema: graphql.schema,
          maxDepth: graphql.maxDepth,
          maxComplexity: graphql.maxComplexity,
          introspection: graphql.introspection,
          fieldScopes: graphql.fieldScopes,
          points: graphql.points,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: OPTIONALLY_SIGNED_IN,
      method: 'get',
      path: '/apis/{apiId}/openapi',
      tags: ['Devportal: catalog'],
      summary: "An API's OpenAPI document",
      request: { params: z.object({ apiId: z.string() }) },
      responses: { 200: jsonResponse(z.record(z.string(), z.unknown()), 'The OpenAPI document'), ...problems('not-found') },
    }),
    async (c) => {
      const db = c.var.db;
      const api = await catalogApi(db, c.req.valid('param').apiId, c.var.principal);
      const stored = await loadDocument(c.env.BLOBS, api);
      if (stored !== null) return c.json(stored, 200);
      const resources = await db
        .select()
        .from(schema.apiResources)
        .where(eq(schema.apiResources.apiId, api.id))
        .orderBy(schema.apiResources.sortOrder);
      return c.json(
        generatedDocument(
          api,
          resources.map((r) => ({ method: r.method, path: r.pathTemplate, authType: r.authType, scopes: r.scopes })),
        ),
        200,
      );
    },
  );
  return app;
}
