import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, count, desc, eq, inArray, like, or, type SQL } from 'drizzle-orm';
import { LIFECYCLE_STATES } from '../../../../shared/db/schema.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { PagingQuery, jsonBody, jsonResponse, pageOf, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { ApiSchema, CreateApiBody, type ApiView } from './schemas.ts';
import { apiView, manageableApi, manageableApiIds } from './store.ts';

const tags = ['Publisher: APIs'];
const ApiIdParam = z.object({ apiId: z.string().openapi({ param: { name: 'apiId', in: 'path' } }) });

export function apiRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/apis',
      tags,
      summary: 'Create an API',
      request: { body: jsonBody(CreateApiBody) },
      responses: { 201: jsonResponse(ApiSchema, 'The API, in state CREATED'), ...problems('unauthorized', 'forbidden', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const body = c.req.valid('json');
      const db = c.var.db;
      await assertPoliciesExist(db, body.subscriptionTiers, body.apiThrottlingPolicy, body.resources.map((r) => r.throttlingPolicy));
      const duplicate = new Set<string>();
      body.resources.forEach((r, i) => {
        const key = `${r.method} ${r.path}`;
        if (duplicate.has(key)) throw new ApiError('validation-failed', { detail: `Resource ${key} is listed twice`, errors: [{ pointer: `/resources/${i}`, detail: `Duplicate resource ${key}` }] });
        duplicate.add(key);
      });
      const taken = await db.select({ id: schema.apis.id }).from(schema.apis).where(and(eq(schema.apis.context, body.context), eq(schema.apis.version, body.version))).limit(1);
      if (taken.length > 0) throw new ApiError('conflict', { detail: `${body.context} ${body.version} already exists`, errors: [{ pointer: '/context', detail: 'Context and version are taken' }] });
      const id = newId('api');
      const statements = [
        db.insert(schema.apis).values({
          id,
          name: body.name,
          context: body.context,
          version: body.version,
          description: body.description,
          tags: body.tags,
          isDefaultVersion: body.isDefaultVersion,
          visibility: body.visibility,
          providerId: principal.userId,
          subscriptionTiers: body.subscriptionTiers,
          apiThrottlingPolicy: body.apiThrottlingPolicy,
          apiKeyHeader: body.apiKeyHeader.toLowerCase(),
          cors: body.cors,
          backendJwt: body.backendJwt,
          headerEdits: body.headerEdits,
        }),
        ...body.resources.map((r, i) =>
          db.insert(schema.apiResources).values({ id: newId('resource'), apiId: id, method: r.method, pathTemplate: r.path, authType: r.authType, scopes: r.scopes, throttlingPolicy: r.throttlingPolicy, sortOrder: i }),
        ),
        ...(['production', 'sandbox'] as const).flatMap((kind) => {
          const e = body.endpoints[kind];
          return e === undefined ? [] : [db.insert(schema.endpoints).values({ id: newId('endpoint'), apiId: id, keyType: kind === 'production' ? 'PRODUCTION' : 'SANDBOX', strategy: e.strategy, urls: e.urls, suspendSeconds: e.suspendSeconds })];
        }),
        auditEntry(db, principal, 'api.create', { type: 'api', id }, null, { name: body.name, context: body.context, version: body.version }),
      ] as const;
      try {
        await db.batch(statements as unknown as Parameters<typeof db.batch>[0]);
      } catch (err) {
        if (/UNIQUE constraint failed: apis/.test(String(err))) throw new ApiError('conflict', { detail: `${body.context} ${body.version} already exists` });
        throw err;
      }
      const row = (await db.select().from(schema.apis).where(eq(schema.apis.id, id)).limit(1))[0];
      if (row === undefined) throw new ApiError('internal');
      return c.json(await apiView(db, row), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/apis',
      tags,
      summary: 'List and search the APIs you manage',
      request: {
        query: PagingQuery.extend({
          query: z.string().max(100).optional().openapi({ description: 'Text in name, context or description' }),
          state: z.enum(LIFECYCLE_STATES).optional(),
          tag: z.string().max(50).optional(),
        }),
      },
      responses: { 200: jsonResponse(pageOf(ApiSchema.omit({ resources: true, endpoints: true })), 'A page of APIs'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:view']);
      const q = c.req.valid('query');
      const db = c.var.db;
      const conditions: SQL[] = [];
      const visible = await manageableApiIds(db, principal);
      if (visible !== null) conditions.push(inArray(schema.apis.id, visible.length === 0 ? [''] : visible));
      if (q.state !== undefined) conditions.push(eq(schema.apis.lifecycleState, q.state));
      if (q.query !== undefined) {
        const text = `%${q.query.replace(/[%_\\]/g, (ch) => '\\' + ch)}%`;
        const cond = or(like(schema.apis.name, text), like(schema.apis.context, text), like(schema.apis.description, text));
        if (cond !== undefined) conditions.push(cond);
      }
      const where = conditions.length > 0 ? and(...conditions) : undefined;
      const [rows, totals] = await db.batch([
        db.select().from(schema.apis).where(where).orderBy(desc(schema.apis.createdAt)).limit(500),
        db.select({ n: count() }).from(schema.apis).where(where),
      ]);
      const filtered = q.tag === undefined ? rows : rows.filter((r) => r.tags.includes(q.tag ?? ''));
      const page = filtered.slice(q.offset, q.offset + q.limit);
      const list = page.map(({ openapi: _openapi, ...r }) => ({ ...r, cors: r.cors as ApiView['cors'], headerEdits: r.headerEdits as ApiView['headerEdits'] }));
      return c.json({ count: list.length, total: q.tag === undefined ? (totals[0]?.n ?? 0) : filtered.length, limit: q.limit, offset: q.offset, list }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/apis/{apiId}',
      tags,
      summary: 'One API with its resources and endpoints',
      request: { params: ApiIdParam },
      responses: { 200: jsonResponse(ApiSchema, 'The API'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:view']);
      const api = await manageableApi(c.var.db, principal, c.req.valid('param').apiId);
      return c.json(await apiView(c.var.db, api), 200);
    },
  );

  return app;
}

/** Every policy an API names must exist with the right kind; the field at fault is named. */
async function assertPoliciesExist(db: AppEnv['Variables']['db'], tiers: string[], apiPolicy: string | null, resourcePolicies: Array<string | null>): Promise<void> {
  const policies = await db.select({ kind: schema.throttlingPolicies.kind, name: schema.throttlingPolicies.name }).from(schema.throttlingPolicies);
  const has = (kind: string, name: string) => policies.some((p) => p.kind === kind && p.name === name);
  const errors = [
    ...tiers.flatMap((t, i) => (has('subscription', t) ? [] : [{ pointer: `/subscriptionTiers/${i}`, detail: `No subscription tier named ${t}` }])),
    ...(apiPolicy === null || has('advanced', apiPolicy) ? [] : [{ pointer: '/apiThrottlingPolicy', detail: `No advanced policy named ${apiPolicy}` }]),
    ...resourcePolicies.flatMap((p, i) => (p === null || has('advanced', p) ? [] : [{ pointer: `/resources/${i}/throttlingPolicy`, detail: `No advanced policy named ${p}` }])),
  ];
  if (errors.length > 0) throw new ApiError('validation-failed', { detail: errors.map((e) => e.detail).join('; '), errors });
}
