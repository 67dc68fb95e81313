import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { apiRoutes } from './apis/routes.ts';
import { deploymentRoutes } from './deployments/routes.ts';
import { lifecycleRoutes } from './lifecycle/routes.ts';
import { publisherSubscriptionRoutes } from './subscriptions/routes.ts';

/** /api/publisher/v1 — APIs, lifecycle, revisions and deployments. */
export function publisherRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.route('/', apiRoutes());
  app.route('/', lifecycleRoutes());
  app.route('/', deploymentRoutes());
  app.route('/', publisherSubscriptionRoutes());
  return app;
}
