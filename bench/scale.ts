/**
 * Issue #20's two measurements beyond one process's hot path: far counters (a gateway whose every
 * counter-object RPC waits COUNTER_RTT_MS first) and cold isolates (a fresh gateway process's first
 * call with N APIs in its environment's snapshot).
 */
import { readFileSync } from 'node:fs';
import { descendants } from './process-cpu.ts';

const quantile = (sorted: readonly number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
const ms3 = (n: number) => Number(n.toFixed(3));

export interface Latency {
  p50: number;
  p99: number;
  count: number;
}

/**
 * A quiet caller: `count` calls one at a time, one every `intervalMs` (below the gateway's lease
 * threshold of 20 calls a second, so a key sent only these stays in strict mode, as a typical
 * subscription does). Any answer but 200 fails the run.
 */
export async function pacedLatency(url: string, headers: Record<string, string>, count: number, intervalMs: number): Promise<Latency> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = process.hrtime.bigint();
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    const took = Number(process.hrtime.bigint() - started) / 1e6;
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
    times.push(took);
    const wait = intervalMs - took;
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  times.sort((a, b) => a - b);
  return { p50: ms3(quantile(times, 0.5)), p99: ms3(quantile(times, 0.99)), count: times.length };
}

/** Resident memory (MB) of the workerd processes under a wrangler dev process (the isolate's runtime). */
export function workerdRssMb(wranglerPid: number): number {
  let kb = 0;
  for (const pid of descendants(wranglerPid)) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd')) continue;
      const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      /* gone */
    }
  }
  return Number((kb / 1024).toFixed(1));
}
