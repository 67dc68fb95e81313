import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { KEY_TYPES } from '../../../../shared/db/schema.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';

const tags = ['Admin: applications'];

/**
 * The resource-owner password grant is off for every client; an admin turns it on for one client
 * (an application's production or sandbox keys) that cannot do better, and off again.
 */
export function adminApplicationRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      method: 'put',
      path: '/applications/{applicationId}/keys/{keyType}/password-grant',
      tags,
      summary: "Enable or disable the password grant for one application's client",
      request: { params: z.object({ applicationId: z.string(), keyType: z.enum(KEY_TYPES) }), body: jsonBody(z.strictObject({ enabled: z.boolean() }).openapi('PasswordGrantRequest')) },
      responses: { 200: jsonResponse(z.object({ consumerKey: z.string(), grantTypes: z.array(z.string()) }), "The client's grant types"), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const { applicationId, keyType } = c.req.valid('param');
      const { enabled } = c.req.valid('json');
      const db = c.var.db;
      const key = (await db.select().from(schema.applicationKeys).where(and(eq(schema.applicationKeys.applicationId, applicationId), eq(schema.applicationKeys.keyType, keyType))).limit(1))[0];
      if (key === undefined) throw new ApiError('not-found', { detail: `The application has no ${keyType} keys` });
      const grantTypes = enabled ? [...new Set([...key.grantTypes, 'password'])] : key.grantTypes.filter((g) => g !== 'password');
      await db.batch([
        db.update(schema.applicationKeys).set({ grantTypes, updatedAt: Date.now() }).where(eq(schema.applicationKeys.id, key.id)),
        auditEntry(db, principal, enabled ? 'keys.password-grant.enable' : 'keys.password-grant.disable', { type: 'application', id: applicationId }, { grantTypes: key.grantTypes }, { grantTypes }),
      ]);
      return c.json({ consumerKey: key.consumerKey, grantTypes }, 200);
    },
  );
  return app;
}
