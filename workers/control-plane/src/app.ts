import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { controlPlaneConfig } from './config.ts';
import { ApiError, problemResponse, toApiError } from '../../shared/problem.ts';
import { authenticate } from './auth/middleware.ts';
import { sameOriginWrites } from './auth/same-origin.ts';
import { adminRoutes } from './admin/routes.ts';
import { alertRoutes } from './alerts/routes.ts';
import { usageRoutes } from './analytics/routes.ts';
import { authRoutes } from './auth/routes.ts';
import { devportalRoutes } from './devportal/routes.ts';
import { OAuthError, oauthErrorResponse } from './oauth/errors.ts';
import { oauthRoutes } from './oauth/routes.ts';
import { publisherRoutes } from './publisher/routes.ts';
import { createDb } from './db.ts';
import { DEFAULT_BODY_LIMIT, IMPORT_BODY_LIMIT, limitBody } from './http/guards.ts';
import { operationGuard } from './http/operation-guard.ts';
import { IMPORT_PATH } from './publisher/openapi/routes.ts';
import { PUBLIC, SECURITY_SCHEMES, requires } from './http/security.ts';
import { jsonResponse } from './http/openapi.ts';
import { validationHook } from './http/validation.ts';
import type { AppEnv } from './types.ts';

export const OPENAPI_INFO = {
  title: 'Turnpike management API',
  version: '1.0.0',
  description: 'Publisher, Developer Portal and Admin REST APIs of Turnpike. Errors are RFC 9457 problem+json.',
};

/**
 * The control plane: management REST APIs under /api and (in its own module) the OAuth2
 * authorization server. Every capability mounts a sub-app; the OpenAPI document is generated from
 * their zod route definitions.
 */
export function createControlPlaneApp() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.use(async function requestContext(c, next) {
    const id = crypto.randomUUID();
    c.set('requestId', id);
    // Vars that cannot be used fail every request closed here, before any handler (config.ts).
    controlPlaneConfig(c.env);
    c.set('db', createDb(c.env.DB));
    await next();
    c.res.headers.set('x-request-id', id);
    // Every answer, errors and the authorize page included: no browser may sniff a JSON or text
    // answer into HTML or script (the control plane never serves either by content guessing).
    c.res.headers.set('x-content-type-options', 'nosniff');
  });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/health',
      security: PUBLIC,
      tags: ['Health'],
      summary: 'Liveness and database reachability',
      responses: { 200: jsonResponse(z.object({ status: z.literal('ok'), service: z.string(), database: z.literal('ok') }), 'Healthy') },
    }),
    async (c) => {
      await c.env.DB.prepare('SELECT 1').first();
      return c.json({ status: 'ok' as const, service: 'turnpike-control-plane', database: 'ok' as const }, 200);
    },
  );

  // OpenAPI imports may be several MB and YAML; every other route takes at most 1 MB of JSON.
  const importLimit = limitBody(IMPORT_BODY_LIMIT);
  const defaultLimit = limitBody(DEFAULT_BODY_LIMIT);
  // The origin of a cookie-authenticated write is checked first: a cross-site write is refused as
  // such (403), before its size or media type could answer anything else.
  app.use('/api/*', sameOriginWrites());
  app.use('/api/*', async function bodyLimits(c, next) {
    await (c.req.path === IMPORT_PATH ? importLimit : defaultLimit)(c, next);
  });
  app.use('/api/*', authenticate());
  // Before every route's validators: who may call, media type, unknown query parameters, strict JSON.
  app.use(
    '/api/*',
    operationGuard(() => app.openAPIRegistry, '/api/'),
  );
  app.route('/api/auth', authRoutes());
  app.route('/api/publisher/v1', publisherRoutes());
  app.route('/api/admin/v1', adminRoutes());
  app.route('/api/devportal/v1', devportalRoutes());
  app.route('/api/devportal/v1/usage', usageRoutes('devportal'));
  app.route('/api/publisher/v1/usage', usageRoutes('publisher'));
  app.route('/api/admin/v1/usage', usageRoutes('admin'));
  app.route('/api/devportal/v1/alerts', alertRoutes('devportal'));
  app.route('/api/publisher/v1/alerts', alertRoutes('publisher'));
  app.route('/api/admin/v1/alerts', alertRoutes('admin'));
  app.route('/', oauthRoutes());

  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES)) app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);
  app.doc31('/api/openapi.json', (c) => ({
    openapi: '3.1.0',
    info: OPENAPI_INFO,
    // What an operation without its own `security` needs: a signed-in caller (the guard's default).
    security: requires(),
    servers: [{ url: new URL(c.req.url).origin }],
  }));

  app.notFound((c) =>
    problemResponse(new ApiError('not-found', { detail: `No route for ${c.req.method} ${new URL(c.req.url).pathname}` }), undefined, {
      'x-request-id': c.var.requestId ?? '',
    }),
  );
  app.onError((err, c) => {
    // The OAuth endpoints answer RFC 6749 error bodies; everything else is problem+json.
    if (err instanceof OAuthError) return oauthErrorResponse(err);
    return problemResponse(toApiError(err), undefined, { 'x-request-id': c.var.requestId ?? '' });
  });
  return app;
}
