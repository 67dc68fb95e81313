import { Hono } from 'hono';
import { ApiError, problemResponse, toApiError, wso2CodeOf } from '../../shared/problem.ts';
import { answerFacts, type AnswerFacts } from './answer.ts';
import { newExchange, type Exchange } from './exchange.ts';
import { writeRequestLog } from './logging/request-log.ts';
import { handleApiCall } from './pipeline.ts';
import { gatewayKey } from './proxy/backend-jwt.ts';
import { reportUsage } from './usage/reporter.ts';

/** Paths the gateway answers itself; no API context may start with this prefix. */
export const RESERVED_PREFIX = '/_turnpike';

export interface Gateway {
  fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response>;
}

/**
 * The gateway's fetch handler. API calls — nearly every request — go straight to the call path with
 * a plain per-request object; the gateway's own few endpoints (health, key set, token and revoke)
 * are a small Hono app. Both share one shell: a request id on every answer, every error rendered as
 * problem+json, then the request log line and the usage report off the response path. Hono's
 * Context and middleware chain on every API call were about 5 % of the isolate's time (decision 0015).
 */
export function createGatewayApp(): Gateway {
  const own = ownEndpoints();
  return {
    async fetch(request, env, ctx) {
      const x = newExchange(request, env, ctx);
      let response: Response;
      const ownEndpoint = isOwnEndpoint(request);
      try {
        response = ownEndpoint ? await own.fetch(request, env, ctx) : await handleApiCall(x);
      } catch (err) {
        const error = toApiError(err);
        x.errorCode = wso2CodeOf(error);
        response = problemResponse(error, undefined, x.responseHeaders ?? undefined);
      }
      response.headers.set('x-request-id', x.requestId);
      // The gateway's own answers (health, key set, token and revoke) are never to be sniffed.
      if (ownEndpoint) response.headers.set('x-content-type-options', 'nosniff');
      // What the log line and the usage report both say about the answer, worked out once.
      const answer = answerFacts(x, response);
      writeRequestLog(x, answer);
      report(x, answer);
      return response;
    },
  };
}

/** The usage event of an API call (none for the gateway's own endpoints or an unrouted request). */
function report(x: Exchange, answer: AnswerFacts): void {
  const usage = x.usage;
  if (usage === undefined) return;
  reportUsage(x.env, x.waitUntil, { apiId: usage.apiId, applicationId: usage.applicationId, keyType: usage.keyType, ...answer, throttled: answer.status === 429, latencyMs: Date.now() - x.startedAt });
}

const OAUTH_PATHS = new Set(['/oauth2/token', '/oauth2/revoke']);

/** `/_turnpike` and everything under it, and POST to the token and revoke endpoints. */
function isOwnEndpoint(request: Request): boolean {
  const url = request.url;
  const pathStart = url.indexOf('/', url.indexOf('://') + 3);
  if (pathStart === -1) return false;
  if (url.startsWith(RESERVED_PREFIX, pathStart)) {
    const after = url.charAt(pathStart + RESERVED_PREFIX.length);
    return after === '' || after === '/' || after === '?' || after === '#';
  }
  if (request.method !== 'POST' || !url.startsWith('/oauth2/', pathStart)) return false;
  const query = url.indexOf('?', pathStart);
  return OAUTH_PATHS.has(url.slice(pathStart, query === -1 ? undefined : query));
}

function ownEndpoints(): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.get(`${RESERVED_PREFIX}/health`, (c) => c.json({ status: 'ok', service: 'turnpike-gateway', environment: c.env.GATEWAY_ENVIRONMENT }));
  // Backends verify the backend JWT (X-JWT-Assertion) against this key set.
  app.get(`${RESERVED_PREFIX}/jwks`, async (c) => c.json({ keys: [(await gatewayKey(c.env)).publicJwk] }, 200, { 'cache-control': 'public, max-age=300' }));

  // Like WSO2's gateway, token and revoke are answered on the gateway's hostname by the Key Manager.
  const keyManager = async (request: Request, env: Env) => {
    const res = await env.KEY_MANAGER.fetch(request);
    // A fetched response has immutable headers; the gateway adds its request id.
    return new Response(res.body, res);
  };
  app.post('/oauth2/token', (c) => keyManager(c.req.raw, c.env));
  app.post('/oauth2/revoke', (c) => keyManager(c.req.raw, c.env));
  app.notFound(() => {
    throw new ApiError('not-found');
  });
  // The shell renders every error, the same way for both paths.
  app.onError((err) => {
    throw err;
  });
  return app;
}
