import { withBusyRetry } from '../../../shared/d1-retry.ts';
import { meter, meterResult, meterUsageRows } from '../metering/meter.ts';
import type { UsageMessage } from '../../../shared/usage.ts';

/**
 * Folds usage messages into the per-minute rollups, error counts and operation counts. Each message is one D1 transaction that first
 * records the message id: a redelivered message fails on that primary key and is acknowledged
 * without being counted again; any other failure is retried by the queue.
 *
 * Metered by hand, statement by statement (decision 0059): the rows of the rollups, errors and
 * operations to the application whose calls they fold, the batch id and key updates isolate-wide.
 */
export async function consumeUsage(batch: MessageBatch<UsageMessage>, env: Env): Promise<void> {
  const db = withBusyRetry(env.DB);
  for (const message of batch.messages) {
    const { id, rows, errors = [], keysUsed = [], operations = [] } = message.body;
    // The histograms merge bucket by bucket over the stored one (json_extract of the new one's bucket):
    // 14 rows read per upsert, where a join of the two json_each tables read 14 × 14 (decision 0059).
    const statements = [
      db.prepare('INSERT INTO usage_batches (batch_id) VALUES (?)').bind(id),
      ...rows.map((r) =>
        db
          .prepare(
            `INSERT INTO usage_rollups (granularity, bucket_start, api_id, application_id, key_type, status_class, requests, throttled, request_bytes, response_bytes, frames_in, frames_out, latency_ms_sum, latency_ms_max, latency_histogram)
           VALUES ('minute', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (granularity, bucket_start, api_id, application_id, key_type, status_class) DO UPDATE SET
             requests = requests + excluded.requests,
             throttled = throttled + excluded.throttled,
             request_bytes = request_bytes + excluded.request_bytes,
             response_bytes = response_bytes + excluded.response_bytes,
             frames_in = frames_in + excluded.frames_in,
             frames_out = frames_out + excluded.frames_out,
             latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum,
             latency_ms_max = max(latency_ms_max, excluded.latency_ms_max),
             latency_histogram = (SELECT json_group_array(a.value + coalesce(json_extract(excluded.latency_histogram, '$[' || a.key || ']'), 0)) FROM json_each(latency_histogram) a)`,
          )
          .bind(
            r.bucketStart,
            r.apiId,
            r.applicationId,
            r.keyType,
            r.statusClass,
            r.requests,
            r.throttled,
            r.requestBytes,
            r.responseBytes,
            r.framesIn ?? 0,
            r.framesOut ?? 0,
            r.latencyMsSum,
            r.latencyMsMax,
            JSON.stringify(r.latencyHistogram),
          ),
      ),
      ...errors.map((e) =>
        db
          .prepare(
            `INSERT INTO usage_errors (granularity, bucket_start, api_id, application_id, key_type, error_code, count) VALUES ('minute', ?, ?, ?, ?, ?, ?)
             ON CONFLICT (granularity, bucket_start, api_id, application_id, key_type, error_code) DO UPDATE SET count = count + excluded.count`,
          )
          .bind(e.bucketStart, e.apiId, e.applicationId, e.keyType, e.errorCode, e.count),
      ),
      // Never moves backwards: batches of several isolates arrive in any order.
      ...keysUsed.map((k) =>
        db.prepare('UPDATE api_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?').bind(k.at, k.id),
      ),
      ...operations.map((o) =>
        db
          .prepare(
            `INSERT INTO usage_operations (granularity, bucket_start, api_id, application_id, operation, requests, errors, latency_ms_sum) VALUES ('minute', ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (granularity, bucket_start, api_id, application_id, operation) DO UPDATE SET requests = requests + excluded.requests, errors = errors + excluded.errors, latency_ms_sum = latency_ms_sum + excluded.latency_ms_sum`,
          )
          .bind(o.bucketStart, o.apiId, o.applicationId, o.operation, o.requests, o.errors, o.latencyMsSum),
      ),
    ];
    try {
      const results = await db.batch(statements);
      // In statement order: the batch id, rows, errors, keys, operations.
      let i = 0;
      const next = () => results[i++] ?? {};
      meterResult(next());
      for (const r of rows) meterUsageRows(r.applicationId, next(), r.requests);
      for (const e of errors) meterUsageRows(e.applicationId, next(), 0);
      keysUsed.forEach(() => meterResult(next()));
      for (const o of operations) meterUsageRows(o.applicationId, next(), 0);
      meter.usageMessagesConsumed += 1;
      message.ack();
    } catch (err) {
      if (/UNIQUE constraint failed: usage_batches/i.test(String(err))) {
        meter.usageMessagesConsumed += 1;
        message.ack();
      } else message.retry({ delaySeconds: 5 });
    }
  }
}
