import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import type { Principal } from '../../auth/principal.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { API_OR_PRODUCT, manageableApi } from '../apis/store.ts';
import { requires } from '../../http/security.ts';

const tags = ['Publisher: collaborators'];
export const AddCollaboratorBody = z
  .strictObject({ email: z.string().normalize('NFC').trim().toLowerCase().pipe(z.email()) })
  .openapi('AddCollaboratorRequest');
export const CollaboratorSchema = z.object({ userId: z.string(), email: z.string(), displayName: z.string() }).openapi('Collaborator');

/** Only the API's provider (or an admin) decides who else may change it; collaborators may not re-share. */
async function ownedApi(db: Database, principal: Principal, apiId: string) {
  const api = await manageableApi(db, principal, apiId, API_OR_PRODUCT);
  if (principal.role !== 'admin' && api.providerId !== principal.userId)
    throw new ApiError('forbidden', { detail: "Only the API's provider or an admin shares it" });
  return api;
}

/** WSO2's API sharing: other publishers who may read and change an API as if it were theirs. */
export function collaboratorRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}/collaborators',
      tags,
      summary: 'Publishers an API is shared with',
      request: { params: z.object({ apiId: z.string() }) },
      responses: {
        200: jsonResponse(z.object({ list: z.array(CollaboratorSchema) }), 'Collaborators'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const api = await manageableApi(c.var.db, principalOf(c.var.principal, ['api:view']), c.req.valid('param').apiId, API_OR_PRODUCT);
      const rows = await c.var.db
        .select({ userId: schema.users.id, email: schema.users.email, displayName: schema.users.displayName })
        .from(schema.apiCollaborators)
        .innerJoin(schema.users, eq(schema.users.id, schema.apiCollaborators.userId))
        .where(eq(schema.apiCollaborators.apiId, api.id));
      return c.json({ list: rows }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'post',
      path: '/apis/{apiId}/collaborators',
      tags,
      summary: 'Share an API with another publisher',
      request: { params: z.object({ apiId: z.string() }), body: jsonBody(AddCollaboratorBody) },
      responses: {
        201: jsonResponse(CollaboratorSchema, 'The collaborator'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const api = await ownedApi(db, principal, c.req.valid('param').apiId);
      const { email } = c.req.valid('json');
      const user = (await db.select().from(schema.users).where(eq(schema.users.email, email)).limit(1))[0];
      if (user === undefined || user.role !== 'publisher' || user.status !== 'ACTIVE') {
        throw new ApiError('validation-failed', {
          detail: `${email} is not an active publisher`,
          errors: [{ pointer: '/email', detail: 'Not an active publisher' }],
        });
      }
      if (user.id === api.providerId)
        throw new ApiError('conflict', {
          detail: 'The provider already manages this API',
          errors: [{ pointer: '/email', detail: 'The provider' }],
        });
      try {
        await db.batch([
          db.insert(schema.apiCollaborators).values({ apiId: api.id, userId: user.id }),
          auditEntry(db, principal, 'api.share', { type: 'api', id: api.id }, null, { userId: user.id, email }),
        ]);
      } catch (err) {
        if (/UNIQUE constraint failed: api_collaborators/.test(String(err)))
          throw new ApiError('conflict', {
            detail: `${api.name} is already shared with ${email}`,
            errors: [{ pointer: '/email', detail: 'Already a collaborator' }],
          });
        throw err;
      }
      return c.json({ userId: user.id, email: user.email, displayName: user.displayName }, 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'delete',
      path: '/apis/{apiId}/collaborators/{userId}',
      tags,
      summary: 'Stop sharing an API with a publisher',
      request: { params: z.object({ apiId: z.string(), userId: z.string() }) },
      responses: { 204: { description: 'No longer shared' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const { apiId, userId } = c.req.valid('param');
      const api = await ownedApi(db, principal, apiId);
      const match = and(eq(schema.apiCollaborators.apiId, api.id), eq(schema.apiCollaborators.userId, userId));
      if ((await db.select().from(schema.apiCollaborators).where(match).limit(1)).length === 0)
        throw new ApiError('not-found', { detail: 'Not a collaborator of this API' });
      await db.batch([
        db.delete(schema.apiCollaborators).where(match),
        auditEntry(db, principal, 'api.unshare', { type: 'api', id: api.id }, { userId }, null),
      ]);
      return c.body(null, 204);
    },
  );
  return app;
}
