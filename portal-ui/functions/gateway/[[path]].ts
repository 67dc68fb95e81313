interface GatewayEnv {
  /** Service binding to the gateway (portal-ui/wrangler.toml). */
  GATEWAY: { fetch(request: Request): Promise<Response> };
}

/** Request headers that belong to the portal's origin, never to the API being tried. */
const DROPPED_REQUEST = ['cookie', 'origin', 'referer', 'x-turnpike-try-it'];

/**
 * The try-it console's way to the gateway: same-origin /gateway/<context>/<version>/<path>, forwarded
 * over a service binding, so the portal needs no CORS grant from the API and no connect-src to
 * another origin. What comes back is an arbitrary backend's response served on the portal's origin,
 * so it is fenced: only fetches from the console (a custom header a navigation or a form cannot
 * send) are forwarded, the session cookie never leaves, the response may not set cookies, and a
 * sandboxing CSP makes any HTML it holds an opaque origin that cannot script the portal.
 */
export const onRequest = async (context: { request: Request; env: GatewayEnv }): Promise<Response> => {
  const { request, env } = context;
  if (request.headers.get('x-turnpike-try-it') !== '1') {
    return new Response(JSON.stringify({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'The try-it proxy answers the portal console only' }), { status: 400, headers: { 'content-type': 'application/problem+json', ...fence } });
  }
  const url = new URL(request.url);
  const target = new URL((url.pathname.replace(/^\/gateway/, '') || '/') + url.search, url.origin);
  const headers = new Headers(request.headers);
  for (const name of DROPPED_REQUEST) headers.delete(name);
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD';
  const upstream = await env.GATEWAY.fetch(new Request(target, { method: request.method, headers, body: hasBody ? request.body : null, redirect: 'manual' }));
  const response = new Response(upstream.body, { status: upstream.status, statusText: upstream.statusText, headers: upstream.headers });
  response.headers.delete('set-cookie');
  for (const [name, value] of Object.entries(fence)) response.headers.set(name, value);
  return response;
};

const fence = { 'content-security-policy': "sandbox; default-src 'none'; frame-ancestors 'none'", 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };
