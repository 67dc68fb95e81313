import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { POLICIES } from '../../../../gateway/src/policies/registry.ts';
import { principalOf } from '../../auth/middleware.ts';
import { jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';

const tags = ['Publisher: APIs'];

export const PolicyCatalogEntry = z
  .object({
    name: z.string(),
    description: z.string(),
    configSchema: z
      .record(z.string(), z.unknown())
      .openapi({ description: 'JSON Schema (2020-12) of the config the policy accepts: what an editor builds its form from' }),
  })
  .openapi('PolicyCatalogEntry');

// The registry is fixed per deployment: its JSON Schemas are built once, on first use.
let catalog: Array<z.infer<typeof PolicyCatalogEntry>> | null = null;

/** GET /policies: what a publisher can attach to an API or an operation, from the gateway's registry. */
export function policyCatalogRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/policies',
      tags,
      summary: 'The policies that can be attached to an API or an operation, each with the JSON Schema of its config',
      responses: {
        200: jsonResponse(z.object({ list: z.array(PolicyCatalogEntry) }), 'The policy catalog'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    (c) => {
      principalOf(c.var.principal, ['api:view']);
      catalog ??= [...POLICIES.values()].map((p) => ({
        name: p.name,
        description: p.description,
        configSchema: z.toJSONSchema(p.config, { io: 'input' }) as Record<string, unknown>,
      }));
      return c.json({ list: catalog }, 200);
    },
  );
  return app;
}
