import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq, inArray } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { republishApi } from '../../gateway-sync/snapshot.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { manageableApi } from '../apis/store.ts';

const tags = ['Publisher: key managers'];

export const ApiKeyManagersSchema = z
  .object({
    keyManagers: z.array(z.string().min(1).max(60)).max(10).openapi({
      description:
        'Names of the external key managers whose tokens the API accepts besides Turnpike’s own; empty: Turnpike’s own tokens and API keys only',
    }),
  })
  .openapi('ApiKeyManagers');

/**
 * Which key managers an API accepts (WSO2's per-API "Key Managers" setting). Live, not part of a
 * revision (decision 0036): like the default version, it reaches every environment the API is
 * deployed to at once.
 */
export function publisherKeyManagerRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const ApiIdParam = z.object({ apiId: z.string() });

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/key-managers',
      tags,
      summary: 'External key managers an API can accept',
      responses: {
        200: jsonResponse(
          z.object({
            list: z.array(z.object({ name: z.string(), displayName: z.string(), issuer: z.string(), environments: z.array(z.string()) })),
          }),
          'Key managers',
        ),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      principalOf(c.var.principal, ['api:view']);
      const rows = await c.var.db
        .select()
        .from(schema.keyManagers)
        .where(eq(schema.keyManagers.enabled, true))
        .orderBy(schema.keyManagers.name);
      return c.json(
        { list: rows.map((k) => ({ name: k.name, displayName: k.displayName, issuer: k.issuer, environments: k.environments })) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}/key-managers',
      tags,
      summary: 'The key managers an API accepts',
      request: { params: ApiIdParam },
      responses: {
        200: jsonResponse(ApiKeyManagersSchema, 'Accepted key managers'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:view']);
      const api = await manageableApi(c.var.db, principal, c.req.valid('param').apiId);
      return c.json({ keyManagers: api.keyManagers }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'put',
      path: '/apis/{apiId}/key-managers',
      tags,
      summary: 'Choose the external key managers an API accepts (live on every environment it is deployed to)',
      request: { params: ApiIdParam, body: jsonBody(ApiKeyManagersSchema.strict()) },
      responses: {
        200: jsonResponse(ApiKeyManagersSchema, 'Accepted key managers'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const api = await manageableApi(db, principal, c.req.valid('param').apiId);
      const names = [...new Set(c.req.valid('json').keyManagers)];
      const known =
        names.length === 0
          ? []
          : await db.select({ name: schema.keyManagers.name }).from(schema.keyManagers).where(inArray(schema.keyManagers.name, names));
      const errors = names.flatMap((n, i) =>
        known.some((k) => k.name === n) ? [] : [{ pointer: `/keyManagers/${i}`, detail: `No key manager named ${n}` }],
      );
      if (errors.length > 0) throw new ApiError('validation-failed', { detail: 'Unknown key managers', errors });
      await db.batch([
        db.update(schema.apis).set({ keyManagers: names }).where(eq(schema.apis.id, api.id)),
        auditEntry(
          db,
          principal,
          'api.key-managers',
          { type: 'api', id: api.id },
          { keyManagers: api.keyManagers },
          { keyManagers: names },
        ),
      ]);
      await republishApi(c.env, db, api.id);
      return c.json({ keyManagers: names }, 200);
    },
  );
  return app;
}
