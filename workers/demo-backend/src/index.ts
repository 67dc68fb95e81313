import { library } from './library.ts';

/**
 * The Petstore behind the demo API. It keeps its pets in memory per isolate (it is a demo), answers
 * JSON, and echoes the request it received at /echo (and below it) so a developer can see exactly what
 * the gateway forwarded (no credentials, a backend request id). Behind the demo WebSocket API it
 * echoes frames at /ws/echo, and it streams server-sent events at /events. /library/graphql is the
 * Library, a GraphQL endpoint (library.ts).
 */
interface Pet {
  id: number;
  name: string;
  tag: string;
}

const pets: Pet[] = [
  { id: 1, name: 'Rex', tag: 'dog' },
  { id: 2, name: 'Tom', tag: 'cat' },
  { id: 3, name: 'Polly', tag: 'parrot' },
];

const json = (body: unknown, status = 200) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    // Names the service, so `npm start` knows it reached its own process (scripts/lib/platform.ts).
    if (url.pathname === '/_turnpike/health') return json({ status: 'ok', service: 'turnpike-demo-backend' });
    if (url.pathname === '/ws/echo') return echoSocket(request);
    if (url.pathname === '/events') return events(url);
    // The Library, behind the demo GraphQL API.
    if (url.pathname === '/library/graphql') return library(request, url);
    const path = url.pathname.replace(/^\/petstore/, '') || '/';
    if (path === '/pets' && request.method === 'GET') {
      const limit = Number(url.searchParams.get('limit') ?? pets.length);
      return json(pets.slice(0, Number.isFinite(limit) ? limit : pets.length));
    }
    if (path === '/pets' && request.method === 'POST') {
      const body = (await request.json().catch(() => null)) as Partial<Pet> | null;
      if (body === null || typeof body.name !== 'string') return json({ error: 'name is required' }, 400);
      const pet = { id: pets.length + 1, name: body.name, tag: typeof body.tag === 'string' ? body.tag : 'unknown' };
      pets.push(pet);
      return json(pet, 201);
    }
    const byId = /^\/pets\/(\d+)$/.exec(path);
    if (byId !== null && request.method === 'GET') {
      const pet = pets.find((p) => p.id === Number(byId[1]));
      return pet === undefined ? json({ error: 'no such pet' }, 404) : json(pet);
    }
    if (path === '/echo' || path.startsWith('/echo/')) {
      return json({ method: request.method, path: url.pathname, query: url.search, headers: Object.fromEntries(request.headers) });
    }
    return json({ error: 'not found' }, 404);
  },
} satisfies ExportedHandler;

/**
 * A WebSocket that sends every frame back as it came. The frame `__handshake` is answered with the
 * handshake's headers instead, so a test can see what the gateway forwarded (never the caller's
 * credential). Offered an `echo` subprotocol, it selects it.
 */
function echoSocket(request: Request): Response {
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket')
    return json({ error: 'open /ws/echo with a WebSocket handshake' }, 426);
  const handshake = Object.fromEntries(request.headers);
  const pair = new WebSocketPair();
  const client = pair[0];
  const server = pair[1];
  server.accept();
  server.addEventListener('message', (event) => server.send(event.data === '__handshake' ? JSON.stringify(handshake) : event.data));
  server.addEventListener('close', (event) => server.close(event.code === 1005 || event.code === 1006 ? 1000 : event.code, event.reason));
  const offered = (request.headers.get('sec-websocket-protocol') ?? '').split(',').map((p) => p.trim());
  return new Response(null, {
    status: 101,
    webSocket: client,
    headers: offered.includes('echo') ? { 'sec-websocket-protocol': 'echo' } : {},
  });
}

/** `count` server-sent events (default 5, at most 100), one every `intervalMs` (default 200): each says when it was sent. */
function events(url: URL): Response {
  const count = Math.min(100, Math.max(1, Number(url.searchParams.get('count') ?? 5) || 5));
  const interval = Math.min(10_000, Math.max(0, Number(url.searchParams.get('intervalMs') ?? 200) || 0));
  const encoder = new TextEncoder();
  let sent = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (sent > 0) await new Promise((resolve) => setTimeout(resolve, interval));
      sent += 1;
      controller.enqueue(encoder.encode(`id: ${sent}\nevent: tick\ndata: ${JSON.stringify({ n: sent, sentAt: Date.now() })}\n\n`));
      if (sent >= count) controller.close();
    },
  });
  return new Response(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
}
