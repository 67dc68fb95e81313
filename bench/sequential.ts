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

export interface SequentialTarget {
  readonly url: string;
  readonly headers: Record<string, string>;
}

/**
 * `count` timed requests to each target after `warmup` untimed ones, the targets taken in turn request
 * by request (A B C A B C …), each on its own keep-alive connection, one request in flight at a time.
 * A neighbour on the host slowing the machine for a moment lands on every target alike, so the
 * difference of two targets' quantiles is the gateway's, not the moment's: run one after the other,
 * 1,000 requests a case, the added p99 of one run moved by ±2 ms with the machine's load (2026-12-02).
 * Latencies in milliseconds (3 decimals), in the targets' order. Any answer but 200 fails the run.
 */
export async function interleavedLatency(targets: readonly SequentialTarget[], count: number, warmup = 50): Promise<SequentialResult[]> {
  const runs = targets.map((t) => ({
    target: t,
    url: new URL(t.url),
    agent: new Agent({ keepAlive: true, maxSockets: 1 }),
    times: [] as number[],
  }));
  try {
    for (let i = 0; i < warmup + count; i++) {
      for (const run of runs) {
        const { status, micros } = await once(run.agent, run.url, run.target.headers);
        if (status !== 200) throw new Error(`${run.target.url} answered ${status} during the latency run`);
        if (i >= warmup) run.times.push(micros);
      }
    }
  } finally {
    for (const run of runs) run.agent.destroy();
  }
  const ms = (micros: number) => Number((micros / 1000).toFixed(3));
  return runs.map(({ times }) => {
    times.sort((a, b) => a - b);
    return { p50: ms(quantile(times, 0.5)), p90: ms(quantile(times, 0.9)), p99: ms(quantile(times, 0.99)), count: times.length };
  });
}
