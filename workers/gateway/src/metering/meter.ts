/**
 * What this isolate did that Cloudflare bills, counted as it happens (issue #20: "instrument, don't
 * estimate"): Worker invocations, counter-object RPCs (each one a billed Durable Object request),
 * D1 queries and the rows D1 reports having read and written (`meta.rows_read` / `rows_written`,
 * what D1 bills), and usage-queue messages with their 64 KB operations (Queues bills every 64 KB
 * written, read and deleted). Plain integers, always counted: a few additions per call.
 *
 * Read by the bench through `GET /_turnpike/metering`, answered only where the `METERING` var is
 * "on" (wrangler.toml ships "off"). Per isolate: deployed, each isolate counts its own share.
 */
export interface GatewayMeter {
  /** fetch invocations (billed Worker requests). */
  requests: number;
  /** queue consumer invocations (billed like requests). */
  queueInvocations: number;
  /** RPCs to counter objects (billed Durable Object requests). */
  counterRpcs: number;
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  /** Usage messages sent to the queue. */
  queueMessages: number;
  /** Their size in 64 KB units: each is written, read and deleted once (three operations per unit). */
  queueUnits: number;
  /** Request-log lines written (each a billed Workers Logs event deployed; one line holds many records). */
  logLines: number;
  /** Usage messages the consumer folded into D1 (or found already folded): with `queueMessages`, whether usage has landed. */
  usageMessagesConsumed: number;
}

/** D1 rows of usage rollups, errors and operations, and the calls those rollup rows carried. */
export interface UsageRowsMeter {
  rowsRead: number;
  rowsWritten: number;
  calls: number;
}

/**
 * Usage rows written per application (decision 0059): rows of a quiet key are written up to
 * USAGE_FOLD_MS after its calls, during whatever the bench measures next, so they are counted here
 * by the application whose calls they carry, not in `d1RowsRead` / `d1RowsWritten`; the bench
 * divides them by the calls they carried. The usage_batches row and the `last_used_at` updates of
 * a message stay in the isolate-wide counters.
 */
export const usageMeter = new Map<string, UsageRowsMeter>();

/** One usage statement's D1 rows, counted to the application whose calls it folds. */
export function meterUsageRows(
  applicationId: string,
  result: { meta?: { rows_read?: number; rows_written?: number } },
  calls: number,
): void {
  meter.d1Queries += 1;
  let m = usageMeter.get(applicationId);
  if (m === undefined) {
    m = { rowsRead: 0, rowsWritten: 0, calls: 0 };
    usageMeter.set(applicationId, m);
  }
  m.rowsRead += result.meta?.rows_read ?? 0;
  m.rowsWritten += result.meta?.rows_written ?? 0;
  m.calls += calls;
}

export const meter: GatewayMeter = {
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
};

const QUEUE_UNIT_BYTES = 64 * 1024;

/** A message about to be sent to the usage queue. */
export function meterQueueMessage(body: unknown): void {
  meter.queueMessages += 1;
  meter.queueUnits += Math.max(1, Math.ceil(new TextEncoder().encode(JSON.stringify(body)).length / QUEUE_UNIT_BYTES));
}

export function meterResult(result: { meta?: { rows_read?: number; rows_written?: number } }): void {
  meter.d1Queries += 1;
  meter.d1RowsRead += result.meta?.rows_read ?? 0;
  meter.d1RowsWritten += result.meta?.rows_written ?? 0;
}

const raw = new WeakMap<object, D1PreparedStatement>();

function meteredStatement(statement: D1PreparedStatement): D1PreparedStatement {
  const wrapped = new Proxy(statement, {
    get(target, prop) {
      if (prop === 'bind') return (...values: unknown[]) => meteredStatement(target.bind(...values));
      if (prop === 'run' || prop === 'all') {
        return async () => {
          const result = await target.all();
          meterResult(result);
          return result;
        };
      }
      // `first()` carries no meta: the same query through `all()`, which reports the rows it read.
      if (prop === 'first') {
        return async (column?: string) => {
          const result = await target.all<Record<string, unknown>>();
          meterResult(result);
          const row = result.results[0];
          if (row === undefined) return null;
          return column === undefined ? row : (row[column] ?? null);
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  raw.set(wrapped, statement);
  return wrapped;
}

/** `db` with every query's billed rows counted into `meter`. */
export function meteredD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'prepare') return (query: string) => meteredStatement(target.prepare(query));
      if (prop === 'batch') {
        return async <T>(statements: D1PreparedStatement[]) => {
          const results = await target.batch<T>(statements.map((s) => raw.get(s) ?? s));
          for (const r of results) meterResult(r);
          return results;
        };
      }
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}
