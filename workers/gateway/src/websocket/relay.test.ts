import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_STREAMING } from '../../../shared/revision.ts';
import { api, callStreaming, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';

/**
 * The WebSocket relay inside workerd (decisions 0042, 0053): the gateway relays to a backend
 * socket (the test backend's echo, test/support/echo-backend.ts) and admits every client frame
 * through the subscription's counter object. The end-to-end suite shows the same through wrangler;
 * here the counts are exact with nothing but the gateway and the real counter class in between.
 */
const LIMIT = 10;
const EXTRA = 6;
let key: SigningKey;

beforeAll(async () => {
  key = await signingKey('ws-frames');
  await deploy(
    [
      api({
        id: 'api_ws_frames',
        context: '/ws-frames',
        type: 'WS',
        streaming: DEFAULT_STREAMING,
        resources: [resource('GET', '/echo')],
        endpoints: { PRODUCTION: { strategy: 'single', urls: [{ url: 'http://backend.test/ws', timeoutMs: 5000 }], suspendSeconds: 30 } },
      }),
    ],
    [key],
  );
});

interface Received {
  echoed: string[];
  errors: Array<{ status: number; code?: number; title: string }>;
}

/** Opens a socket to the echo channel with `app`'s token; what it receives is collected. */
async function open(app: string): Promise<{ socket: WebSocket; received: Received; arrived: (n: number) => Promise<void> }> {
  const res = await callStreaming('/ws-frames/v1/echo', {
    headers: { upgrade: 'websocket', authorization: `Bearer ${await token(key, { applicationId: app })}` },
  });
  return accepted(res);
}

function accepted(res: Response): { socket: WebSocket; received: Received; arrived: (n: number) => Promise<void> } {
  expect(res.status).toBe(101);
  const socket = res.webSocket;
  if (socket === null) throw new Error('a 101 without a socket');
  socket.accept();
  const received: Received = { echoed: [], errors: [] };
  const waiters: Array<() => void> = [];
  socket.addEventListener('message', (event) => {
    const data = String(event.data);
    if (data.startsWith('{')) received.errors.push(JSON.parse(data) as Received['errors'][number]);
    else received.echoed.push(data);
    for (const w of waiters.splice(0)) w();
  });
  const arrived = async (n: number) => {
    while (received.echoed.length + received.errors.length < n) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { socket, received, arrived };
}

describe('the WebSocket relay in workerd', () => {
  it('selects turnpike.bearer back to a browser that offered it beside its bearer. token when the backend selects no subprotocol', async () => {
    await subscribe('app_ws_browser', 'api_ws_frames');
    const res = await callStreaming('/ws-frames/v1/echo', {
      headers: {
        upgrade: 'websocket',
        'sec-websocket-protocol': `bearer.${await token(key, { applicationId: 'app_ws_browser' })}, turnpike.bearer`,
      },
    });
    expect(res.status).toBe(101);
    // The token is never selected back; the answer names a protocol the client offered, as a browser requires.
    expect(res.headers.get('sec-websocket-protocol')).toBe('turnpike.bearer');
    const { socket, received, arrived } = accepted(res);
    socket.send('hello');
    await arrived(1);
    expect(received.echoed).toEqual(['hello']);
    socket.close(1000, 'done');
  });

  it(`admits exactly ${LIMIT} of ${LIMIT + EXTRA} frames sent at once on a ${LIMIT}-per-window limit, and answers each of the others with a 429 error frame, the socket staying open`, async () => {
    await subscribe('app_ws_one', 'api_ws_frames', [{ policy: 'Ten', scope: 'subscription', limit: LIMIT, windowSeconds: 3600 }]);
    const { socket, received, arrived } = await open('app_ws_one');
    const sent = Array.from({ length: LIMIT + EXTRA }, (_, i) => `frame ${i}`);
    for (const frame of sent) socket.send(frame);
    await arrived(sent.length);
    expect(received.echoed).toEqual(sent.slice(0, LIMIT));
    expect(received.errors).toHaveLength(EXTRA);
    for (const e of received.errors) expect({ status: e.status, code: e.code }).toEqual({ status: 429, code: 900804 });
    // Not a close: the connection goes on, and the next frame is refused the same way.
    socket.send('one more');
    await arrived(sent.length + 1);
    expect(received.errors).toHaveLength(EXTRA + 1);
    socket.close(1000, 'done');
  });

  it(`admits exactly ${LIMIT} frames in all when two sockets of one subscription send ${LIMIT} each at once`, async () => {
    await subscribe('app_ws_two', 'api_ws_frames', [{ policy: 'Ten', scope: 'subscription', limit: LIMIT, windowSeconds: 3600 }]);
    const sockets = await Promise.all([open('app_ws_two'), open('app_ws_two')]);
    for (let i = 0; i < LIMIT; i++) for (const [n, s] of sockets.entries()) s.socket.send(`socket ${n} frame ${i}`);
    await Promise.all(sockets.map((s) => s.arrived(LIMIT)));
    const echoed = sockets.flatMap((s) => s.received.echoed);
    const refused = sockets.flatMap((s) => s.received.errors);
    expect(echoed).toHaveLength(LIMIT);
    expect(refused).toHaveLength(LIMIT);
    for (const e of refused) expect(e.status).toBe(429);
    // Each socket's admitted frames came back in the order they were sent.
    for (const [n, s] of sockets.entries()) {
      const order = s.received.echoed.map((f) => {
        const m = /^socket (\d+) frame (\d+)$/.exec(f);
        return m?.[1] === String(n) ? Number(m[2]) : NaN;
      });
      expect(order.every(Number.isInteger)).toBe(true);
      expect(order).toEqual([...order].sort((a, b) => a - b));
    }
    for (const s of sockets) s.socket.close(1000, 'done');
  });
});
