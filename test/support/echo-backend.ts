/**
 * The gateway tests' backend (Miniflare's outbound service: every fetch a Worker makes lands
 * here). It answers with exactly what it received, so a test can assert what the gateway forwarded.
 * `/slow` answers late (for timeouts). Connection failures (502, failover) need a real socket and
 * are covered by the end-to-end suite.
 */
export async function echoBackend(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname.endsWith('/slow')) await new Promise((r) => setTimeout(r, 1500));
  const body = request.body === null ? '' : await request.text();
  return new Response(JSON.stringify({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body }), {
    status: 200,
    headers: { 'content-type': 'application/json', 'x-backend': 'echo' },
  });
}
