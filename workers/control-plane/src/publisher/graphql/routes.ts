import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { BackendUrl } from '../apis/schemas.ts';
import { isPrivateHost } from '../deployments/private-hosts.ts';
import { introspect } from './schema.ts';

export const IntrospectionRequest = z
  .strictObject({
    url: BackendUrl.openapi({ description: 'The GraphQL endpoint of the backend' }),
    headers: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z0-9-]+$/)
          .max(100),
        z
          .string()
          .max(4000)
          .regex(/^[^\r\n\0]*$/),
      )
      .refine((h) => Object.keys(h).length <= 20, 'At most 20 headers')
      .default({})
      .openapi({ description: "Headers sent with the introspection query (e.g. the backend's own credentials); not stored" }),
  })
  .openapi('GraphqlIntrospectionRequest');

/** POST /graphql/introspection: a backend's schema as SDL, to create a GRAPHQL API from. */
export function graphqlRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'post',
      path: '/graphql/introspection',
      tags: ['Publisher: APIs'],
      summary: "Read a GraphQL backend's schema by introspection, as SDL (send it as graphql.schema to create the API)",
      request: { body: jsonBody(IntrospectionRequest) },
      responses: {
        200: jsonResponse(z.object({ schema: z.string() }).openapi('GraphqlIntrospection'), 'The schema in SDL'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      principalOf(c.var.principal, ['api:create']);
      const body = c.req.valid('json');
      // The control plane calls the URL itself (SSRF): a private or loopback host only where some
      // gateway environment may reach private backends too (a local or development setup).
      if (isPrivateHost(body.url)) {
        const open = await c.var.db
          .select({ id: schema.gatewayEnvironments.id })
          .from(schema.gatewayEnvironments)
          .where(eq(schema.gatewayEnvironments.allowPrivateBackends, true))
          .limit(1);
        if (open.length === 0)
          throw new ApiError('validation-failed', {
            detail: 'No gateway environment allows private backends',
            errors: [{ pointer: '/url', detail: 'A private or loopback host' }],
          });
      }
      const result = await introspect(body.url, body.headers);
      if (!result.ok)
        throw new ApiError('validation-failed', { detail: result.detail, errors: [{ pointer: '/url', detail: result.detail }] });
      return c.json({ schema: result.schema }, 200);
    },
  );
  return app;
}
