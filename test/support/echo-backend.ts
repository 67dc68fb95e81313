/**
 * The gateway tests' backend (Miniflare's outbound service: every fetch a Worker makes lands
 * here). It answers with exactly what it received, so a test can assert what the gateway forwarded.
 * `/slow` answers late (for timeouts); `/status/<nnn>` answers with that status (backend errors).
 * Connection failures (502, failover) need a real socket and are covered by the end-to-end suite.
 */
export async function echoBackend(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname.endsWith('/slow')) await new Promise((r) => setTimeout(r, 1500));
  const status = /\/status\/([2-5]\d\d)$/.exec(url.pathname)?.[1];
  const body = request.body === null ? '' : await request.text();
  return new Response(JSON.stringify({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body }), {
    status: status === undefined ? 200 : Number(status),
    headers: { 'content-type': 'application/json', 'x-backend': 'echo' },
  });
}
