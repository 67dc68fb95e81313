import { ApiError } from '../../shared/problem.ts';
import type { Exchange } from './exchange.ts';
import type { GatewayCall } from './call.ts';
import { apiPath } from './auth/protected-resource.ts';
import { streamingOptions } from './proxy/streaming.ts';
import { webSocketHandshake } from './websocket/handshake.ts';
import { endpointOf } from './proxy/steps.ts';
import { forward } from './proxy/forward.ts';
import { canonicalPath } from './routing/canonical-path.ts';
import { currentSnapshot } from './snapshot/store.ts';
import { rateLimitHeaders } from './throttle/headers.ts';

/**
 * The call path, in order: route, then the API's steps (CORS, blocking), then the resource's
 * (authentication, the publisher's policies, throttling), the policies' answer steps (a cache hit
 * ends the call there), backend JWT and backend security, the proxy, the response and outbound
 * steps. The step lists are built once per snapshot version
 * (plan.ts); here they are only looped over. Every step either passes or throws an
 * ApiError that the app renders as problem+json; nothing reaches the backend until every step has
 * passed.
 */
export async function handleApiCall(x: Exchange): Promise<Response> {
  const { request, env, waitUntil, url, method } = x;
  const { path, search } = canonicalPath(url);
  const compiled = await currentSnapshot(env, waitUntil);
  // An environment bound to a hostname serves its APIs on that host only (WSO2's vhost).
  const host = compiled?.snapshot.hostname;
  const hostMatches = host === undefined || host === null || host === '' || new URL(url).hostname === host.toLowerCase();
  // From memory when warm (no await); a sharded snapshot's first call into a shard reads it first (decision 0034).
  const routed = hostMatches && compiled !== null ? compiled.routes.match(method, path) : null;
  const match = routed instanceof Promise ? await routed : routed;
  if (compiled === null || match === null) throw new ApiError('no-matching-resource', { detail: 'No API is deployed at this path' });
  const { api, resource } = match;
  const plan = compiled.plan;
  // Where this API's RFC 9728 metadata lives, for the Bearer challenges of its refusals (from the plan).
  x.apiPath = plan.paths.get(api) ?? apiPath(api);
  x.usage = { apiId: api.id, applicationId: null, keyType: null, apiKeyId: null };
  // A WebSocket API answers handshakes only; their token may come in a subprotocol (websocket/).
  const handshake = api.type === 'WS' ? webSocketHandshake(request, search, api) : null;
  const call: GatewayCall = {
    x,
    compiled,
    request,
    search: handshake?.search ?? search,
    rest: match.rest,
    extraHeaders: {},
    headers: handshake?.headers ?? request.headers,
    handshake,
    streamSlot: null,
    counters: [],
    operation: null,
    body: request.body,
    clientIp: request.headers.get('cf-connecting-ip'),
    waitUntil,
    caller: null,
    limits: [],
    meter: null,
    tier: null,
  };
  for (const step of plan.apis.get(api) ?? []) {
    let answer = step(call);
    if (answer === undefined) continue;
    if (answer instanceof Promise) answer = await answer;
    if (answer !== undefined) return answer;
  }
  const steps = resource === null ? undefined : plan.resources.get(resource);
  if (resource === null || steps === undefined) {
    if (match.allowed.length > 0) {
      throw new ApiError('method-not-allowed', {
        detail: `${method} is not defined for this resource`,
        headers: { allow: match.allowed.join(', ') },
      });
    }
    throw new ApiError('no-matching-resource', { detail: `No resource of ${api.name} ${api.version} matches ${match.rest}` });
  }
  for (const step of steps.inbound) {
    let answer = step(call);
    if (answer === undefined) continue;
    if (answer instanceof Promise) answer = await answer;
    if (answer !== undefined) return answer;
  }

  let response: Response | null = null;
  // The gateway's own copy of the backend's answer (forward.ts made it): its headers can be set as they are.
  let own: Response | null = null;
  for (const step of steps.answer) {
    response = await step(call);
    if (response !== null) break;
  }
  if (response === null && steps.mock !== null) {
    response = await steps.mock(call);
    for (const step of steps.response) response = await step(response, call);
  } else if (response === null) {
    for (const step of steps.backend) await step(call);
    const forwarded = await forward({
      endpoint: endpointOf(api, call, plan.openKeyType),
      keyType: call.caller?.keyType ?? null,
      method,
      rest: call.rest,
      search: call.search,
      headers: call.headers,
      // The pairs the size cap walked, when no step replaced the client's headers.
      headerPairs: call.headers === request.headers ? x.requestHeaders : null,
      body: call.body,
      apiKeyHeader: api.apiKeyHeader,
      clientIp: call.clientIp,
      requestUrl: url,
      requestId: x.requestId,
      extraHeaders: call.extraHeaders,
      ...streamingOptions(api),
    }).catch((err: unknown) => {
      call.streamSlot?.release();
      throw err;
    });
    call.streamSlot?.holdUntil(forwarded.outcome);
    response = forwarded.response;
    if (forwarded.own) own = response;
    for (const step of steps.response) response = await step(response, call);
    x.bodyOutcome = forwarded.outcome;
  }
  const meter = call.meter;
  // A response with immutable headers (a fetched or a policy's one), or a body to meter, is wrapped
  // once; forward's own copy is not copied again (a Response and its headers per call, decision 0060).
  const out =
    meter === null && response === own
      ? response
      : new Response(meter === null ? response.body : metered(response, meter, waitUntil), response);
  const headers = out.headers;
  for (const step of steps.outbound) step(headers);
  if (x.responseHeaders !== null) setAll(headers, x.responseHeaders);
  if (call.limits.length > 0) setAll(headers, rateLimitHeaders(call.limits));
  return out;
}

function setAll(headers: Headers, values: Readonly<Record<string, string>>): void {
  for (const name in values) headers.set(name, values[name] ?? '');
}

/**
 * The response body, with its bytes charged to bandwidth quotas once known: from Content-Length when
 * the backend sent one, else counted as the body streams through; either way after the client has
 * it, off the response path.
 */
function metered(
  response: Response,
  meter: (bytes: number) => Promise<void>,
  waitUntil: (p: Promise<unknown>) => void,
): ReadableStream<Uint8Array> | null {
  const declared = Number(response.headers.get('content-length'));
  if (response.body === null || (Number.isInteger(declared) && declared >= 0 && response.headers.has('content-length'))) {
    waitUntil(meter(response.body === null ? 0 : declared));
    return response.body;
  }
  let bytes = 0;
  return response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
      flush() {
        waitUntil(meter(bytes));
      },
    }),
  );
}
