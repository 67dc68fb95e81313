import type { GatewayMeter, UsageRowsMeter } from '../workers/gateway/src/metering/meter.ts';
/**
 * Cost per million calls from what the running platform counted (issue #20): each gateway process's
 * meter (`GET /_turnpike/metering`: Worker requests, counter-object RPCs, D1 rows, queue messages) and
 * the Traffic Manager isolate's SQLite rows (`billing()` on the counter objects), read before and
 * after a measured case, divided by the calls the case made, priced at Cloudflare's list prices.
 */

/**
 * Cloudflare's published list prices (USD), Workers Paid, beyond what the plan includes, as read on
 * 2026-12-01 through the docs search index:
 * - Workers Standard: $0.30 per million requests, $0.02 per million CPU ms
 *   (https://developers.cloudflare.com/workers/platform/pricing/).
 * - Durable Objects: $0.15 per million requests, each RPC method call one request; duration
 *   $12.50 per million GB-s (https://developers.cloudflare.com/durable-objects/platform/pricing,
 *   footnote 1). SQLite-backed storage, billed since January 2026 (release notes of 2026-01-07):
 *   rows read $0.001 per million, rows written $1.00 per million, D1's rates.
 * - D1: rows read $0.001 per million, rows written $1.00 per million
 *   (https://developers.cloudflare.com/d1/platform/pricing/).
 * - Queues: $0.40 per million operations; a message is written, read and deleted, one operation
 *   each per 64 KB (https://developers.cloudflare.com/queues/platform/pricing/).
 * - Workers Logs: $0.60 per million log events beyond the 20 million a month Workers Paid includes
 *   (https://developers.cloudflare.com/workers/observability/logs/workers-logs/, as quoted on
 *   2026-12-02 by several third-party summaries in the search index; the page itself was not in it).
 *   With `[observability] enabled = true` every invocation writes one invocation log event unless
 *   `[observability.logs] invocation_logs = false` (the gateway's wrangler.toml since decision
 *   0032), and each `console.log` is one more: the request log's lines.
 */
export const PRICES = {
  workerRequest: 0.3,
  workerCpuMs: 0.02,
  doRequest: 0.15,
  doGbSecond: 12.5,
  sqliteRowRead: 0.001,
  sqliteRowWritten: 1.0,
  d1RowRead: 0.001,
  d1RowWritten: 1.0,
  queueOperation: 0.4,
  logEvent: 0.6,
} as const;

/** Published per-million prices of other gateways, for the tables. */
export const OTHERS = {
  'AWS API Gateway, REST API': 3.5,
  'AWS API Gateway, HTTP API': 1.0,
} as const;

/** A gateway isolate's meter (its own type) plus the Traffic Manager isolate's SQLite rows. */
export interface Meter extends GatewayMeter {
  sqliteRowsRead: number;
  sqliteRowsWritten: number;
  objectsStarted: number;
}

const ZERO: Meter = {
  requests: 0,
  queueInvocations: 0,
  counterRpcs: 0,
  d1Queries: 0,
  d1RowsRead: 0,
  d1RowsWritten: 0,
  queueMessages: 0,
  queueUnits: 0,
  logLines: 0,
  usageMessagesConsumed: 0,
  sqliteRowsRead: 0,
  sqliteRowsWritten: 0,
  objectsStarted: 0,
};

interface Answer {
  gateway: GatewayMeter;
  counters: { rowsRead: number; rowsWritten: number; objectsStarted: number };
}

/**
 * Every gateway process's meter summed, and the counter objects' isolate once (all processes reach
 * the one Traffic Manager). Each read is itself one request to each process: not counted.
 */
export async function readMeters(gatewayUrls: readonly string[]): Promise<Meter> {
  const answers = await Promise.all(gatewayUrls.map(async (url) => (await (await fetch(`${url}/_turnpike/metering`)).json()) as Answer));
  const total = { ...ZERO };
  for (const a of answers) {
    for (const k of Object.keys(a.gateway) as Array<keyof Answer['gateway']>) total[k] += a.gateway[k];
    total.requests -= 1;
  }
  const tm = answers[0]?.counters;
  total.sqliteRowsRead = tm?.rowsRead ?? 0;
  total.sqliteRowsWritten = tm?.rowsWritten ?? 0;
  total.objectsStarted = tm?.objectsStarted ?? 0;
  return total;
}

/**
 * Usage rows by application (decision 0059). A quiet key's usage rows are written up to 15 s after
 * its calls, in whatever slot runs then, so the gateways meter them by the application whose calls
 * they fold rather than by time: at the end of the run the bench ships what the isolates still fold
 * (`POST /_turnpike/metering/usage-flush`), waits until the consumers have folded every message
 * sent, and reads these; `withUsage` then charges each case its applications' rows per call.
 */
export async function settledUsage(gatewayUrls: readonly string[]): Promise<Map<string, UsageRowsMeter>> {
  await Promise.all(gatewayUrls.map((url) => fetch(`${url}/_turnpike/metering/usage-flush`, { method: 'POST' })));
  const deadline = Date.now() + 20_000;
  for (;;) {
    const answers = await Promise.all(
      gatewayUrls.map(
        async (url) =>
          (await (await fetch(`${url}/_turnpike/metering?usage`)).json()) as Answer & { usage: Record<string, UsageRowsMeter> },
      ),
    );
    const sent = answers.reduce((n, a) => n + a.gateway.queueMessages, 0);
    const folded = answers.reduce((n, a) => n + a.gateway.usageMessagesConsumed, 0);
    if (folded >= sent || Date.now() > deadline) {
      const total = new Map<string, UsageRowsMeter>();
      for (const a of answers)
        for (const [app, m] of Object.entries(a.usage)) {
          const t = total.get(app) ?? { rowsRead: 0, rowsWritten: 0, calls: 0 };
          total.set(app, { rowsRead: t.rowsRead + m.rowsRead, rowsWritten: t.rowsWritten + m.rowsWritten, calls: t.calls + m.calls });
        }
      return total;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * `counted` plus the usage rows of `calls` calls of these applications, at the rows per call their
 * usage rows carried over the whole run (warm-up and re-warm loads included: the same applications).
 */
export function withUsage(
  counted: Meter,
  usage: ReadonlyMap<string, UsageRowsMeter>,
  applicationIds: readonly string[],
  calls: number,
): Meter {
  let [read, written, carried] = [0, 0, 0];
  for (const id of applicationIds) {
    const m = usage.get(id);
    if (m === undefined) continue;
    [read, written, carried] = [read + m.rowsRead, written + m.rowsWritten, carried + m.calls];
  }
  if (carried === 0) return counted;
  return {
    ...counted,
    d1RowsRead: counted.d1RowsRead + (read / carried) * calls,
    d1RowsWritten: counted.d1RowsWritten + (written / carried) * calls,
  };
}

/** The usage rows and calls of these applications between two `settledUsage` readings. */
export function usageDiff(
  after: ReadonlyMap<string, UsageRowsMeter>,
  before: ReadonlyMap<string, UsageRowsMeter>,
  applicationIds: readonly string[],
): Map<string, UsageRowsMeter> {
  return new Map(
    applicationIds.map((id) => {
      const [a, b] = [after.get(id), before.get(id)];
      return [
        id,
        {
          rowsRead: (a?.rowsRead ?? 0) - (b?.rowsRead ?? 0),
          rowsWritten: (a?.rowsWritten ?? 0) - (b?.rowsWritten ?? 0),
          calls: (a?.calls ?? 0) - (b?.calls ?? 0),
        },
      ];
    }),
  );
}

export function meterDiff(after: Meter, before: Meter): Meter {
  const d = { ...ZERO };
  for (const k of Object.keys(d) as Array<keyof Meter>) d[k] = after[k] - before[k];
  return d;
}

export function meterSum(list: readonly Meter[]): Meter {
  const d = { ...ZERO };
  for (const m of list) for (const k of Object.keys(d) as Array<keyof Meter>) d[k] += m[k];
  return d;
}

export interface CallCost {
  /** Per call, as counted. */
  perCall: {
    workerRequests: number;
    doRequests: number;
    sqliteRowsRead: number;
    sqliteRowsWritten: number;
    d1RowsRead: number;
    d1RowsWritten: number;
    queueOperations: number;
    logEvents: number;
    cpuMs: number;
    objectsStarted: number;
  };
  /** USD per million calls, by line and in total. */
  perMillion: { workers: number; cpu: number; doRequests: number; sqlite: number; d1: number; queues: number; logs: number; total: number };
}

const round = (n: number, digits = 4) => Number(n.toFixed(digits));

/**
 * `meter`: what the case's calls caused (summed over its rounds); `calls`: how many the load
 * generator had answered; `cpuMs`: the serving process tree's CPU per call (an upper bound on what
 * Cloudflare bills: it includes workerd's own HTTP work). Duration (GB-s) is not in the total: it
 * depends on how long objects stay in memory, not on calls (README, "Cost per million calls").
 */
export function callCost(
  meter: Meter,
  calls: number,
  cpuMs: number,
  config: { invocationLogs: boolean } = { invocationLogs: false },
): CallCost {
  const per = (n: number) => (calls === 0 ? 0 : n / calls);
  const workerRequests = per(meter.requests + meter.queueInvocations);
  const doRequests = per(meter.counterRpcs);
  const queueOperations = per(meter.queueUnits * 3);
  // One invocation log per Worker invocation where they are on, and the request log's lines.
  const logEvents = (config.invocationLogs ? workerRequests : 0) + per(meter.logLines);
  const perCall = {
    workerRequests: round(workerRequests),
    doRequests: round(doRequests),
    sqliteRowsRead: round(per(meter.sqliteRowsRead)),
    sqliteRowsWritten: round(per(meter.sqliteRowsWritten)),
    d1RowsRead: round(per(meter.d1RowsRead)),
    d1RowsWritten: round(per(meter.d1RowsWritten)),
    queueOperations: round(queueOperations, 5),
    logEvents: round(logEvents, 5),
    cpuMs: round(cpuMs, 3),
    objectsStarted: round(per(meter.objectsStarted)),
  };
  const m = 1; // prices are per million, and so is the answer: per-call counts × price
  const workers = workerRequests * PRICES.workerRequest * m;
  const cpu = cpuMs * PRICES.workerCpuMs * m;
  const dor = doRequests * PRICES.doRequest * m;
  const sqlite = per(meter.sqliteRowsRead) * PRICES.sqliteRowRead + per(meter.sqliteRowsWritten) * PRICES.sqliteRowWritten;
  const d1 = per(meter.d1RowsRead) * PRICES.d1RowRead + per(meter.d1RowsWritten) * PRICES.d1RowWritten;
  const queues = queueOperations * PRICES.queueOperation;
  const logs = logEvents * PRICES.logEvent;
  return {
    perCall,
    perMillion: {
      workers: round(workers),
      cpu: round(cpu),
      doRequests: round(dor),
      sqlite: round(sqlite),
      d1: round(d1),
      queues: round(queues),
      logs: round(logs),
      total: round(workers + cpu + dor + sqlite + d1 + queues + logs),
    },
  };
}
