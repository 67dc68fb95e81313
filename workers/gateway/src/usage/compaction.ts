import { withBusyRetry } from '../../../shared/d1-retry.ts';
import { meteredD1 } from '../metering/meter.ts';

/** Minute rows are kept this long, then folded into hours; hour rows this long, then into days. */
export const MINUTE_RETENTION_MS = 48 * 3_600_000;
export const HOUR_RETENTION_MS = 31 * 86_400_000;

const FOLD = (from: string, to: string, size: number) => `
  INSERT INTO usage_rollups (granularity, bucket_start, api_id, application_id, key_type, status_class, requests, throttled, request_bytes, response_bytes, frames_in, frames_out, latency_ms_sum, latency_ms_max, latency_histogram)
  SELECT '${to}', (bucket_start / ${size}) * ${size}, api_id, application_id, key_type, status_class, SUM(requests), SUM(throttled), SUM(request_bytes), SUM(response_bytes), SUM(frames_in), SUM(frames_out), SUM(latency_ms_sum), MAX(latency_ms_max),
         (SELECT json_group_array(total) FROM (SELECT SUM(j.value) AS total FROM usage_rollups r2, json_each(r2.latency_histogram) j
            WHERE r2.granularity = '${from}' AND r2.bucket_start < ?1 AND (r2.bucket_start / ${size}) * ${size} = (r.bucket_start / ${size}) * ${size}
              AND r2.api_id = r.api_id AND r2.application_id = r.application_id AND r2.key_type = r.key_type AND r2.status_class = r.status_class
            GROUP BY j.key ORDER BY j.key))
  FROM usage_rollups r WHERE granularity = '${from}' AND bucket_start < ?1
  GROUP BY (bucket_start / ${size}) * ${size}, api_id, application_id, key_type, status_class
  ON CONFLICT (granularity, bucket_start, api_id, application_id, key_type, status_class) DO UPDATE SET
    requests = requests + excluded.requests, throttled = throttled + excluded.throttled,
    request_bytes = request_bytes + excluded.request_bytes, response_bytes = response_bytes + excluded.response_bytes,
    frames_in = frames_in + excluded.frames_in, frames_out = frames_out + excluded.frames_out,
    latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum, latency_ms_max = max(latency_ms_max, excluded.latency_ms_max),
    latency_histogram = (SELECT json_group_array(coalesce(a.value, 0) + coalesce(b.value, 0)) FROM json_each(latency_histogram) a JOIN json_each(excluded.latency_histogram) b ON a.key = b.key)`;

const FOLD_ERRORS = (from: string, to: string, size: number) => `
  INSERT INTO usage_errors (granularity, bucket_start, api_id, application_id, key_type, error_code, count)
  SELECT '${to}', (bucket_start / ${size}) * ${size}, api_id, application_id, key_type, error_code, SUM(count)
  FROM usage_errors WHERE granularity = '${from}' AND bucket_start < ?1
  GROUP BY (bucket_start / ${size}) * ${size}, api_id, application_id, key_type, error_code
  ON CONFLICT (granularity, bucket_start, api_id, application_id, key_type, error_code) DO UPDATE SET count = count + excluded.count`;

const FOLD_OPERATIONS = (from: string, to: string, size: number) => `
  INSERT INTO usage_operations (granularity, bucket_start, api_id, application_id, operation, requests, errors, latency_ms_sum)
  SELECT '${to}', (bucket_start / ${size}) * ${size}, api_id, application_id, operation, SUM(requests), SUM(errors), SUM(latency_ms_sum)
  FROM usage_operations WHERE granularity = '${from}' AND bucket_start < ?1
  GROUP BY (bucket_start / ${size}) * ${size}, api_id, application_id, operation
  ON CONFLICT (granularity, bucket_start, api_id, application_id, operation) DO UPDATE SET
    requests = requests + excluded.requests, errors = errors + excluded.errors, latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`;

/**
 * Compacts old rollups and error counts (a cron trigger of the gateway script): minute rows older than two days
 * become hour rows, hour rows older than a month become day rows. Each fold and the deletion of what
 * it folded are one D1 transaction, so nothing is counted twice or lost. Cut-offs are whole hours and
 * days, so a bucket is never split between two runs.
 */
export async function compactUsage(env: Env, now = Date.now()): Promise<void> {
  const db = withBusyRetry(meteredD1(env.DB));
  const minuteCut = Math.floor((now - MINUTE_RETENTION_MS) / 3_600_000) * 3_600_000;
  const hourCut = Math.floor((now - HOUR_RETENTION_MS) / 86_400_000) * 86_400_000;
  await db.batch([
    db.prepare(FOLD('minute', 'hour', 3_600_000)).bind(minuteCut),
    db.prepare(`DELETE FROM usage_rollups WHERE granularity = 'minute' AND bucket_start < ?`).bind(minuteCut),
    db.prepare(FOLD_ERRORS('minute', 'hour', 3_600_000)).bind(minuteCut),
    db.prepare(`DELETE FROM usage_errors WHERE granularity = 'minute' AND bucket_start < ?`).bind(minuteCut),
    db.prepare(FOLD_OPERATIONS('minute', 'hour', 3_600_000)).bind(minuteCut),
    db.prepare(`DELETE FROM usage_operations WHERE granularity = 'minute' AND bucket_start < ?`).bind(minuteCut),
  ]);
  await db.batch([
    db.prepare(FOLD('hour', 'day', 86_400_000)).bind(hourCut),
    db.prepare(`DELETE FROM usage_rollups WHERE granularity = 'hour' AND bucket_start < ?`).bind(hourCut),
    db.prepare(FOLD_ERRORS('hour', 'day', 86_400_000)).bind(hourCut),
    db.prepare(`DELETE FROM usage_errors WHERE granularity = 'hour' AND bucket_start < ?`).bind(hourCut),
    db.prepare(FOLD_OPERATIONS('hour', 'day', 86_400_000)).bind(hourCut),
    db.prepare(`DELETE FROM usage_operations WHERE granularity = 'hour' AND bucket_start < ?`).bind(hourCut),
  ]);
  await db
    .prepare(`DELETE FROM usage_batches WHERE processed_at < ?`)
    .bind(now - 7 * 86_400_000)
    .run();
}
