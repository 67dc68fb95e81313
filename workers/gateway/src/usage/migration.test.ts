import { createMessageBatch, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { UsageMessage, UsageRow } from '../../../shared/usage.ts';
import { usageMeter } from '../metering/meter.ts';
import { consumeUsage } from './consumer.ts';

const row = (over: Partial<UsageRow> = {}): UsageRow => ({
  bucketStart: 1_700_000_100_000,
  apiId: 'api_mig',
  applicationId: 'app_mig',
  keyType: 'PRODUCTION',
  statusClass: '2xx',
  requests: 2,
  throttled: 0,
  requestBytes: 10,
  responseBytes: 100,
  latencyMsSum: 6,
  latencyMsMax: 4,
  latencyHistogram: [0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  ...over,
});

const consume = (id: string, rows: UsageRow[]) =>
  consumeUsage(createMessageBatch<UsageMessage>('turnpike-usage', [{ id, timestamp: new Date(), attempts: 1, body: { id, rows } }]), env);

/** The migration's own statements (as wrangler applies them, from the TEST_MIGRATIONS binding). */
describe('migration 0017_usage_rollups_key_by_api', () => {
  const migration = (env as unknown as { TEST_MIGRATIONS: Array<{ name: string; queries: string[] }> }).TEST_MIGRATIONS.find(
    (m) => m.name === '0017_usage_rollups_key_by_api.sql',
  );

  it('keeps every stored rollup row, histogram included, and later upserts still add into them', async () => {
    expect(migration?.queries.length).toBeGreaterThan(0);
    await consume('mig-1', [row(), row({ applicationId: 'app_mig_2', statusClass: '4xx', requests: 5 })]);
    await consume('mig-h', [row({ bucketStart: 1_699_999_200_000, apiId: 'api_mig' })]);
    await env.DB.prepare(`UPDATE usage_rollups SET granularity = 'hour' WHERE api_id = 'api_mig' AND bucket_start = 1699999200000`).run();
    const read = async () =>
      (
        await env.DB.prepare(
          `SELECT granularity, bucket_start, application_id, status_class, requests, latency_histogram FROM usage_rollups WHERE api_id = 'api_mig' ORDER BY bucket_start, application_id`,
        ).all()
      ).results;
    const before = await read();
    expect(before).toHaveLength(3);

    for (const q of migration?.queries ?? []) await env.DB.prepare(q).run();

    expect(await read()).toEqual(before);
    await consume('mig-2', [row()]);
    const after = await env.DB.prepare(
      `SELECT requests, latency_histogram FROM usage_rollups WHERE api_id = 'api_mig' AND application_id = 'app_mig' AND granularity = 'minute'`,
    ).first<{ requests: number; latency_histogram: string }>();
    expect(after?.requests).toBe(4);
    expect(JSON.parse(after?.latency_histogram ?? '[]')).toEqual([0, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('writes a new rollup row with one index row fewer: the key leads with the API, no index of its own by API', async () => {
    const indexes = (await env.DB.prepare(`PRAGMA index_list('usage_rollups')`).all<{ name: string }>()).results.map((i) => i.name);
    expect(indexes).not.toContain('usage_rollups_api_idx');
    // The row, its key and the application index: three rows written (four with the API index).
    await consume('mig-new', [row({ apiId: 'api_mig_new', applicationId: 'app_mig_new' })]);
    expect(usageMeter.get('app_mig_new')?.rowsWritten).toBe(3);
  });
});
