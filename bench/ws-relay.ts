/**
 * WebSocket frame relay (issue #24's bench figure): `connections` sockets, each sending a small text
 * frame and waiting for its echo before the next, for `seconds`. Frames per second and the round
 * trip per frame (p50 / p99, microsecond resolution), through the gateway to the demo echo backend
 * and straight to that backend, so the difference is what the gateway's relay adds per frame (its
 * exact frame admission through the counter objects included).
 */
import WebSocket from 'ws';
import { quantile } from './stats.ts';

export interface FrameRelay {
  framesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  frames: number;
  /** Frames that came back as anything but the echo (an error frame: refused, or the socket closed). */
  failed: number;
}

const FRAME = JSON.stringify({ bench: 'frame', pad: 'x'.repeat(64) });

function open(url: string, headers: Record<string, string>): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, [], { headers });
    socket.once('open', () => resolve(socket));
    socket.once('unexpected-response', (_req, res) => reject(new Error(`${url}: handshake answered ${res.statusCode}`)));
    socket.once('error', reject);
  });
}

/** Echo round trips on `connections` sockets for `seconds`; every socket is closed at the end. */
export async function frameRelay(
  url: string,
  headers: Record<string, string>,
  options: { connections: number; seconds: number },
): Promise<FrameRelay> {
  const sockets = await Promise.all(Array.from({ length: options.connections }, () => open(url, headers)));
  const times: number[] = [];
  let failed = 0;
  const until = Date.now() + options.seconds * 1000;
  const started = process.hrtime.bigint();
  try {
    await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<void>((resolve) => {
            let sent = 0n;
            const next = () => {
              if (Date.now() >= until || socket.readyState !== WebSocket.OPEN) return resolve();
              sent = process.hrtime.bigint();
              socket.send(FRAME);
            };
            socket.on('message', (data) => {
              if (data.toString() === FRAME) times.push(Number(process.hrtime.bigint() - sent) / 1e6);
              else failed += 1;
              next();
            });
            socket.once('close', () => resolve());
            next();
          }),
      ),
    );
  } finally {
    for (const socket of sockets) socket.close(1000);
  }
  const wallS = Number(process.hrtime.bigint() - started) / 1e9;
  times.sort((a, b) => a - b);
  return {
    framesPerSecond: Math.round(times.length / wallS),
    p50Ms: Number(quantile(times, 0.5).toFixed(3)),
    p99Ms: Number(quantile(times, 0.99).toFixed(3)),
    frames: times.length,
    failed,
  };
}
