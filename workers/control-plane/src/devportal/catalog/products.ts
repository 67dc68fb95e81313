import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../../../../shared/problem.ts';
import { jsonResponse, problems } from '../../http/openapi.ts';
import { OPTIONALLY_SIGNED_IN } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import { productOperations } from '../../publisher/products/store.ts';
import type { AppEnv } from '../../types.ts';
import { CatalogEnvironment, CatalogTier, catalogApi, deployedEnvironments, tiersByName } from './routes.ts';

export const CatalogProduct = z
  .object({
    id: z.string(),
    kind: z.literal('PRODUCT'),
    name: z.string(),
    context: z.string(),
    version: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    lifecycleState: z.enum(['PUBLISHED', 'DEPRECATED']),
    subscriptionTiers: z.array(z.string()),
    tiers: z.array(CatalogTier),
    apis: z
      .array(
        z.object({
          id: z.string(),
          name: z.string(),
          context: z.string(),
          version: z.string(),
          environments: z
            .array(CatalogEnvironment)
            .openapi({ description: 'Where the API is deployed: its operations are called at these gateways, at the API’s own context' }),
          operations: z.array(z.object({ method: z.string(), path: z.string() })),
        }),
      )
      .openapi({ description: "The product's operations, grouped by the API they belong to, in the product's order" }),
  })
  .openapi('CatalogApiProduct');

/** The catalog's view of an API product (decision 0049): the list itself shows products among the APIs, marked `kind: PRODUCT`. */
export function catalogProductRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: OPTIONALLY_SIGNED_IN,
      method: 'get',
      path: '/products/{productId}',
      tags: ['Devportal: catalog'],
      summary: 'One API product of the catalog, with its operations grouped by API and their gateway URLs',
      request: { params: z.object({ productId: z.string() }) },
      responses: { 200: jsonResponse(CatalogProduct, 'The product'), ...problems('not-found') },
    }),
    async (c) => {
      const db = c.var.db;
      const product = await catalogApi(db, c.req.valid('param').productId, c.var.principal);
      if (product.kind !== 'PRODUCT') throw new ApiError('not-found', { detail: 'No such API product in the catalog' });
      const operations = (await productOperations(db, [product.id])).get(product.id) ?? [];
      const apiIds = [...new Set(operations.map((o) => o.apiId))];
      const [environments, tiers] = await Promise.all([deployedEnvironments(db, apiIds, c.var.principal), tiersByName(db, [product])]);
      const apis = apiIds.map((id) => {
        const first = operations.find((o) => o.apiId === id);
        return {
          id,
          name: first?.apiName ?? '',
          context: first?.apiContext ?? '',
          version: first?.apiVersion ?? '',
          environments: environments.get(id) ?? [],
          operations: operations.filter((o) => o.apiId === id).map((o) => ({ method: o.method, path: o.path })),
        };
      });
      return c.json(
        {
          id: product.id,
          kind: 'PRODUCT' as const,
          name: product.name,
          context: product.context,
          version: product.version,
          description: product.description,
          tags: product.tags,
          // The catalog lists PUBLISHED, PRE-RELEASED and DEPRECATED rows; a product is never PRE-RELEASED.
          lifecycleState: product.lifecycleState as 'PUBLISHED' | 'DEPRECATED',
          subscriptionTiers: product.subscriptionTiers,
          tiers: product.subscriptionTiers.flatMap((t) => tiers.get(t) ?? []),
          apis,
        },
        200,
      );
    },
  );
  return app;
}
