/**
 * The gateway tests' backend (Miniflare's outbound service: every fetch a Worker makes lands
 * here). It answers with exactly what it received, so a test can assert what the gateway forwarded.
 * `/slow` answers late (for timeouts); `/status/<nnn>` answers with that status (backend errors);
 * `/drip/<ms>/<n>` sends its headers at once, then one byte every <ms> ms, n bytes in all (body timeouts);
 * `/drip-sized/<ms>/<n>` the same with `Content-Length: <n>` declared (the gateway's small-body path).
 * Connection failures (502, failover) need a real socket and are covered by the end-to-end suite.
 */
export async function echoBackend(request: Request): Promise<Response> {
  const url = new URL(request.url);
  const drip = /\/drip(-sized)?\/(\d+)\/(\d+)$/.exec(url.pathname);
  if (drip !== null) return dripping(Number(drip[2]), Number(drip[3]), drip[1] !== undefined);
  if (url.pathname.endsWith('/slow')) await new Promise((r) => setTimeout(r, 1500));
  const status = /\/status\/([2-5]\d\d)$/.exec(url.pathname)?.[1];
  const body = request.body === null ? '' : await request.text();
  // A fresh id on every answer tells a response the backend made from one a cache kept; the
  // x-echo-response-* request headers become response headers (Cache-Control, Vary, …).
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-backend': 'echo', 'x-echo-id': crypto.randomUUID() };
  for (const [name, value] of request.headers)
    if (name.startsWith('x-echo-response-')) headers[name.slice('x-echo-response-'.length)] = value;
  return new Response(JSON.stringify({ method: request.method, url: request.url, headers: Object.fromEntries(request.headers), body }), {
    status: status === undefined ? 200 : Number(status),
    headers,
  });
}

function dripping(everyMs: number, count: number, declared: boolean): Response {
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent > 0) await new Promise((r) => setTimeout(r, everyMs));
      if (sent === count) {
        controller.close();
        return;
      }
      sent++;
      controller.enqueue(new Uint8Array([0x2e]));
    },
  });
  return new Response(body, {
    status: 200,
    headers: { 'content-type': 'text/plain', 'x-backend': 'echo', ...(declared ? { 'content-length': String(count) } : {}) },
  });
}
