/**
 * The bench's Markdown tables, from the figures `npm run bench` writes to bench/results/latest.json:
 * printed by the run, and written into bench/README.md and README.md between the
 * `<!-- bench:latest -->` and `<!-- /bench:latest -->` markers, so the published tables are always
 * one run's, whole. `node bench/tables.ts` writes them again from latest.json.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OTHERS, type CallCost } from './billing.ts';
import type { Latency } from './scale.ts';
import { snapshotScaleTable, type SnapshotScale } from './snapshot-scale.ts';

export function renderCostTable(costs: Record<string, CallCost>): string {
  const money = (n: number) => `$${n.toFixed(4)}`;
  const rows = Object.entries(costs).map(
    ([name, c]) =>
      `| ${name} | ${c.perCall.workerRequests} | ${c.perCall.doRequests} | ${c.perCall.sqliteRowsRead} / ${c.perCall.sqliteRowsWritten} | ${c.perCall.d1RowsRead} / ${c.perCall.d1RowsWritten} | ${c.perCall.queueOperations} | ${c.perCall.logEvents} | ${c.perCall.cpuMs} | ${money(c.perMillion.workers + c.perMillion.cpu)} | ${money(c.perMillion.doRequests + c.perMillion.sqlite)} | ${money(c.perMillion.d1 + c.perMillion.queues)} | ${money(c.perMillion.logs)} | **${money(c.perMillion.total)}** |`,
  );
  const others = Object.entries(OTHERS).map(([name, price]) => `| ${name} (published) | | | | | | | | | | | | $${price.toFixed(2)} |`);
  return (
    [
      '',
      '| cost per million calls | Worker requests / call | DO requests / call | SQLite rows read / written per call | D1 rows read / written per call | queue operations / call | log events / call | CPU ms / call | Workers $ | Durable Objects $ | D1 + Queues $ | Workers Logs $ | total $ per million |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
      ...others,
      '| Zuplo | no published per-request price found | | | | | | | | | | | — |',
    ].join('\n') + '\n'
  );
}

export function renderFrameRelay(ws: {
  connections: number;
  direct: { framesPerSecond: number; p50Ms: number; p99Ms: number };
  gateway: { framesPerSecond: number; p50Ms: number; p99Ms: number; failed: number };
  ratio: number;
  roundRatio: number;
  addedP50Ms: number;
  addedP99Ms: number;
  costPerMillionFrames: CallCost;
}): string {
  const c = ws.costPerMillionFrames;
  return (
    [
      '',
      `| WebSocket frame relay (${ws.connections} sockets, echo round trips) | frames/s | p50 ms | p99 ms | ratio | median per-round ratio | added p50 / p99 ms | DO requests / frame | $ per million frames |`,
      '|---|---|---|---|---|---|---|---|---|',
      `| direct to the demo echo backend | ${ws.direct.framesPerSecond} | ${ws.direct.p50Ms} | ${ws.direct.p99Ms} | 1.00 | — | — | — | — |`,
      `| through the gateway (WS API, leased tier) | ${ws.gateway.framesPerSecond} | ${ws.gateway.p50Ms} | ${ws.gateway.p99Ms} | ${ws.ratio.toFixed(2)} | ${ws.roundRatio.toFixed(2)} | ${ws.addedP50Ms} / ${ws.addedP99Ms} | ${c.perCall.doRequests} | $${c.perMillion.total.toFixed(4)} |`,
    ].join('\n') + '\n'
  );
}

export function renderFarCounters(far: {
  passThrough: { quiet: Latency };
  rows: ReadonlyArray<{
    rttMs: number;
    mode: string;
    quiet: Latency & { addedP50Ms: number; addedP99Ms: number };
    busy: { rps: number; p50: number; p99: number; addedP50Ms: number; addedP99Ms: number };
  }>;
}): string {
  return (
    [
      '',
      '| far counters (COUNTER_RTT_MS) | quiet p50 / p99 ms | quiet added p50 / p99 ms | busy req/s | busy p50 / p99 ms | busy added p50 / p99 ms |',
      '|---|---|---|---|---|---|',
      ...far.rows.map(
        (r) =>
          `| ${r.mode}, ${r.rttMs} ms | ${r.quiet.p50} / ${r.quiet.p99} | ${r.quiet.addedP50Ms} / ${r.quiet.addedP99Ms} | ${r.busy.rps} | ${r.busy.p50} / ${r.busy.p99} | ${r.busy.addedP50Ms} / ${r.busy.addedP99Ms} |`,
      ),
    ].join('\n') + '\n'
  );
}

export function renderLoadTables(
  results: Record<
    string,
    {
      rps: number;
      p50: number;
      p99: number;
      ratio: number;
      roundRatio: number;
      addedP99Ms: number;
      cpuMsPerRequest: number;
      /** Absent in runs before 2026-12-02 16:00. */
      runtimeCpuMsPerRequest?: number;
      addedCpuMs: number;
    }
  >,
  unloaded: Record<string, { p50: number; p90: number; p99: number; addedP50Ms: number; addedP99Ms: number }>,
): string {
  const rows = Object.entries(results).map(
    ([name, r]) =>
      `| ${name} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.ratio.toFixed(2)} | ${r.roundRatio.toFixed(2)} | ${name === 'pass-through' ? '—' : r.addedP99Ms} | ${r.cpuMsPerRequest.toFixed(2)} | ${r.runtimeCpuMsPerRequest === undefined ? '—' : r.runtimeCpuMsPerRequest.toFixed(2)} | ${name === 'pass-through' ? '—' : r.addedCpuMs.toFixed(2)} |`,
  );
  const load =
    [
      '| case | req/s | p50 ms | p99 ms | ratio to pass-through | median per-round ratio | added p99 ms | CPU ms/req | of which workerd | added CPU ms/req |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n') + '\n';
  return (
    load +
    [
      '',
      '| unloaded (1 connection) | p50 ms | p90 ms | p99 ms | added p50 ms | added p99 ms |',
      '|---|---|---|---|---|---|',
      ...Object.entries(unloaded).map(
        ([name, r]) =>
          `| ${name} | ${r.p50} | ${r.p90} | ${r.p99} | ${name === 'pass-through' ? '—' : r.addedP50Ms} | ${name === 'pass-through' ? '—' : r.addedP99Ms} |`,
      ),
    ].join('\n') +
    '\n'
  );
}

type LoadRow = Parameters<typeof renderLoadTables>[0][string];
type UnloadedRow = Parameters<typeof renderLoadTables>[1][string];
interface Timing {
  medianMs: number;
  maxMs: number;
}

/** What `npm run bench` writes to bench/results/latest.json, as far as the tables read it. */
export interface BenchReport {
  measuredAt: string;
  elapsedSeconds: number;
  loadAverage: readonly number[];
  machine: { cpus: number; model: string; node: string };
  cases: Record<string, LoadRow>;
  unloaded: Record<string, UnloadedRow>;
  costPerMillionCalls: { cases: Record<string, CallCost> };
  webSocketRelay: Parameters<typeof renderFrameRelay>[0] | null;
  farCounters: Parameters<typeof renderFarCounters>[0];
  snapshotScale: SnapshotScale;
  controlPlane: {
    subscriptionsBefore: Record<string, Timing>;
    subscriptionsAfter: Record<string, Timing>;
    massSubscriptions: { subscriptions: number };
  };
  routeLookups: Record<string, { nsPerLookup: number; buildMs: number }>;
  tokenVerification: { verifyMicros: number; cachedMicros: number };
  /** Absent in reports written before 2026-12-02. */
  phaseSeconds?: Record<string, number>;
}

/** Every table of one run, in the order bench/README.md shows them. */
export function renderReport(r: BenchReport): string {
  const subscriptions = r.controlPlane.massSubscriptions.subscriptions.toLocaleString('en');
  return [
    `Measured ${r.measuredAt} in ${r.elapsedSeconds} s (${r.machine.cpus} × ${r.machine.model}, Node ${r.machine.node}; load average ${r.loadAverage.map((n) => n.toFixed(2)).join(' / ')} at the start of the main rounds).\n\n`,
    renderLoadTables(r.cases, r.unloaded),
    renderCostTable(r.costPerMillionCalls.cases),
    r.webSocketRelay === null ? '' : renderFrameRelay(r.webSocketRelay),
    renderFarCounters(r.farCounters),
    snapshotScaleTable(r.snapshotScale) + '\n',
    [
      '',
      `| control plane (median / max ms) | before | with ${subscriptions} subscriptions in D1 |`,
      '|---|---|---|',
      ...Object.keys(r.controlPlane.subscriptionsBefore).map(
        (name) =>
          `| ${name} | ${r.controlPlane.subscriptionsBefore[name]?.medianMs} / ${r.controlPlane.subscriptionsBefore[name]?.maxMs} | ${r.controlPlane.subscriptionsAfter[name]?.medianMs} / ${r.controlPlane.subscriptionsAfter[name]?.maxMs} |`,
      ),
      '',
      '| route table | ns per lookup | build ms |',
      '|---|---|---|',
      ...Object.entries(r.routeLookups).map(([name, x]) => `| ${name} | ${x.nsPerLookup} | ${x.buildMs} |`),
      '',
      '| access token (ES256, 2,000 distinct) | µs per call |',
      '|---|---|',
      `| verified by jose (not cached) | ${r.tokenVerification.verifyMicros} |`,
      `| found in the verified-token cache | ${r.tokenVerification.cachedMicros} |`,
      '',
      `| where the run's ${r.elapsedSeconds} s went | s |`,
      '|---|---|',
      ...Object.entries(r.phaseSeconds ?? {}).map(([name, seconds]) => `| ${name} | ${seconds} |`),
      '',
    ].join('\n'),
  ].join('');
}

const START = '<!-- bench:latest -->';
const END = '<!-- /bench:latest -->';

/** Replaces what stands between the markers in bench/README.md and README.md with `markdown`. */
export function writeReadmeTables(root: string, markdown: string): void {
  for (const file of ['bench/README.md', 'README.md']) {
    const path = join(root, file);
    const text = readFileSync(path, 'utf8');
    const a = text.indexOf(START);
    const b = text.indexOf(END);
    if (a < 0 || b < a) throw new Error(`${file} has no ${START} … ${END} block`);
    writeFileSync(path, `${text.slice(0, a + START.length)}\n${markdown.trim()}\n${text.slice(b)}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = join(import.meta.dirname, '..');
  const report = JSON.parse(readFileSync(join(root, 'bench/results/latest.json'), 'utf8')) as BenchReport;
  writeReadmeTables(root, renderReport(report));
}
