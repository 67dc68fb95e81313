import { Response as MiniflareResponse, WebSocketPair } from 'miniflare';

/**
 * The gateway tests' backend (Miniflare's outbound service: every fetch a Worker makes lands
 * here). It answers with exactly what it received, so a test can assert what the gateway forwarded.
 * `/slow` answers late (for timeouts); `/status/<nnn>` answers with that status (backend errors);
 * `/drip/<ms>/<n>` sends its headers at once, then one byte every <ms> ms, n bytes in all (body timeouts);
 * `/drip-sized/<ms>/<n>` the same with `Content-Length: <n>` declared (the gateway's small-body path).
 * A WebSocket handshake gets a socket that sends every frame back (the WebSocket APIs' backend).
 * Connection failures (502, failover) need a real socket and are covered by the end-to-end suite.
 */
export async function echoBackend(request: Request): Promise<Response> {
  if (request.headers.get('upgrade')?.toLowerCase() === 'websocket') return webSocketEcho();
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

/**
 * Miniflare couples a Node-side socket to the Worker's when its loopback answers a handshake with a
 * 101 carrying Miniflare's own WebSocket (its `handleLoopbackUpgrade`), so a backend written here
 * reaches the gateway in workerd as a real WebSocket.
 */
function webSocketEcho(): Response {
  const [client, server] = Object.values(new WebSocketPair());
  if (client === undefined || server === undefined) throw new Error('WebSocketPair gave no pair');
  server.accept();
  server.addEventListener('message', (event) => server.send(event.data));
  server.addEventListener('close', (event) => server.close(event.code === 1005 || event.code === 1006 ? 1000 : event.code));
  // Miniflare's Response is the one its loopback reads `webSocket` from; to the caller it is a Response.
  return new MiniflareResponse(null, { status: 101, webSocket: client }) as unknown as Response;
}
