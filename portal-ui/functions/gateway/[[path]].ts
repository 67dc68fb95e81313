import { gatewayBinding, gatewayUrls, type GatewayVars } from '../_lib/gateways.ts';

/** Request headers that belong to the portal's origin, never to the API being tried. */
const DROPPED_REQUEST = ['cookie', 'origin', 'referer', 'x-turnpike-try-it'];

/**
 * The try-it console's way to the gateways: same-origin /gateway/<environment>/<context>/<version>/…,
 * forwarded over the service binding of that environment's gateway (`GATEWAY`, `GATEWAY_INTERNAL`…,
 * see ../_lib/gateways.ts), so the portal needs no CORS grant from the API and no connect-src to
 * another origin. The forwarded request names the environment's public URL (GATEWAY_URLS) where the
 * portal knows it, so a gateway bound to a hostname (its vhost check) sees its own host.
 *
 * What comes back is an arbitrary backend's response served on the portal's origin, so it is fenced:
 * only fetches from the console (a custom header a navigation or a form cannot send) and WebSocket
 * handshakes from the portal's own origin (the streaming console, decision 0053) are forwarded,
 * the session cookie never leaves, the response may not set cookies, and a sandboxing CSP makes any
 * HTML it holds an opaque origin that cannot script the portal.
 */
export const onRequest = async (context: { request: Request; env: GatewayVars & Record<string, unknown> }): Promise<Response> => {
  const { request, env } = context;
  const url = new URL(request.url);
  const upgrade = isWebSocketUpgrade(request);
  // A browser's WebSocket cannot send the console's header, but it always sends Origin (RFC 6455
  // §4.1 step 8, §10.2): a handshake from any page but the portal's own is refused, so another site
  // cannot open sockets through the portal (cross-site WebSocket hijacking). Cookies are dropped anyway.
  if (upgrade ? request.headers.get('origin') !== url.origin : request.headers.get('x-turnpike-try-it') !== '1')
    return problem(400, 'Bad Request', 'The try-it proxy answers the portal console only');
  const [, environment = '', ...rest] = url.pathname.replace(/^\/gateway(?=\/|$)/, '').split('/');
  const gateway = gatewayBinding(env, environment);
  if (gateway === null) return problem(404, 'Not Found', 'No gateway environment of that name is reachable from this portal');
  const target = new URL(`${gatewayUrls(env)[environment] ?? url.origin}/${rest.join('/')}${url.search}`);
  const headers = new Headers(request.headers);
  for (const name of DROPPED_REQUEST) headers.delete(name);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const upstream = await gateway.fetch(
    new Request(target, { method: request.method, headers, body: hasBody ? request.body : null, redirect: 'manual' }),
  );
  // A 101 carries the gateway's socket, which only the response itself can hand on (a new Response
  // cannot take it); there is no document to fence, and a refusal before the 101 is fenced below.
  if (upstream.status === 101) return upstream;
  const response = new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: upstream.headers });
  response.headers.delete('set-cookie');
  for (const [name, value] of Object.entries(fence)) response.headers.set(name, value);
  return response;
};

/** RFC 6455 §4.1: a GET whose `Upgrade` names websocket. */
function isWebSocketUpgrade(request: Request): boolean {
  return request.method === 'GET' && (request.headers.get('upgrade') ?? '').split(',').some((p) => p.trim().toLowerCase() === 'websocket');
}

const fence = {
  'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

/** The proxy's own refusals: RFC 9457 problem+json, inside the same fence. */
function problem(status: number, title: string, detail: string): Response {
  return new Response(JSON.stringify({ type: 'about:blank', title, status, detail }), {
    status,
    headers: { 'content-type': 'application/problem+json', ...fence },
  });
}
