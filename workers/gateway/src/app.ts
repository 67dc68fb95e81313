import { Hono } from 'hono';
import { ApiError, problemResponse, toApiError, wso2CodeOf } from '../../shared/problem.ts';
import { requestLog } from './logging/request-log.ts';
import { answerFacts } from './answer.ts';
import { handleApiCall } from './pipeline.ts';
import { gatewayKey } from './proxy/backend-jwt.ts';
import { reportUsage } from './usage/reporter.ts';
import type { GatewayEnv } from './types.ts';

/** Paths the gateway answers itself; no API context may start with this prefix. */
export const RESERVED_PREFIX = '/_turnpike';

export function createGatewayApp(): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();

  app.use(async function requestId(c, next) {
    const id = crypto.randomUUID();
    c.set('requestId', id);
    c.set('responseHeaders', {});
    await next();
    c.res.headers.set('x-request-id', id);
  });
  app.use(requestLog());

  app.get(`${RESERVED_PREFIX}/health`, (c) => c.json({ status: 'ok', service: 'turnpike-gateway', environment: c.env.GATEWAY_ENVIRONMENT }));
  // Backends verify the backend JWT (X-JWT-Assertion) against this key set.
  app.get(`${RESERVED_PREFIX}/jwks`, async (c) => c.json({ keys: [(await gatewayKey(c.env)).publicJwk] }, 200, { 'cache-control': 'public, max-age=300' }));
  app.all(`${RESERVED_PREFIX}/*`, () => {
    throw new ApiError('not-found');
  });

  // Like WSO2's gateway, token and revoke are answered on the gateway's hostname by the Key Manager.
  const keyManager = async (request: Request, env: Env) => {
    const res = await env.KEY_MANAGER.fetch(request);
    // A fetched response has immutable headers; the gateway adds its request id.
    return new Response(res.body, res);
  };
  app.post('/oauth2/token', (c) => keyManager(c.req.raw, c.env));
  app.post('/oauth2/revoke', (c) => keyManager(c.req.raw, c.env));

  app.all('*', async function usageReport(c, next) {
    const started = Date.now();
    await next();
    const usage = c.var.usage;
    if (usage === undefined) return;
    const answer = answerFacts(c);
    reportUsage(c.env, (p) => c.executionCtx.waitUntil(p), { ...usage, ...answer, throttled: answer.status === 429, latencyMs: Date.now() - started });
  });
  app.all('*', handleApiCall);

  app.onError((err, c) => {
    const error = toApiError(err);
    c.set('errorCode', wso2CodeOf(error));
    return problemResponse(error, undefined, { ...c.var.responseHeaders, 'x-request-id': c.var.requestId ?? '' });
  });
  return app;
}
