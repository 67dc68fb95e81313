import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { ROLES } from '../../../../shared/roles.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { RoleListInput } from '../../auth/role-input.ts';
import type { Principal } from '../../auth/principal.ts';
import { schema } from '../../db.ts';
import { publishSnapshot } from '../../gateway-sync/snapshot.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { requires } from '../../http/security.ts';
import { nameText } from '../../http/fields.ts';

const tags = ['Admin: gateway environments'];
export const EnvironmentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    displayName: z.string(),
    type: z.string(),
    visibleRoles: z.array(z.enum(ROLES)),
    hostname: z.string().nullable(),
    allowPrivateBackends: z.boolean(),
    createdAt: z.number().int(),
  })
  .openapi('GatewayEnvironment');
const Fields = {
  displayName: nameText(100),
  type: z.enum(['production', 'sandbox', 'hybrid']),
  visibleRoles: RoleListInput.openapi({ description: 'Roles that see this environment and may deploy to it; empty: every role' }),
  // type: production / sandbox environments serve that key type's calls only (403 for the other).
  hostname: z
    .string()
    .regex(/^[a-z0-9.-]+$/i, 'A hostname')
    .max(253)
    .nullable(),
  allowPrivateBackends: z.boolean(),
};
type Row = typeof schema.gatewayEnvironments.$inferSelect;
const view = (e: Row) => ({
  id: e.id,
  name: e.name,
  displayName: e.displayName,
  type: e.type,
  visibleRoles: e.visibleRoles,
  hostname: e.hostname,
  allowPrivateBackends: e.allowPrivateBackends,
  createdAt: e.createdAt,
});

/**
 * WSO2's `visibleRoles` of a gateway environment: when set, only those roles see the environment
 * (in the publisher's list) and may deploy to it; admins, who manage environments, see them all.
 */
export function environmentVisible(e: Pick<Row, 'visibleRoles'>, principal: Pick<Principal, 'role' | 'scopes'>): boolean {
  return e.visibleRoles.length === 0 || principal.scopes.has('admin:environments') || e.visibleRoles.includes(principal.role);
}

export function environmentRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires(),
      method: 'get',
      path: '/environments',
      tags,
      summary: 'Gateway environments',
      responses: {
        200: jsonResponse(z.object({ list: z.array(EnvironmentSchema) }), 'Environments'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal);
      if (!principal.scopes.has('admin:environments') && !principal.scopes.has('api:deploy'))
        throw new ApiError('forbidden', { detail: 'Missing scope: admin:environments' });
      const rows = await c.var.db.select().from(schema.gatewayEnvironments).orderBy(schema.gatewayEnvironments.name);
      return c.json({ list: rows.filter((e) => environmentVisible(e, principal)).map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:environments'),
      method: 'post',
      path: '/environments',
      tags,
      summary: 'Create a gateway environment',
      request: {
        body: jsonBody(
          z.strictObject({
            name: z
              .string()
              .regex(/^[a-z0-9-]+$/, 'Lower-case letters, digits and dashes')
              .max(50),
            displayName: Fields.displayName,
            type: Fields.type.default('hybrid'),
            visibleRoles: Fields.visibleRoles.default([]),
            hostname: Fields.hostname.default(null),
            allowPrivateBackends: Fields.allowPrivateBackends.default(false),
          }),
        ),
      },
      responses: { 201: jsonResponse(EnvironmentSchema, 'The environment'), ...problems('unauthorized', 'forbidden', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:environments']);
      const body = c.req.valid('json');
      const db = c.var.db;
      const id = newId('environment');
      try {
        const [rows] = await db.batch([
          db
            .insert(schema.gatewayEnvironments)
            .values({ id, ...body })
            .returning(),
          auditEntry(db, principal, 'environment.create', { type: 'gateway_environment', id }, null, body),
        ]);
        const row = rows[0];
        if (row === undefined) throw new ApiError('internal');
        await publishSnapshot(c.env, db, id);
        return c.json(view(row), 201);
      } catch (err) {
        if (/UNIQUE constraint failed: gateway_environments/.test(String(err)))
          throw new ApiError('conflict', {
            detail: `An environment named ${body.name} exists`,
            errors: [{ pointer: '/name', detail: 'Taken' }],
          });
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:environments'),
      method: 'patch',
      path: '/environments/{environmentId}',
      tags,
      summary: 'Change a gateway environment',
      request: {
        params: z.object({ environmentId: z.string() }),
        body: jsonBody(
          z.strictObject({
            displayName: Fields.displayName.optional(),
            type: Fields.type.optional(),
            visibleRoles: Fields.visibleRoles.optional(),
            hostname: Fields.hostname.optional(),
            allowPrivateBackends: Fields.allowPrivateBackends.optional(),
          }),
        ),
      },
      responses: { 200: jsonResponse(EnvironmentSchema, 'The environment'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:environments']);
      const db = c.var.db;
      const { environmentId } = c.req.valid('param');
      const body = c.req.valid('json');
      const before = (
        await db.select().from(schema.gatewayEnvironments).where(eq(schema.gatewayEnvironments.id, environmentId)).limit(1)
      )[0];
      if (before === undefined) throw new ApiError('not-found', { detail: 'No such gateway environment' });
      const [rows] = await db.batch([
        db.update(schema.gatewayEnvironments).set(body).where(eq(schema.gatewayEnvironments.id, environmentId)).returning(),
        auditEntry(db, principal, 'environment.update', { type: 'gateway_environment', id: environmentId }, view(before), body),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      await publishSnapshot(c.env, db, environmentId);
      return c.json(view(row), 200);
    },
  );
  return app;
}
