import { and, eq, gte, lt, type SQL } from 'drizzle-orm';
import { subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { LATENCY_BUCKETS_MS, percentile } from '../../../shared/usage.ts';
import { schema, type Database } from '../db.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';
import type { AlertTarget } from './store.ts';

export const METRICS = ['error_rate', 'latency_p95', 'quota_use'] as const;
export type Metric = (typeof METRICS)[number];

/** Allowed thresholds: percentages for rates, milliseconds for latency. */
export const METRIC_LIMITS: Record<Metric, readonly [number, number]> = {
  error_rate: [1, 100],
  latency_p95: [1, 120_000],
  quota_use: [1, 100],
};
/** error_rate and latency_p95 look at the minute rollups that started in this window before now. */
export const WINDOW_MS = 5 * 60_000;
/** Fewer calls than this in the window say nothing about a rate or a percentile: no alert. */
export const MIN_REQUESTS = 5;
/** A rule that fired does not fire again for this long. */
export const ALERT_COOLDOWN_MS = 15 * 60_000;

/**
 * The current value of a rule's metric, or null when there is too little to judge.
 *
 * - `error_rate`: calls answered 5xx, or 4xx other than 429 (a throttled call is the limit working,
 *   and has a quota alert of its own), as a percentage of all calls in the last five minutes.
 * - `latency_p95`: the 95th percentile of gateway latency (ms, histogram bucket upper bound) over the
 *   last five minutes.
 * - `quota_use`: the highest share (%) of any subscription-tier window used so far, read from the
 *   subscription's counter object, the authority for the count.
 */
export async function measure(env: Env, db: Database, metric: Metric, target: AlertTarget, now: number): Promise<number | null> {
  if (metric === 'quota_use') {
    if (target.applicationId === null) return null;
    const { limits } = await throttleNamespace(env).getByName(subscriptionObjectName(target.applicationId, target.apiId)).inspect(now);
    const used = limits.filter((l) => l.scope === 'subscription' && l.limit > 0).map((l) => ((l.limit - l.remaining) / l.limit) * 100);
    return used.length === 0 ? null : round(Math.max(...used));
  }
  const r = schema.usageRollups;
  const conditions: SQL[] = [
    eq(r.granularity, 'minute'),
    eq(r.apiId, target.apiId),
    gte(r.bucketStart, now - WINDOW_MS),
    lt(r.bucketStart, now),
  ];
  if (target.applicationId !== null) conditions.push(eq(r.applicationId, target.applicationId));
  const rows = await db
    .select({ statusClass: r.statusClass, requests: r.requests, throttled: r.throttled, histogram: r.latencyHistogram })
    .from(r)
    .where(and(...conditions));
  const requests = rows.reduce((n, row) => n + row.requests, 0);
  if (requests < MIN_REQUESTS) return null;
  if (metric === 'error_rate') {
    const errors = rows.reduce(
      (n, row) => n + (row.statusClass === '5xx' ? row.requests : row.statusClass === '4xx' ? row.requests - row.throttled : 0),
      0,
    );
    return round((errors / requests) * 100);
  }
  const histogram = new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0);
  for (const row of rows) row.histogram.forEach((n, i) => (histogram[i] = (histogram[i] ?? 0) + n));
  return percentile(histogram, 0.95);
}

const round = (n: number) => Math.round(n * 10) / 10;
