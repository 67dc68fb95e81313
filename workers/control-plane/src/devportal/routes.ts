import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';

/** /api/devportal/v1 — sign-up, catalog, applications, subscriptions, keys, feedback. */
export function devportalRoutes() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
