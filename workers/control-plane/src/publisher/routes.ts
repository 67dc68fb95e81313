import { OpenAPIHono } from '@hono/zod-openapi';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';

/** /api/publisher/v1 — APIs, resources, endpoints, documents, lifecycle, revisions, deployments. */
export function publisherRoutes() {
  return new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
}
