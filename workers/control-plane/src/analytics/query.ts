import { and, gte, inArray, lt, type SQL } from 'drizzle-orm';
import { LATENCY_BUCKETS_MS, percentile } from '../../../shared/usage.ts';
import { schema, type Database } from '../db.ts';

export const GRANULARITY_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
export type Granularity = keyof typeof GRANULARITY_MS;

export interface UsageFilter {
  /** null: no restriction (admin); otherwise only these (possibly none). */
  readonly apiIds: readonly string[] | null;
  readonly applicationIds: readonly string[] | null;
  readonly from: number;
  readonly to: number;
  readonly granularity: Granularity;
}

export interface UsagePoint {
  bucketStart: number;
  apiId: string;
  applicationId: string;
  requests: number;
  statusClasses: Record<string, number>;
  throttled: number;
  requestBytes: number;
  responseBytes: number;
  /** WebSocket frames client → backend and backend → client (connections are `statusClasses['1xx']`). */
  framesIn: number;
  framesOut: number;
  latencyMs: { avg: number | null; p50: number | null; p95: number | null; p99: number | null; max: number };
}

/**
 * Usage per time bucket × API × application, folded from the per-minute rollups. Percentiles come
 * from the merged latency histograms (bucket upper bounds, see LATENCY_BUCKETS_MS).
 */
export async function queryUsage(db: Database, filter: UsageFilter): Promise<UsagePoint[]> {
  if ((filter.apiIds !== null && filter.apiIds.length === 0) || (filter.applicationIds !== null && filter.applicationIds.length === 0))
    return [];
  const r = schema.usageRollups;
  // Every granularity: older minutes have been compacted into hours and days.
  const conditions: SQL[] = [gte(r.bucketStart, filter.from), lt(r.bucketStart, filter.to)];
  if (filter.apiIds !== null) conditions.push(inArray(r.apiId, [...filter.apiIds]));
  if (filter.applicationIds !== null) conditions.push(inArray(r.applicationId, [...filter.applicationIds]));
  const rows = await db
    .select()
    .from(r)
    .where(and(...conditions))
    .limit(50_000);
  const size = GRANULARITY_MS[filter.granularity];
  const points = new Map<string, UsagePoint & { histogram: number[]; latencySum: number }>();
  for (const row of rows) {
    const bucketStart = Math.floor(row.bucketStart / size) * size;
    const key = `${bucketStart}|${row.apiId}|${row.applicationId}`;
    let p = points.get(key);
    if (p === undefined) {
      p = {
        bucketStart,
        apiId: row.apiId,
        applicationId: row.applicationId,
        requests: 0,
        statusClasses: {},
        throttled: 0,
        requestBytes: 0,
        responseBytes: 0,
        framesIn: 0,
        framesOut: 0,
        latencyMs: { avg: null, p50: null, p95: null, p99: null, max: 0 },
        histogram: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
        latencySum: 0,
      };
      points.set(key, p);
    }
    p.requests += row.requests;
    p.statusClasses[row.statusClass] = (p.statusClasses[row.statusClass] ?? 0) + row.requests;
    p.throttled += row.throttled;
    p.requestBytes += row.requestBytes;
    p.responseBytes += row.responseBytes;
    p.framesIn += row.framesIn;
    p.framesOut += row.framesOut;
    p.latencySum += row.latencyMsSum;
    p.latencyMs.max = Math.max(p.latencyMs.max, row.latencyMsMax);
    row.latencyHistogram.forEach((n, i) => (p.histogram[i] = (p.histogram[i] ?? 0) + n));
  }
  return [...points.values()]
    .map(({ histogram, latencySum, ...p }) => ({
      ...p,
      latencyMs: {
        avg: p.requests === 0 ? null : Math.round((latencySum / p.requests) * 10) / 10,
        p50: percentile(histogram, 0.5),
        p95: percentile(histogram, 0.95),
        p99: percentile(histogram, 0.99),
        max: p.latencyMs.max,
      },
    }))
    .sort((a, b) => a.bucketStart - b.bucketStart || a.apiId.localeCompare(b.apiId) || a.applicationId.localeCompare(b.applicationId));
}

export function toCsv(points: readonly UsagePoint[]): string {
  const header = [
    'bucket_start',
    'api_id',
    'application_id',
    'requests',
    '2xx',
    '3xx',
    '4xx',
    '5xx',
    'throttled',
    'request_bytes',
    'response_bytes',
    'latency_avg_ms',
    'latency_p50_ms',
    'latency_p95_ms',
    'latency_p99_ms',
    'latency_max_ms',
  ];
  const lines = points.map((p) =>
    csvLine([
      new Date(p.bucketStart).toISOString(),
      p.apiId,
      p.applicationId,
      p.requests,
      p.statusClasses['2xx'] ?? 0,
      p.statusClasses['3xx'] ?? 0,
      p.statusClasses['4xx'] ?? 0,
      p.statusClasses['5xx'] ?? 0,
      p.throttled,
      p.requestBytes,
      p.responseBytes,
      p.latencyMs.avg,
      p.latencyMs.p50,
      p.latencyMs.p95,
      p.latencyMs.p99,
      p.latencyMs.max,
    ]),
  );
  return [header.join(','), ...lines].join('\n') + '\n';
}

/** One CSV record (RFC 4180 quoting); null is an empty cell. */
export function csvLine(cells: ReadonlyArray<string | number | null>): string {
  return cells.map((v) => (v === null ? '' : /[",\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v))).join(',');
}
