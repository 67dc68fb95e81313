import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { brandingPublicRoutes } from '../admin/branding/routes.ts';
import { devportalFeedbackRoutes } from '../feedback/routes.ts';
import { apiKeyRoutes } from './api-keys/routes.ts';
import { applicationRoutes } from './applications/routes.ts';
import { catalogRoutes } from './catalog/routes.ts';
import { catalogProductRoutes } from './catalog/products.ts';
import { externalClientRoutes } from './external-clients/routes.ts';
import { externalRegistrationRoutes } from './external-registration/routes.ts';
import { signupRoutes } from './signup/routes.ts';
import { subscriptionRoutes } from './subscriptions/routes.ts';

/** /api/devportal/v1 — sign-up, catalog, applications and keys (and external OAuth clients), subscriptions, feedback. */
export function devportalRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.route('/', signupRoutes());
  app.route('/', catalogRoutes());
  app.route('/', catalogProductRoutes());
  app.route('/', applicationRoutes());
  app.route('/', subscriptionRoutes());
  app.route('/', apiKeyRoutes());
  app.route('/', externalClientRoutes());
  app.route('/', externalRegistrationRoutes());
  app.route('/', devportalFeedbackRoutes());
  app.route('/', brandingPublicRoutes());
  return app;
}
