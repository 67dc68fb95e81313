import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { publisherFeedbackRoutes } from '../feedback/routes.ts';
import { apiRoutes } from './apis/routes.ts';
import { apiUpdateRoutes } from './apis/update.ts';
import { collaboratorRoutes } from './collaborators/routes.ts';
import { openapiRoutes } from './openapi/routes.ts';
import { deploymentRoutes } from './deployments/routes.ts';
import { documentRoutes } from './documents/routes.ts';
import { lifecycleRoutes } from './lifecycle/routes.ts';
import { publisherSubscriptionRoutes } from './subscriptions/routes.ts';
import { policyCatalogRoutes } from './policies/routes.ts';
import { publisherKeyManagerRoutes } from './key-managers/routes.ts';
import { graphqlRoutes } from './graphql/routes.ts';
import { productRoutes } from './products/routes.ts';

/** /api/publisher/v1 — APIs, lifecycle, revisions and deployments. */
export function publisherRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // The import route first: /apis/import must not be read as /apis/{apiId}.
  app.route('/', openapiRoutes());
  app.route('/', apiRoutes());
  app.route('/', apiUpdateRoutes());
  app.route('/', lifecycleRoutes());
  app.route('/', deploymentRoutes());
  app.route('/', publisherSubscriptionRoutes());
  app.route('/', documentRoutes());
  app.route('/', publisherFeedbackRoutes());
  app.route('/', collaboratorRoutes());
  app.route('/', policyCatalogRoutes());
  app.route('/', publisherKeyManagerRoutes());
  app.route('/', graphqlRoutes());
  app.route('/', productRoutes());
  return app;
}
