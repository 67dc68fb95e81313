import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, count, desc, eq, inArray, type SQL } from 'drizzle-orm';
import { LIFECYCLE_STATES } from '../../../../shared/db/schema.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { PagingQuery, jsonBody, jsonResponse, pageOf, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { parseDefinition } from '../openapi/parse.ts';
import { storeDocument } from '../openapi/documents.ts';
import { createApi, sealEndpointSecurity } from './create.ts';
import { ApiSchema, CreateApiBody, type ApiView } from './schemas.ts';
import { apiView, manageableApi, manageableApiIds } from './store.ts';
import { requires } from '../../http/security.ts';
import { containsText } from '../../http/search.ts';
import { entityTag, taggedJsonResponse } from '../../http/etag.ts';

const tags = ['Publisher: APIs'];
const ApiIdParam = z.object({ apiId: z.string().openapi({ param: { name: 'apiId', in: 'path' } }) });

export function apiRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'post',
      path: '/apis',
      tags,
      summary: 'Create an API',
      request: { body: jsonBody(CreateApiBody) },
      responses: { 201: taggedJsonResponse(ApiSchema, 'The API, in state CREATED'), ...problems('unauthorized', 'forbidden', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const body = c.req.valid('json');
      const row = await createApi(
        c.var.db,
        principal,
        body,
        body.openapi === undefined ? null : await storeDocument(c.env.BLOBS, parseDefinition(body.openapi, '/openapi').document),
        await sealEndpointSecurity(c.env.ENCRYPTION_KEY, body.endpoints),
      );
      const view = await apiView(c.var.db, row);
      return c.json(view, 201, { etag: await entityTag(view) });
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
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
      responses: {
        200: jsonResponse(pageOf(ApiSchema.omit({ resources: true, endpoints: true, graphql: true })), 'A page of APIs'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:view']);
      const q = c.req.valid('query');
      const db = c.var.db;
      // API products (decision 0049) share the table; they are listed under /products.
      const conditions: SQL[] = [eq(schema.apis.kind, 'API')];
      const visible = await manageableApiIds(db, principal);
      if (visible !== null) conditions.push(inArray(schema.apis.id, visible.length === 0 ? [''] : visible));
      if (q.state !== undefined) conditions.push(eq(schema.apis.lifecycleState, q.state));
      if (q.query !== undefined) {
        const cond = containsText(q.query, schema.apis.name, schema.apis.context, schema.apis.description);
        if (cond !== undefined) conditions.push(cond);
      }
      const where = and(...conditions);
      const [rows, totals] = await db.batch([
        db.select().from(schema.apis).where(where).orderBy(desc(schema.apis.createdAt)).limit(500),
        db.select({ n: count() }).from(schema.apis).where(where),
      ]);
      const filtered = q.tag === undefined ? rows : rows.filter((r) => r.tags.includes(q.tag ?? ''));
      const page = filtered.slice(q.offset, q.offset + q.limit);
      const list = page.map(({ openapi: _openapi, openapiKey: _openapiKey, graphql: _graphql, kind: _kind, ...r }) => ({
        ...r,
        cors: r.cors as ApiView['cors'],
        headerEdits: r.headerEdits as ApiView['headerEdits'],
      }));
      return c.json(
        { count: list.length, total: q.tag === undefined ? (totals[0]?.n ?? 0) : filtered.length, limit: q.limit, offset: q.offset, list },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}',
      tags,
      summary: 'One API with its resources and endpoints',
      request: { params: ApiIdParam },
      responses: { 200: taggedJsonResponse(ApiSchema, 'The API'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:view']);
      const api = await manageableApi(c.var.db, principal, c.req.valid('param').apiId);
      const view = await apiView(c.var.db, api);
      return c.json(view, 200, { etag: await entityTag(view) });
    },
  );

  return app;
}
