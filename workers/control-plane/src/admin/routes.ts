import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { adminApplicationRoutes } from './applications/routes.ts';
import { auditRoutes } from './audit/routes.ts';
import { brandingAdminRoutes } from './branding/routes.ts';
import { blockingRoutes } from './blocking/routes.ts';
import { environmentRoutes } from './environments/routes.ts';
import { keyManagerRoutes } from './key-managers/routes.ts';
import { keyManagerRegistrationRoutes } from './key-managers/registration.ts';
import { policyRoutes } from './policies/routes.ts';
import { signingKeyRoutes } from './signing-keys/routes.ts';
import { ssoAdminRoutes } from '../sso/admin-routes.ts';
import { registrationTokenRoutes } from './registration-tokens/routes.ts';
import { trustedIssuerRoutes } from './trusted-issuers/routes.ts';
import { userRoutes } from './users/routes.ts';
import { workflowRoutes } from './workflows/routes.ts';

/** /api/admin/v1 — throttling policies, gateway environments, users, blocking conditions, audit log, per-client password grant, external key managers. */
export function adminRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.route('/', policyRoutes());
  app.route('/', environmentRoutes());
  app.route('/', userRoutes());
  app.route('/', blockingRoutes());
  app.route('/', auditRoutes());
  app.route('/', workflowRoutes());
  app.route('/', adminApplicationRoutes());
  app.route('/', trustedIssuerRoutes());
  app.route('/', keyManagerRoutes());
  app.route('/', keyManagerRegistrationRoutes());
  app.route('/', brandingAdminRoutes());
  app.route('/', signingKeyRoutes());
  app.route('/', ssoAdminRoutes());
  app.route('/', registrationTokenRoutes());
  return app;
}
