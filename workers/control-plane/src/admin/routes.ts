import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { environmentRoutes } from './environments/routes.ts';
import { policyRoutes } from './policies/routes.ts';
import { userRoutes } from './users/routes.ts';

/** /api/admin/v1 — throttling policies, gateway environments, users. */
export function adminRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.route('/', policyRoutes());
  app.route('/', environmentRoutes());
  app.route('/', userRoutes());
  return app;
}
