/**
 * The simulation's state changes on open WebSockets (decision 0042): one socket per gateway
 * process, all on one token, then the token is revoked at the control plane; measured is the time
 * from the revocation's 2xx to each socket's close, and its code (4401). A socket in a process the
 * control plane notifies is woken at once (websocket/registry.ts) and closes after one counter
 * round trip; in any other it closes at its next periodic recheck (RECHECK_MS = 5 s) plus that
 * round trip. Times are those of the close frame's arrival at the client, so nothing is polled.
 */
import WebSocket from 'ws';
import type { Client, DemoData } from '../../scripts/lib/seed.ts';
import { percentile, sleep, type Target } from './load.ts';

/** The gateway's WebSocket recheck period (workers/gateway/src/websocket/relay.ts RECHECK_MS). */
export const WS_RECHECK_MS = 5000;

/**
 * How long after the 2xx an open socket may stay open. A counter round trip is ~1 ms locally, but
 * this machine runs many workerd processes on two cores: a second's room for the scheduler.
 */
export const SOCKET_BOUNDS = {
  /** The process the control plane's notification reached: woken at once, one round trip. */
  notified: 1000,
  /** Any other: the next recheck. */
  others: WS_RECHECK_MS + 1000,
} as const;

/** The close code of a revoked credential (workers/gateway/src/websocket/close-codes.ts). */
export const CLOSE_CREDENTIAL = 4401;

export interface SocketChangeResult {
  readonly change: string;
  readonly expectedCode: number;
  /** Per gateway process: ms from the control plane's 2xx to the socket's close, and the close code. */
  readonly processes: ReadonlyArray<{
    process: string;
    notified: boolean;
    code: number | null;
    delayMs: number | null;
    boundMs: number;
    withinBound: boolean;
  }>;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export interface SocketSetup {
  readonly targets: readonly Target[];
  readonly developer: Client;
  readonly controlPlane: string;
  readonly gateway: string;
  readonly demo: DemoData;
  readonly stamp: string;
  readonly isNotified: (t: Target) => boolean;
  readonly log: (line: string) => void;
}

interface OpenSocket {
  readonly target: Target;
  readonly socket: WebSocket;
  readonly closed: Promise<{ code: number; at: number }>;
}

/**
 * Opens one socket to `url`, retrying while the process's snapshot is behind: 404 until it routes
 * the API, 403 while it still holds the blocking condition of the state change run before.
 */
async function openSocket(target: Target, url: string, token: string): Promise<OpenSocket> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const attempt = await new Promise<WebSocket | number>((resolve, reject) => {
      const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
      socket.once('open', () => resolve(socket));
      socket.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        socket.terminate();
      });
      socket.once('error', reject);
    });
    if (typeof attempt !== 'number') {
      const socket = attempt;
      const closed = new Promise<{ code: number; at: number }>((resolve) =>
        socket.once('close', (code) => resolve({ code, at: Date.now() })),
      );
      // The relay is live before the change: one frame there and back.
      const echoed = new Promise<void>((resolve) => socket.once('message', () => resolve()));
      socket.send('before');
      await echoed;
      return { target, socket, closed };
    }
    if ((attempt !== 404 && attempt !== 403) || Date.now() > deadline)
      throw new Error(`${target.process} refused the WebSocket handshake with ${attempt}`);
    await sleep(200);
  }
}

/** "revoke a token while its WebSocket is open": every process's socket must close with 4401 within its bound. */
export async function revokeWhileOpen(s: SocketSetup): Promise<SocketChangeResult> {
  const change = 'revoke a token while its WebSocket is open';
  const api = s.demo.websocketApi;
  const app = await s.developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: `WebSocket ${s.stamp}` });
  const keys = await s.developer.expect<{ consumerKey: string; consumerSecret: string }>(
    [201],
    'POST',
    `/api/devportal/v1/applications/${app.body.id}/keys`,
    { keyType: 'PRODUCTION', grantTypes: ['client_credentials'] },
  );
  await s.developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', { applicationId: app.body.id, apiId: api.id, tier: api.tier });
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(keys.body.consumerKey)}:${encodeURIComponent(keys.body.consumerSecret)}`).toString('base64')}`;
  const issued = await fetch(`${s.gateway}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  if (issued.status !== 200) throw new Error(`token endpoint answered ${issued.status}: ${await issued.text()}`);
  const token = ((await issued.json()) as { access_token: string }).access_token;

  const sockets = await Promise.all(s.targets.map((t) => openSocket(t, `${t.url.replace(/^http/, 'ws')}${api.context}/echo`, token)));
  try {
    // Revoked just after every socket's first recheck (RECHECK_MS after it opened), so that a
    // process the control plane did not notify waits nearly a whole period: the worst case.
    await sleep(WS_RECHECK_MS + 200);
    const res = await fetch(`${s.controlPlane}/oauth2/revoke`, {
      method: 'POST',
      headers: { authorization: basic, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (res.status !== 200) throw new Error(`revoke answered ${res.status}: ${await res.text()}`);
    const t0 = Date.now();
    const deadline = sleep(SOCKET_BOUNDS.others * 3).then(() => null);
    const ends = await Promise.all(sockets.map((o) => Promise.race([o.closed, deadline])));
    const processes = sockets.map((o, i) => {
      const end = ends[i] ?? null;
      const notified = s.isNotified(o.target);
      const boundMs = notified ? SOCKET_BOUNDS.notified : SOCKET_BOUNDS.others;
      const delayMs = end === null ? null : Math.max(0, end.at - t0);
      const code = end?.code ?? null;
      return {
        process: o.target.process,
        notified,
        code,
        delayMs,
        boundMs,
        withinBound: code === CLOSE_CREDENTIAL && delayMs !== null && delayMs <= boundMs,
      };
    });
    const delays = processes.flatMap((p) => (p.delayMs === null ? [] : [p.delayMs]));
    s.log(
      `${change}: close per process ${processes.map((p) => `${p.process} ${p.code ?? 'open'} after ${p.delayMs ?? '—'} ms${p.notified ? ' (notified)' : ''}`).join(', ')}`,
    );
    return {
      change,
      expectedCode: CLOSE_CREDENTIAL,
      processes,
      p50Ms: percentile(delays, 50),
      p99Ms: percentile(delays, 99),
      maxMs: delays.length === 0 ? null : Math.max(...delays),
    };
  } finally {
    for (const o of sockets) o.socket.terminate();
  }
}

/** The socket rows of the simulate table (Markdown). */
export function socketTable(rows: readonly SocketChangeResult[]): string[] {
  return [
    '| state change on an open WebSocket | bound (notified / others) | p50 ms | p99 ms | max ms | per process (close code; ms from the 2xx to the close) | within bound |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (c) =>
        `| ${c.change} | ${SOCKET_BOUNDS.notified} ms / ${SOCKET_BOUNDS.others} ms (recheck ${WS_RECHECK_MS} ms) | ${c.p50Ms ?? '—'} | ${c.p99Ms ?? '—'} | ${c.maxMs ?? '—'} | ${c.processes.map((p) => `${p.process}${p.notified ? ' (notified)' : ''}: ${p.code ?? 'open'}; ${p.delayMs ?? '—'}`).join(' · ')} | ${c.processes.every((p) => p.withinBound) ? 'yes' : '**no**'} |`,
    ),
  ];
}
