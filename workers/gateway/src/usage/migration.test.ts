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

/** The migrations' own statements, as wrangler applies them (the TEST_MIGRATIONS binding), in order. */
const MIGRATIONS = (env as unknown as { TEST_MIGRATIONS: Array<{ name: string; queries: string[] }> }).TEST_MIGRATIONS;

/**
 * `name`'s statements and those of every migration after it, run again over the migrated database:
 * what `name` does to stored rows, and the tables left in their current form for the tests after.
 */
async function applyFrom(name: string): Promise<number> {
  const at = MIGRATIONS.findIndex((m) => m.name === name);
  expect(at, name).toBeGreaterThanOrEqual(0);
  let statements = 0;
  for (const m of MIGRATIONS.slice(at))
    for (const q of m.queries) {
      await env.DB.prepare(q).run();
      statements += 1;
    }
  return statements;
}

describe('migration 0017_usage_rollups_key_by_api', () => {
  it('keeps every stored rollup row, histogram included, and later upserts still add into them', async () => {
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

    expect(await applyFrom('0017_usage_rollups_key_by_api.sql')).toBeGreaterThan(0);

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
    // The row (in its key's own B-tree since 0018) and the application index: two rows written
    // (three with a separate key index, four with the API index as well).
    await consume('mig-new', [row({ apiId: 'api_mig_new', applicationId: 'app_mig_new' })]);
    expect(usageMeter.get('app_mig_new')?.rowsWritten).toBe(2);
  });
});

describe('migration 0018_usage_tables_without_rowid', () => {
  const TABLES = ['usage_rollups', 'usage_errors', 'usage_operations', 'usage_batches'];
  const tableSql = async () =>
    Object.fromEntries(
      (
        await env.DB.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name IN (${TABLES.map(() => '?').join(', ')})`)
          .bind(...TABLES)
          .all<{ name: string; sql: string }>()
      ).results.map((t) => [t.name, t.sql]),
    );
  // The indexes made by CREATE INDEX (origin "c"), not the key itself (origin "pk").
  const indexesOf = async (table: string) =>
    (await env.DB.prepare(`PRAGMA index_list('${table}')`).all<{ name: string; origin: string }>()).results
      .filter((i) => i.origin === 'c')
      .map((i) => i.name)
      .sort();

  it('stores every usage table in its key and keeps each secondary index', async () => {
    const sql = await tableSql();
    for (const table of TABLES) expect(sql[table], table).toMatch(/\)\s*WITHOUT ROWID$/);
    expect(await indexesOf('usage_rollups')).toEqual(['usage_rollups_app_idx']);
    expect(await indexesOf('usage_errors')).toEqual(['usage_errors_api_idx', 'usage_errors_app_idx']);
    expect(await indexesOf('usage_operations')).toEqual(['usage_operations_api_idx']);
  });

  it('keeps every stored row of the four tables, and a redelivered batch is still refused', async () => {
    const id = 'mig18-1';
    const body: UsageMessage = {
      id,
      rows: [row({ apiId: 'api_mig18' }), row({ apiId: 'api_mig18', applicationId: 'app_mig18_b', statusClass: '5xx', requests: 3 })],
      errors: [
        {
          bucketStart: 1_700_000_100_000,
          apiId: 'api_mig18',
          applicationId: 'app_mig18_b',
          keyType: 'PRODUCTION',
          errorCode: 101504,
          count: 3,
        },
      ],
      operations: [
        {
          bucketStart: 1_700_000_100_000,
          apiId: 'api_mig18',
          applicationId: 'app_mig',
          operation: 'pets',
          requests: 2,
          errors: 0,
          latencyMsSum: 6,
        },
      ],
    };
    const send = () =>
      consumeUsage(createMessageBatch<UsageMessage>('turnpike-usage', [{ id, timestamp: new Date(), attempts: 1, body }]), env);
    await send();
    const read = async () => ({
      rollups: (await env.DB.prepare(`SELECT * FROM usage_rollups WHERE api_id = 'api_mig18' ORDER BY application_id`).all()).results,
      errors: (await env.DB.prepare(`SELECT * FROM usage_errors WHERE api_id = 'api_mig18'`).all()).results,
      operations: (await env.DB.prepare(`SELECT * FROM usage_operations WHERE api_id = 'api_mig18'`).all()).results,
      batches: (await env.DB.prepare(`SELECT batch_id FROM usage_batches WHERE batch_id = ?`).bind(id).all()).results,
    });
    const before = await read();
    expect(before.rollups).toHaveLength(2);
    expect(before.errors).toHaveLength(1);
    expect(before.operations).toHaveLength(1);
    expect(before.batches).toHaveLength(1);

    expect(await applyFrom('0018_usage_tables_without_rowid.sql')).toBeGreaterThan(0);

    expect(await read()).toEqual(before);
    // The same message again: its batch id is still known, so nothing is counted twice.
    await send();
    expect(await read()).toEqual(before);
  });
});
