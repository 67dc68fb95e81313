import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, eq, ne } from 'drizzle-orm';
import { LIFECYCLE_STATES } from '../../../../shared/db/schema.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { republishApi } from '../../gateway-sync/snapshot.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { manageableApi } from '../apis/store.ts';
import { allowedTransitions } from './transitions.ts';
import { requires } from '../../http/security.ts';

export const LifecycleBody = z
  .strictObject({ state: z.enum(LIFECYCLE_STATES), deprecateOldVersions: z.boolean().default(false) })
  .openapi('LifecycleChange');
export const LifecycleResult = z
  .object({ lifecycleState: z.enum(LIFECYCLE_STATES), allowedTransitions: z.array(z.enum(LIFECYCLE_STATES)) })
  .openapi('Lifecycle');

export function lifecycleRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}/lifecycle',
      tags: ['Publisher: lifecycle'],
      summary: 'The lifecycle state and the transitions allowed from it',
      request: { params: z.object({ apiId: z.string() }) },
      responses: { 200: jsonResponse(LifecycleResult, 'Current state'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const api = await manageableApi(c.var.db, principalOf(c.var.principal, ['api:view']), c.req.valid('param').apiId);
      return c.json({ lifecycleState: api.lifecycleState, allowedTransitions: [...allowedTransitions(api.lifecycleState)] }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:publish'),
      method: 'post',
      path: '/apis/{apiId}/lifecycle',
      tags: ['Publisher: lifecycle'],
      summary: 'Move an API to another lifecycle state',
      request: { params: z.object({ apiId: z.string() }), body: jsonBody(LifecycleBody) },
      responses: {
        200: jsonResponse(LifecycleResult, 'The new state'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'illegal-transition'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:publish']);
      const db = c.var.db;
      const api = await manageableApi(db, principal, c.req.valid('param').apiId);
      const { state, deprecateOldVersions } = c.req.valid('json');
      const allowed = allowedTransitions(api.lifecycleState);
      if (!allowed.includes(state)) {
        throw new ApiError('illegal-transition', {
          detail: `${api.lifecycleState} cannot move to ${state}; allowed: ${allowed.length === 0 ? 'none' : allowed.join(', ')}`,
          extensions: { currentState: api.lifecycleState, allowedTransitions: allowed },
          errors: [{ pointer: '/state', detail: `Allowed from ${api.lifecycleState}: ${allowed.join(', ') || 'none'}` }],
        });
      }
      const now = Date.now();
      const older =
        state === 'PUBLISHED' && deprecateOldVersions
          ? await db
              .select({ id: schema.apis.id })
              .from(schema.apis)
              .where(and(eq(schema.apis.context, api.context), ne(schema.apis.id, api.id), eq(schema.apis.lifecycleState, 'PUBLISHED')))
          : [];
      await db.batch([
        db.update(schema.apis).set({ lifecycleState: state, updatedAt: now }).where(eq(schema.apis.id, api.id)),
        ...older.map((o) => db.update(schema.apis).set({ lifecycleState: 'DEPRECATED', updatedAt: now }).where(eq(schema.apis.id, o.id))),
        auditEntry(
          db,
          principal,
          'api.lifecycle',
          { type: 'api', id: api.id },
          { lifecycleState: api.lifecycleState },
          { lifecycleState: state, deprecated: older.map((o) => o.id) },
        ),
      ]);
      // Blocked, retired and deprecated states must reach the gateways now.
      for (const id of [api.id, ...older.map((o) => o.id)]) await republishApi(c.env, db, id);
      return c.json({ lifecycleState: state, allowedTransitions: [...allowedTransitions(state)] }, 200);
    },
  );
  return app;
}
