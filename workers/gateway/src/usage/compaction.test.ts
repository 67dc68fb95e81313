import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { compactUsage } from './compaction.ts';

const insert = (granularity: string, bucketStart: number, apiId: string, requests: number, histogram: number[]) =>
  env.DB.prepare(
    `INSERT INTO usage_rollups (granularity, bucket_start, api_id, application_id, key_type, status_class, requests, throttled, request_bytes, response_bytes, latency_ms_sum, latency_ms_max, latency_histogram) VALUES (?, ?, ?, 'app_c', 'PRODUCTION', '2xx', ?, 0, 0, 0, ?, 9, ?)`,
  )
    .bind(granularity, bucketStart, apiId, requests, requests * 3, JSON.stringify(histogram))
    .run();

describe('usage compaction', () => {
  it('folds old minutes into hours and old hours into days, keeping totals and histograms, and leaves recent rows alone', async () => {
    const now = Date.UTC(2026, 10, 20, 12, 0, 0);
    const hour = Date.UTC(2026, 10, 10, 8, 0, 0);
    await insert('minute', hour + 60_000, 'api_cmp', 3, [1, 2, 0]);
    await insert('minute', hour + 120_000, 'api_cmp', 4, [0, 4, 0]);
    await insert('minute', now - 60_000, 'api_cmp', 5, [5, 0, 0]);
    const day = Date.UTC(2026, 8, 1);
    await insert('hour', day + 3_600_000, 'api_cmp', 10, [0, 0, 10]);
    await insert('hour', day + 7_200_000, 'api_cmp', 20, [20, 0, 0]);
    await compactUsage(env, now);
    const rows = (
      await env.DB.prepare(
        `SELECT granularity, bucket_start, requests, latency_histogram FROM usage_rollups WHERE api_id = 'api_cmp' ORDER BY granularity, bucket_start`,
      ).all<{ granularity: string; bucket_start: number; requests: number; latency_histogram: string }>()
    ).results;
    expect(rows.map((r) => [r.granularity, r.bucket_start, r.requests, JSON.parse(r.latency_histogram)])).toEqual([
      ['day', day, 30, [20, 0, 10]],
      ['hour', hour, 7, [1, 6, 0]],
      ['minute', now - 60_000, 5, [5, 0, 0]],
    ]);
    await compactUsage(env, now);
    const again = await env.DB.prepare(`SELECT SUM(requests) AS n FROM usage_rollups WHERE api_id = 'api_cmp'`).first<{ n: number }>();
    expect(again?.n).toBe(42);
  });

  it('folds error counts by code the same way', async () => {
    const now = Date.UTC(2026, 10, 20, 12, 0, 0);
    const hour = Date.UTC(2026, 10, 10, 8, 0, 0);
    const day = Date.UTC(2026, 8, 1);
    const insertError = (granularity: string, bucketStart: number, code: number, count: number) =>
      env.DB.prepare(
        `INSERT INTO usage_errors (granularity, bucket_start, api_id, application_id, key_type, error_code, count) VALUES (?, ?, 'api_cmp_err', 'app_c', 'PRODUCTION', ?, ?)`,
      )
        .bind(granularity, bucketStart, code, count)
        .run();
    await insertError('minute', hour + 60_000, 900804, 2);
    await insertError('minute', hour + 120_000, 900804, 3);
    await insertError('minute', hour + 120_000, 503, 1);
    await insertError('minute', now - 60_000, 900804, 7);
    await insertError('hour', day + 3_600_000, 900901, 4);
    await insertError('hour', day + 7_200_000, 900901, 6);
    await compactUsage(env, now);
    await compactUsage(env, now);
    const rows = (
      await env.DB.prepare(
        `SELECT granularity, bucket_start, error_code, count FROM usage_errors WHERE api_id = 'api_cmp_err' ORDER BY granularity, bucket_start, error_code`,
      ).all<{ granularity: string; bucket_start: number; error_code: number; count: number }>()
    ).results;
    expect(rows.map((r) => [r.granularity, r.bucket_start, r.error_code, r.count])).toEqual([
      ['day', day, 900901, 10],
      ['hour', hour, 503, 1],
      ['hour', hour, 900804, 5],
      ['minute', now - 60_000, 900804, 7],
    ]);
  });
});
