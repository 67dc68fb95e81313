import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { assertPoliciesExist, assertVisibility } from '../apis/create.ts';
import {
  CreateProductBody,
  ProductLifecycleBody,
  ProductLifecycleResult,
  ProductSchema,
  UpdateProductBody,
  type ProductState,
} from './schemas.ts';
import {
  PRODUCT_TRANSITIONS,
  SERVED_PRODUCT_STATES,
  checkOperations,
  manageableProduct,
  manageableProducts,
  productOperations,
  productView,
  republishProductApis,
} from './store.ts';

const tags = ['Publisher: API products'];
const ProductIdParam = z.object({ productId: z.string().openapi({ param: { name: 'productId', in: 'path' } }) });
type ApiRow = typeof schema.apis.$inferSelect;

// D1 binds at most 100 parameters per statement; an operation row takes five.
const OPERATIONS_PER_INSERT = 20;

function operationRows(db: Database, productId: string, operations: ReadonlyArray<{ apiId: string; method: string; path: string }>) {
  const rows = operations.map((o, i) => ({ productId, apiId: o.apiId, method: o.method, pathTemplate: o.path, sortOrder: i }));
  const out: BatchItem<'sqlite'>[] = [];
  for (let i = 0; i < rows.length; i += OPERATIONS_PER_INSERT)
    out.push(db.insert(schema.apiProductOperations).values(rows.slice(i, i + OPERATIONS_PER_INSERT)));
  return out;
}

async function view(db: Database, row: ApiRow) {
  return productView(row, (await productOperations(db, [row.id])).get(row.id) ?? []);
}

const served = (state: string) => (SERVED_PRODUCT_STATES as readonly string[]).includes(state);

/** /api/publisher/v1/products — API products (decision 0049): operations of several APIs under one subscription and one quota. */
export function productRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'post',
      path: '/products',
      tags,
      summary: 'Create an API product from operations of APIs you manage',
      request: { body: jsonBody(CreateProductBody) },
      responses: {
        201: jsonResponse(ProductSchema, 'The product, in state CREATED'),
        ...problems('unauthorized', 'forbidden', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const body = c.req.valid('json');
      const db = c.var.db;
      assertVisibility(body.visibility, body.visibleRoles);
      await assertPoliciesExist(db, body.subscriptionTiers, null, []);
      await checkOperations(db, principal, body.operations);
      const taken = await db
        .select({ id: schema.apis.id })
        .from(schema.apis)
        .where(and(eq(schema.apis.context, body.context), eq(schema.apis.version, body.version)))
        .limit(1);
      if (taken.length > 0)
        throw new ApiError('conflict', {
          detail: `${body.context} ${body.version} already exists`,
          errors: [{ pointer: '/context', detail: 'Context and version are taken (by an API or a product)' }],
        });
      const id = newId('product');
      try {
        await db.batch([
          db.insert(schema.apis).values({
            id,
            kind: 'PRODUCT',
            name: body.name,
            context: body.context,
            version: body.version,
            description: body.description,
            tags: body.tags,
            visibility: body.visibility,
            visibleRoles: body.visibleRoles,
            providerId: principal.userId,
            subscriptionTiers: body.subscriptionTiers,
          }),
          ...operationRows(db, id, body.operations),
          auditEntry(db, principal, 'product.create', { type: 'api', id }, null, {
            name: body.name,
            context: body.context,
            version: body.version,
            operations: body.operations.length,
          }),
        ]);
      } catch (err) {
        if (/UNIQUE constraint failed: apis/.test(String(err)))
          throw new ApiError('conflict', { detail: `${body.context} ${body.version} already exists` });
        throw err;
      }
      const row = await manageableProduct(db, principal, id);
      return c.json(await view(db, row), 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/products',
      tags,
      summary: 'The API products you manage',
      responses: {
        200: jsonResponse(z.object({ list: z.array(ProductSchema) }), 'Products, oldest first'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:view']);
      const rows = await manageableProducts(c.var.db, principal);
      const operations = await productOperations(
        c.var.db,
        rows.map((r) => r.id),
      );
      return c.json({ list: rows.map((r) => productView(r, operations.get(r.id) ?? [])) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/products/{productId}',
      tags,
      summary: 'One API product with its operations',
      request: { params: ProductIdParam },
      responses: { 200: jsonResponse(ProductSchema, 'The product'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:view']);
      const row = await manageableProduct(c.var.db, principal, c.req.valid('param').productId);
      return c.json(await view(c.var.db, row), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'patch',
      path: '/products/{productId}',
      tags,
      summary: "Change a product's name, description, visibility, tiers or operations",
      description:
        'A product that gateways serve (PUBLISHED or DEPRECATED) reaches them at once: every environment of its APIs, before and after, is recompiled.',
      request: { params: ProductIdParam, body: jsonBody(UpdateProductBody) },
      responses: {
        200: jsonResponse(ProductSchema, 'The product'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const row = await manageableProduct(db, principal, c.req.valid('param').productId);
      const body = c.req.valid('json');
      const visibility = body.visibility ?? row.visibility;
      assertVisibility(visibility, body.visibleRoles ?? (body.visibility === undefined ? row.visibleRoles : []));
      if (body.subscriptionTiers !== undefined) await assertPoliciesExist(db, body.subscriptionTiers, null, []);
      if (body.operations !== undefined) await checkOperations(db, principal, body.operations);
      const before = await view(db, row);
      const { operations, ...fields } = body;
      await db.batch([
        db
          .update(schema.apis)
          .set({
            ...fields,
            ...(body.visibility !== undefined && body.visibleRoles === undefined ? { visibleRoles: [] } : {}),
            updatedAt: Date.now(),
          })
          .where(eq(schema.apis.id, row.id)),
        ...(operations === undefined
          ? []
          : [
              db.delete(schema.apiProductOperations).where(eq(schema.apiProductOperations.productId, row.id)),
              ...operationRows(db, row.id, operations),
            ]),
        auditEntry(db, principal, 'product.update', { type: 'api', id: row.id }, { operations: before.operations.length }, body),
      ]);
      if (served(row.lifecycleState) && operations !== undefined)
        await republishProductApis(c.env, db, [...new Set([...before.operations, ...operations].map((o) => o.apiId))]);
      return c.json(await view(db, await manageableProduct(db, principal, row.id)), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/products/{productId}/lifecycle',
      tags,
      summary: "A product's lifecycle state and the transitions allowed from it",
      request: { params: ProductIdParam },
      responses: { 200: jsonResponse(ProductLifecycleResult, 'Current state'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const row = await manageableProduct(c.var.db, principalOf(c.var.principal, ['api:view']), c.req.valid('param').productId);
      const state = row.lifecycleState as ProductState;
      return c.json({ lifecycleState: state, allowedTransitions: [...PRODUCT_TRANSITIONS[state]] }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:publish'),
      method: 'post',
      path: '/products/{productId}/lifecycle',
      tags,
      summary: 'Move a product to another lifecycle state (CREATED → PUBLISHED → DEPRECATED → RETIRED)',
      request: { params: ProductIdParam, body: jsonBody(ProductLifecycleBody) },
      responses: {
        200: jsonResponse(ProductLifecycleResult, 'The new state'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'illegal-transition'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:publish']);
      const db = c.var.db;
      const row = await manageableProduct(db, principal, c.req.valid('param').productId);
      const from = row.lifecycleState as ProductState;
      const { state } = c.req.valid('json');
      const allowed = PRODUCT_TRANSITIONS[from];
      if (!allowed.includes(state))
        throw new ApiError('illegal-transition', {
          detail: `${from} cannot move to ${state}; allowed: ${allowed.length === 0 ? 'none' : allowed.join(', ')}`,
          extensions: { currentState: from, allowedTransitions: allowed },
          errors: [{ pointer: '/state', detail: `Allowed from ${from}: ${allowed.join(', ') || 'none'}` }],
        });
      await db.batch([
        db.update(schema.apis).set({ lifecycleState: state, updatedAt: Date.now() }).where(eq(schema.apis.id, row.id)),
        auditEntry(db, principal, 'product.lifecycle', { type: 'api', id: row.id }, { lifecycleState: from }, { lifecycleState: state }),
      ]);
      // Published, deprecated and retired must reach the gateways now: whether they admit the product's subscriptions.
      if (served(from) !== served(state)) {
        const operations = (await productOperations(db, [row.id])).get(row.id) ?? [];
        await republishProductApis(c.env, db, [...new Set(operations.map((o) => o.apiId))]);
      }
      return c.json({ lifecycleState: state, allowedTransitions: [...PRODUCT_TRANSITIONS[state]] }, 200);
    },
  );

  return app;
}
