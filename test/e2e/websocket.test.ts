import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken, publishApi } from './support.ts';

/**
 * WebSocket and SSE APIs through the running gateway, driven by the `ws` package (a real client,
 * its own handshake) against the demo backend's echo socket and event stream (decision 0042).
 */
const { gatewayUrl, controlPlaneUrl, demoBackendUrl, demo } = usePlatform();
const wsBase = gatewayUrl.replace(/^http/, 'ws');
const stamp = Date.now().toString(36);
const FRAME_LIMIT = 10;
const open: WebSocket[] = [];
let anon: Client;
let token = '';
let usageApiId = '';
let blockedApiId = '';
const ctx = {
  limited: `/wsl${stamp}`,
  idle: `/wsi${stamp}`,
  capped: `/wsc${stamp}`,
  open: `/wsq${stamp}`,
  events: `/sse${stamp}`,
  usage: `/wsu${stamp}`,
  streams: `/ssc${stamp}`,
  blocked: `/wsb${stamp}`,
};

async function publish(name: keyof typeof ctx, body: Record<string, unknown>, tier = 'Unlimited'): Promise<string> {
  const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
  const apiId = await publishApi(publisher, {
    name: `${name}${stamp}`,
    context: ctx[name],
    version: 'v1',
    subscriptionTiers: [tier],
    ...body,
  });
  const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
  await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', { applicationId: demo.application.id, apiId, tier });
  return apiId;
}

const echoApi = (streaming: Record<string, unknown> = {}) => ({
  type: 'WS',
  resources: [{ method: 'GET', path: '/echo', authType: 'oauth2' }],
  endpoints: { production: { urls: [{ url: `${demoBackendUrl}/ws`, timeoutMs: 5000 }] } },
  streaming: {
    allowQueryToken: false,
    idleTimeoutSeconds: 300,
    maxDurationSeconds: 3600,
    maxConnectionsPerSubscription: null,
    ...streaming,
  },
});

/** Opens a socket and resolves once it is open, or rejects with the handshake's HTTP status. */
function connect(url: string, options: { headers?: Record<string, string>; protocols?: string[] } = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options.protocols ?? [], { headers: options.headers ?? {} });
    open.push(socket);
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => reject(Object.assign(new Error(`handshake answered ${res.statusCode}`), { status: res.statusCode, body })));
    });
    socket.once('error', reject);
  });
}

const closed = (socket: WebSocket) =>
  new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString(), at: Date.now() })),
  );
const nextMessage = (socket: WebSocket) =>
  new Promise<string>((resolve) => socket.once('message', (data: Buffer) => resolve(data.toString())));
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

beforeAll(async () => {
  anon = new Client(controlPlaneUrl);
  const admin = await tokenFor(anon, demo.users.admin, ['admin:policies']);
  // An hour's window: the test never straddles a window boundary.
  await admin.expect([201], 'POST', '/api/admin/v1/throttling-policies', {
    kind: 'subscription',
    name: `Frames${stamp}`,
    limit: FRAME_LIMIT,
    unitTime: 1,
    timeUnit: 'hour',
  });
  await publish('limited', echoApi(), `Frames${stamp}`);
  await publish('idle', echoApi({ idleTimeoutSeconds: 1 }));
  await publish('capped', echoApi({ maxConnectionsPerSubscription: 2 }));
  await publish('open', echoApi({ allowQueryToken: true }));
  usageApiId = await publish('usage', echoApi());
  blockedApiId = await publish('blocked', echoApi());
  await publish('events', {
    type: 'SSE',
    resources: [{ method: 'GET', path: '/events', authType: 'oauth2' }],
    endpoints: { production: { urls: [{ url: demoBackendUrl, timeoutMs: 1000, idleTimeoutMs: 2000, totalTimeoutMs: 1000 }] } },
    streaming: { maxDurationSeconds: 30 },
  });
  await publish('streams', {
    type: 'SSE',
    resources: [{ method: 'GET', path: '/events', authType: 'oauth2' }],
    endpoints: { production: { urls: [{ url: demoBackendUrl, timeoutMs: 1000 }] } },
    streaming: { maxConnectionsPerSubscription: 1 },
  });
  token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
});

afterAll(() => {
  for (const socket of open) socket.terminate();
});

describe('WebSocket APIs through the gateway', () => {
  it('echoes frames on the demo WebSocket API with a token, and the backend never sees the token', async () => {
    expect(demo.websocketApi.url).toBe(`${wsBase}${demo.websocketApi.context}/echo`);
    const socket = await connect(demo.websocketApi.url, { headers: bearer(token) });
    const reply = nextMessage(socket);
    socket.send('hello through the gateway');
    expect(await reply).toBe('hello through the gateway');
    const seen = nextMessage(socket);
    socket.send('__handshake');
    const headers = JSON.parse(await seen) as Record<string, string>;
    expect(headers.authorization).toBeUndefined();
    expect(headers['x-request-id']).toMatch(/.+/);
    socket.close(1000, 'done');
    expect((await closed(socket)).code).toBe(1000);
  });

  it('refuses a handshake without a token with 401 problem+json, and a plain GET with 426', async () => {
    const refused = await connect(demo.websocketApi.url).catch((err: { status: number; body: string }) => err);
    expect(refused).toMatchObject({ status: 401 });
    expect(JSON.parse((refused as { body: string }).body)).toMatchObject({ status: 401, code: 900902 });
    const plain = await fetch(`${gatewayUrl}${demo.websocketApi.context}/echo`, { headers: bearer(token) });
    expect(plain.status).toBe(426);
    expect(((await plain.json()) as { detail: string }).detail).toContain('WebSocket handshake');
  });

  it('accepts the token as a bearer. subprotocol, offers the backend only the other protocols, and never selects the token back', async () => {
    const socket = await connect(demo.websocketApi.url, { protocols: ['echo', `bearer.${token}`] });
    expect(socket.protocol).toBe('echo');
    const seen = nextMessage(socket);
    socket.send('__handshake');
    const headers = JSON.parse(await seen) as Record<string, string>;
    expect(headers['sec-websocket-protocol']).toBe('echo');
    expect(JSON.stringify(headers)).not.toContain(token);
    socket.close();
  });

  it('refuses a query token unless the publisher allows it, and then never forwards it', async () => {
    const refused = await connect(`${demo.websocketApi.url}?access_token=${token}`).catch((err: { status: number }) => err);
    expect(refused).toMatchObject({ status: 401 });
    const socket = await connect(`${wsBase}${ctx.open}/v1/echo?access_token=${token}&room=1`);
    const seen = nextMessage(socket);
    socket.send('__handshake');
    expect(JSON.stringify(JSON.parse(await seen))).not.toContain(token);
    socket.close();
  });

  it(`admits exactly ${FRAME_LIMIT} of ${FRAME_LIMIT + 5} concurrent frames on a ${FRAME_LIMIT}-per-window tier, answering each other one with an error frame`, async () => {
    const sockets = await Promise.all([0, 1, 2].map(() => connect(`${wsBase}${ctx.limited}/v1/echo`, { headers: bearer(token) })));
    const echoes: string[] = [];
    const errors: Array<{ status: number; code: number; retryAfterSeconds?: number }> = [];
    const total = FRAME_LIMIT + 5;
    const all = new Promise<void>((resolve) => {
      for (const socket of sockets) {
        socket.on('message', (data: Buffer) => {
          const text = data.toString();
          if (text.startsWith('frame-')) echoes.push(text);
          else errors.push(JSON.parse(text) as { status: number; code: number });
          if (echoes.length + errors.length === total) resolve();
        });
      }
    });
    for (let i = 0; i < total; i++) sockets[i % sockets.length]?.send(`frame-${i}`);
    await all;
    expect(echoes).toHaveLength(FRAME_LIMIT);
    expect(errors).toHaveLength(5);
    for (const e of errors) expect(e).toMatchObject({ status: 429, code: 900804 });
    expect(errors[0]?.retryAfterSeconds).toBeGreaterThan(0);
    // Still open: an over-limit frame is answered, not a reason to close.
    for (const socket of sockets) expect(socket.readyState).toBe(WebSocket.OPEN);
    for (const socket of sockets) socket.close();
  });

  it('closes the open socket with 4401 within the recheck bound once its token is revoked', async () => {
    const own = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
    const socket = await connect(demo.websocketApi.url, { headers: bearer(own) });
    const ended = closed(socket);
    const reply = nextMessage(socket);
    socket.send('before');
    expect(await reply).toBe('before');
    const revokedAt = Date.now();
    const res = await fetch(`${gatewayUrl}/oauth2/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${demo.application.clientId}:${demo.application.clientSecret}`)}`,
      },
      body: new URLSearchParams({ token: own }),
    });
    expect(res.status).toBe(200);
    // The socket is idle: nothing but the revocation notification or the periodic check can end it.
    const end = await ended;
    expect(end.code).toBe(4401);
    expect(end.at - revokedAt).toBeLessThan(5000 + 2000);
  });

  it('closes the open socket with 4403 once the publisher blocks its subscription', async () => {
    const socket = await connect(`${wsBase}${ctx.blocked}/v1/echo`, { headers: bearer(token) });
    const ended = closed(socket);
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:subscriptions', 'api:view']);
    const subs = await publisher.expect<{ list: Array<{ id: string; applicationId: string }> }>(
      [200],
      'GET',
      `/api/publisher/v1/apis/${blockedApiId}/subscriptions`,
    );
    const sub = subs.body.list.find((s) => s.applicationId === demo.application.id);
    const blockedAt = Date.now();
    await publisher.expect([200], 'POST', `/api/publisher/v1/subscriptions/${sub?.id}/block`, { status: 'BLOCKED' });
    const end = await ended;
    expect(end.code).toBe(4403);
    expect(end.reason).toContain('BLOCKED');
    expect(end.at - blockedAt).toBeLessThan(5000 + 2000);
  });

  it('closes a socket that carries no frame for the idle timeout with 4408', async () => {
    const socket = await connect(`${wsBase}${ctx.idle}/v1/echo`, { headers: bearer(token) });
    const openedAt = Date.now();
    const end = await closed(socket);
    expect(end.code).toBe(4408);
    expect(end.at - openedAt).toBeGreaterThanOrEqual(900);
  });

  it('refuses a handshake beyond the connections a subscription may hold with 429, and admits one again once a socket closes', async () => {
    const url = `${wsBase}${ctx.capped}/v1/echo`;
    const first = await connect(url, { headers: bearer(token) });
    await connect(url, { headers: bearer(token) });
    const third = await connect(url, { headers: bearer(token) }).catch((err: { status: number; body: string }) => err);
    expect(third).toMatchObject({ status: 429 });
    expect(JSON.parse((third as { body: string }).body)).toMatchObject({ limit: 2 });
    const gone = closed(first);
    first.close();
    await gone;
    // The slot is given back off the close path: allow it a moment.
    await new Promise((r) => setTimeout(r, 300));
    const again = await connect(url, { headers: bearer(token) });
    expect(again.readyState).toBe(WebSocket.OPEN);
  });
});

describe('WebSocket usage', () => {
  it('reports the connection, and frames and bytes per direction, into the API usage', async () => {
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:view']);
    const from = Date.now() - 60_000;
    const socket = await connect(`${wsBase}${ctx.usage}/v1/echo`, { headers: bearer(token) });
    const frames = ['one', 'twenty-two', 'é'];
    for (const frame of frames) {
      const reply = nextMessage(socket);
      socket.send(frame);
      expect(await reply).toBe(frame);
    }
    const ended = closed(socket);
    socket.close(1000);
    await ended;
    type Point = {
      statusClasses: Record<string, number>;
      framesIn: number;
      framesOut: number;
      requestBytes: number;
      responseBytes: number;
    };
    let points: Point[] = [];
    for (let i = 0; i < 60; i++) {
      points = (
        await publisher.expect<{ list: Point[] }>([200], 'GET', `/api/publisher/v1/usage?apiId=${usageApiId}&granularity=day&from=${from}`)
      ).body.list;
      if (points.reduce((n, p) => n + p.framesIn, 0) >= frames.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    const sum = (f: (p: Point) => number) => points.reduce((n, p) => n + f(p), 0);
    const bytes = frames.reduce((n, f) => n + new TextEncoder().encode(f).byteLength, 0);
    expect(sum((p) => p.statusClasses['1xx'] ?? 0)).toBe(1);
    expect(sum((p) => p.framesIn)).toBe(3);
    expect(sum((p) => p.framesOut)).toBe(3);
    expect(sum((p) => p.requestBytes)).toBe(bytes);
    expect(sum((p) => p.responseBytes)).toBe(bytes);
  });
});

describe('SSE APIs through the gateway', () => {
  it('delivers each event as the backend sends it, past the endpoint total timeout, without buffering the stream', async () => {
    const res = await fetch(`${gatewayUrl}${ctx.events}/v1/events?count=5&intervalMs=400`, {
      headers: { ...bearer(token), accept: 'text/event-stream' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    const arrivals: Array<{ n: number; sentAt: number; at: number }> = [];
    let buffer = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
        const data = /^data: (.*)$/m.exec(buffer.slice(0, end))?.[1];
        buffer = buffer.slice(end + 2);
        if (data !== undefined) arrivals.push({ ...(JSON.parse(data) as { n: number; sentAt: number }), at: Date.now() });
      }
    }
    expect(arrivals.map((a) => a.n)).toEqual([1, 2, 3, 4, 5]);
    // The first event reached the client before the backend had even written the last.
    const first = arrivals[0];
    const last = arrivals[4];
    expect(first !== undefined && last !== undefined && first.at < last.sentAt).toBe(true);
    // 5 events 400 ms apart outlast the endpoint's 1 s total timeout: an SSE API has none.
    expect((last?.sentAt ?? 0) - (first?.sentAt ?? 0)).toBeGreaterThan(1000);
  });

  it('refuses a second stream beyond the connections a subscription may hold with 429, and admits one once the first has ended', async () => {
    const url = `${gatewayUrl}${ctx.streams}/v1/events?count=3&intervalMs=300`;
    const first = await fetch(url, { headers: bearer(token) });
    expect(first.status).toBe(200);
    const second = await fetch(url, { headers: bearer(token) });
    expect(second.status).toBe(429);
    expect(((await second.json()) as { limit: number }).limit).toBe(1);
    await first.text();
    // The slot is given back once the body has ended, off the response path: allow it a moment.
    await new Promise((r) => setTimeout(r, 300));
    const third = await fetch(url, { headers: bearer(token) });
    expect(third.status).toBe(200);
    await third.text();
  });
});
