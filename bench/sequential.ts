/**
 * Unloaded latency at microsecond resolution: one keep-alive connection, one request at a time, each
 * timed with process.hrtime (autocannon's histogram counts whole milliseconds, too coarse for a 2 ms
 * budget). The same client code measures every case, so its own cost cancels out in the differences.
 */
import { Agent, request } from 'node:http';
import { quantile } from './stats.ts';

export interface SequentialResult {
  p50: number;
  p90: number;
  p99: number;
  count: number;
}

function once(agent: Agent, url: URL, headers: Record<string, string>): Promise<{ status: number; micros: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const req = request({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search, headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve({ status: res.statusCode ?? 0, micros: Number(process.hrtime.bigint() - started) / 1000 }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** `count` timed requests after `warmup` untimed ones; latencies in milliseconds (3 decimals). Any answer but 200 fails the run. */
export async function sequentialLatency(
  target: string,
  headers: Record<string, string>,
  count: number,
  warmup = 50,
): Promise<SequentialResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const url = new URL(target);
  const times: number[] = [];
  try {
    for (let i = 0; i < warmup + count; i++) {
      const { status, micros } = await once(agent, url, headers);
      if (status !== 200) throw new Error(`${target} answered ${status} during the latency run`);
      if (i >= warmup) times.push(micros);
    }
  } finally {
    agent.destroy();
  }
  times.sort((a, b) => a - b);
  const ms = (micros: number) => Number((micros / 1000).toFixed(3));
  return { p50: ms(quantile(times, 0.5)), p90: ms(quantile(times, 0.9)), p99: ms(quantile(times, 0.99)), count: times.length };
}
