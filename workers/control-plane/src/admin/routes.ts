import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';

/** /api/admin/v1 — throttling policies, blocking conditions, environments, users, workflows, audit. */
export function adminRoutes() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
