import { Hono, type Context } from 'hono';
import { gatewayConfig, type GatewayConfig } from './config.ts';
import { counterNamespace } from '../../../durable-objects/throttle/binding.ts';
import { meter, usageMeter } from './metering/meter.ts';
import { ApiError, problemResponse, toApiError, wso2CodeOf } from '../../shared/problem.ts';
import { answerFacts, type AnswerFacts } from './answer.ts';
import { assertHeadersWithinCap } from './auth/credentials.ts';
import { PROTECTED_RESOURCE_PATH, addResourceMetadata, protectedResourceMetadata, resourceMetadataUrl } from './auth/protected-resource.ts';
import { currentSnapshot } from './snapshot/store.ts';
import type { BodyOutcome } from './proxy/body-guard.ts';
import { newExchange, type Exchange } from './exchange.ts';
import { writeRequestLog } from './logging/request-log.ts';
import { handleApiCall } from './pipeline.ts';
import { gatewayKey } from './proxy/backend-jwt.ts';
import { flush as flushUsage, reportUsage } from './usage/reporter.ts';

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
      meter.requests += 1;
      const x = newExchange(request, env, ctx);
      let response: Response;
      const ownEndpoint = isOwnEndpoint(x.url);
      let config: GatewayConfig | null = null;
      try {
        // A var that cannot be used fails every call closed (a generic 500, the var named in the log).
        config = gatewayConfig(env);
        x.requestHeaders = assertHeadersWithinCap(request.headers);
        response = ownEndpoint ? await own.fetch(request, env, ctx) : await handleApiCall(x);
      } catch (err) {
        const error = toApiError(err);
        x.errorCode = wso2CodeOf(error);
        response = problemResponse(error, undefined, x.responseHeaders ?? undefined);
        // The gateway's own challenges only: a backend's answer passes as it came.
        if (x.apiPath !== null) addResourceMetadata(response.headers, resourceMetadataUrl(x.url, x.apiPath));
      }
      response.headers.set('x-request-id', x.requestId);
      // The gateway's own answers (health, key set, token and revoke) are never to be sniffed.
      if (ownEndpoint) response.headers.set('x-content-type-options', 'nosniff');
      // What the log line and the usage report both say about the answer, worked out once.
      const answer = answerFacts(x, response);
      if (config?.requestLog === true) writeRequestLog(x, answer);
      const latencyMs = Date.now() - x.startedAt;
      // A body the gateway cut (idle or total timeout) is a backend error, counted once it is known.
      if (x.bodyOutcome === null) report(x, answer, latencyMs);
      else
        x.waitUntil(
          x.bodyOutcome.then((outcome) =>
            report(x, outcome.kind === 'cut' || outcome.kind === 'failed' ? brokenAnswer(answer, outcome) : answer, latencyMs),
          ),
        );
      return response;
    },
  };
}

/** The usage event of an API call (none for the gateway's own endpoints or an unrouted request). */
function report(x: Exchange, answer: AnswerFacts, latencyMs: number): void {
  const usage = x.usage;
  if (usage === undefined) return;
  reportUsage(x.env, x.waitUntil, {
    apiId: usage.apiId,
    applicationId: usage.applicationId,
    keyType: usage.keyType,
    apiKeyId: usage.apiKeyId,
    ...answer,
    throttled: answer.status === 429,
    latencyMs,
    operation: usage.operation,
  });
}

/**
 * A response whose body did not arrive whole is a backend error, whatever its status said: cut by a
 * body timeout, the gateway's 504 (WSO2 101504); broken off by the backend, 502 (101503). Counted
 * with the bytes that did reach the client.
 */
function brokenAnswer(answer: AnswerFacts, outcome: Extract<BodyOutcome, { kind: 'cut' | 'failed' }>): AnswerFacts {
  const error = new ApiError(outcome.kind === 'cut' ? 'gateway-timeout' : 'bad-gateway');
  console.warn(
    JSON.stringify({
      level: 'warn',
      message: outcome.kind === 'cut' ? `backend body cut by the endpoint ${outcome.reason} timeout` : 'backend body broken off',
      status: answer.status,
      bytes: outcome.bytes,
    }),
  );
  return { ...answer, status: error.status, errorCode: wso2CodeOf(error) ?? error.status, responseBytes: outcome.bytes };
}

const OAUTH_PATHS = new Set(['/oauth2/token', '/oauth2/revoke']);

/** `/_turnpike` and everything under it, and POST to the token and revoke endpoints. */
function isOwnEndpoint(url: string): boolean {
  const pathStart = url.indexOf('/', url.indexOf('://') + 3);
  if (pathStart === -1) return false;
  if (url.startsWith(RESERVED_PREFIX, pathStart)) {
    const after = url.charAt(pathStart + RESERVED_PREFIX.length);
    return after === '' || after === '/' || after === '?' || after === '#';
  }
  if (url.startsWith(PROTECTED_RESOURCE_PATH, pathStart)) return true;
  // Every method: the paths are reserved (no API may use the /oauth2 context), so a GET is a 405, not an API call.
  if (!url.startsWith('/oauth2/', pathStart)) return false;
  const query = url.indexOf('?', pathStart);
  return OAUTH_PATHS.has(url.slice(pathStart, query === -1 ? undefined : query));
}

function ownEndpoints(): Hono<{ Bindings: Env }> {
  const app = new Hono<{ Bindings: Env }>();
  app.get(`${RESERVED_PREFIX}/health`, (c) =>
    c.json({ status: 'ok', service: 'turnpike-gateway', environment: c.env.GATEWAY_ENVIRONMENT }),
  );
  // The bench's view of what this isolate did that Cloudflare bills (metering/meter.ts), and of the
  // counter objects' isolate (SQLite rows). Off unless METERING is "on": a 404 like any unknown path.
  app.get(`${RESERVED_PREFIX}/metering`, async (c) => {
    if (!gatewayConfig(c.env).metering) throw new ApiError('not-found');
    // Straight to the namespace, not through counterStub: reading the meter is not a counted call.
    const counters = await counterNamespace(c.env).getByName('meter:isolate').billing();
    return c.json({
      gateway: meter,
      counters: counters.isolate,
      // Usage rows by application (decision 0059), asked for once at the end of a run.
      ...(c.req.query('usage') === undefined ? {} : { usage: Object.fromEntries(usageMeter) }),
    });
  });
  // Ships the usage this isolate is folding now (bench only, like the meter): the bench's end of a run.
  app.post(`${RESERVED_PREFIX}/metering/usage-flush`, async (c) => {
    if (!gatewayConfig(c.env).metering) throw new ApiError('not-found');
    await flushUsage(c.env);
    return c.body(null, 204);
  });
  // Backends verify the backend JWT (X-JWT-Assertion) against this key set.
  app.get(`${RESERVED_PREFIX}/jwks`, async (c) =>
    c.json({ keys: [(await gatewayKey(c.env)).publicJwk] }, 200, { 'cache-control': 'public, max-age=300' }),
  );

  // RFC 9728: what this gateway, and each API on it, accepts tokens from.
  const metadata = async (c: Context<{ Bindings: Env }>) => {
    const compiled = await currentSnapshot(c.env, (p) => c.executionCtx.waitUntil(p));
    const url = new URL(c.req.url);
    const body =
      compiled === null ? null : await protectedResourceMetadata(compiled, url.origin, url.pathname.slice(PROTECTED_RESOURCE_PATH.length));
    if (body === null) throw new ApiError('not-found', { detail: 'No protected resource is served at this path' });
    return c.json(body, 200, { 'cache-control': 'public, max-age=60' });
  };
  app.get(PROTECTED_RESOURCE_PATH, metadata);
  app.get(`${PROTECTED_RESOURCE_PATH}/*`, metadata);

  // Like WSO2's gateway, token and revoke are answered on the gateway's hostname by the Key Manager.
  // The Key Manager down is not the gateway's fault: 503 problem+json with Retry-After, fail closed
  // (no token is minted or revoked here), while API calls go on being served from the snapshot.
  const keyManager = async (request: Request, env: Env) => {
    let res: Response;
    try {
      res = await env.KEY_MANAGER.fetch(request);
    } catch (cause) {
      throw new ApiError('service-unavailable', { detail: 'The Key Manager could not be reached', cause, headers: { 'retry-after': '5' } });
    }
    // Anything but the Key Manager's own JSON answer (e.g. the platform's plain-text 503 for a
    // service with no running deployment) is that same outage.
    if (res.status >= 500 && !/json/i.test(res.headers.get('content-type') ?? '')) {
      await res.body?.cancel();
      throw new ApiError('service-unavailable', { detail: 'The Key Manager could not be reached', headers: { 'retry-after': '5' } });
    }
    // A fetched response has immutable headers; the gateway adds its request id.
    return new Response(res.body, res);
  };
  app.post('/oauth2/token', (c) => keyManager(c.req.raw, c.env));
  app.post('/oauth2/revoke', (c) => keyManager(c.req.raw, c.env));
  // RFC 9110 §15.5.6: the token and revocation endpoints take POST only (RFC 6749 §3.2, RFC 7009 §2.1).
  app.all('/oauth2/*', () => {
    throw new ApiError('method-not-allowed', { detail: 'The token and revocation endpoints accept POST only', headers: { allow: 'POST' } });
  });
  app.notFound(() => {
    throw new ApiError('not-found');
  });
  // The shell renders every error, the same way for both paths.
  app.onError((err) => {
    throw err;
  });
  return app;
}
