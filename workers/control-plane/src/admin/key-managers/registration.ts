import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import { seal } from '../../../../shared/seal.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';

const tags = ['Admin: key managers'];

export const RegistrationSettingSchema = z
  .object({
    registrationEndpoint: z.string().nullable(),
    hasRegistrationAccessToken: z.boolean(),
  })
  .openapi('KeyManagerRegistration');

/**
 * Whether developers may register clients at an external key manager from the portal (RFC 7591):
 * the admin gives the provider's initial access token (§3; sealed, context `<id>:registration`),
 * or null to stop (decision 0052).
 */
export function keyManagerRegistrationRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'put',
      path: '/key-managers/{keyManagerId}/registration',
      tags,
      summary: 'Let developers register clients at this key manager (its initial access token), or stop',
      request: {
        params: z.object({ keyManagerId: z.string() }),
        body: jsonBody(z.strictObject({ initialAccessToken: z.string().min(1).max(4000).nullable() })),
      },
      responses: { 200: jsonResponse(RegistrationSettingSchema, 'The setting'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const { keyManagerId } = c.req.valid('param');
      const { initialAccessToken } = c.req.valid('json');
      const km = (await db.select().from(schema.keyManagers).where(eq(schema.keyManagers.id, keyManagerId)).limit(1))[0];
      if (km === undefined) throw new ApiError('not-found', { detail: 'No such key manager' });
      if (initialAccessToken !== null && km.registrationEndpoint === null)
        throw new ApiError('validation-failed', {
          detail: `${km.displayName} publishes no registration_endpoint`,
          errors: [{ pointer: '/initialAccessToken', detail: 'The provider does not support dynamic registration' }],
        });
      const sealed = initialAccessToken === null ? null : await seal(c.env.ENCRYPTION_KEY, initialAccessToken, `${km.id}:registration`);
      await db.batch([
        db
          .update(schema.keyManagers)
          .set({ registrationAccessToken: sealed, updatedAt: Date.now() })
          .where(eq(schema.keyManagers.id, km.id)),
        auditEntry(db, principal, 'key-manager.registration', { type: 'key_manager', id: km.id }, null, { enabled: sealed !== null }),
      ]);
      return c.json({ registrationEndpoint: km.registrationEndpoint, hasRegistrationAccessToken: sealed !== null }, 200);
    },
  );
  return app;
}
