import { createMessageBatch, env, getQueueResult, createExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { UsageMessage, UsageRow } from '../../../shared/usage.ts';
import { consumeUsage } from './consumer.ts';

const row = (over: Partial<UsageRow> = {}): UsageRow => ({
  bucketStart: 1_700_000_040_000,
  apiId: 'api_u',
  applicationId: 'app_u',
  keyType: 'PRODUCTION',
  statusClass: '2xx',
  requests: 3,
  throttled: 0,
  requestBytes: 10,
  responseBytes: 300,
  latencyMsSum: 12,
  latencyMsMax: 7,
  latencyHistogram: [1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
  ...over,
});

async function consume(messages: UsageMessage[]) {
  const batch = createMessageBatch<UsageMessage>(
    'turnpike-usage',
    messages.map((body, i) => ({ id: `m${i}-${body.id}`, timestamp: new Date(), attempts: 1, body })),
  );
  const ctx = createExecutionContext();
  await consumeUsage(batch, env);
  return getQueueResult(batch, ctx);
}

async function rollup(apiId: string) {
  return env.DB.prepare(
    `SELECT requests, throttled, response_bytes, latency_ms_max, latency_histogram FROM usage_rollups WHERE api_id = ? AND granularity = 'minute'`,
  )
    .bind(apiId)
    .first<{ requests: number; throttled: number; response_bytes: number; latency_ms_max: number; latency_histogram: string }>();
}

describe('usage consumer', () => {
  it('adds messages into per-minute rollups, histograms included', async () => {
    await consume([
      { id: 'a1', rows: [row({ apiId: 'api_add' })] },
      {
        id: 'a2',
        rows: [
          row({
            apiId: 'api_add',
            requests: 2,
            throttled: 1,
            latencyMsMax: 40,
            latencyHistogram: [0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0],
          }),
        ],
      },
    ]);
    const r = await rollup('api_add');
    expect(r).toMatchObject({ requests: 5, throttled: 1, response_bytes: 600, latency_ms_max: 40 });
    expect(JSON.parse(r?.latency_histogram ?? '[]')).toEqual([1, 1, 0, 1, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('does not count a redelivered message twice', async () => {
    const message = { id: 'dup-1', rows: [row({ apiId: 'api_dup' })] };
    const first = await consume([message]);
    const again = await consume([message]);
    expect(first.explicitAcks).toHaveLength(1);
    expect(again.explicitAcks).toHaveLength(1);
    expect((await rollup('api_dup'))?.requests).toBe(3);
  });

  it('adds error counts by code in the same transaction, once per message', async () => {
    const errors = (count: number) => [
      { bucketStart: 1_700_000_040_000, apiId: 'api_err', applicationId: 'app_u', keyType: 'PRODUCTION', errorCode: 900804, count },
      { bucketStart: 1_700_000_040_000, apiId: 'api_err', applicationId: 'app_u', keyType: 'PRODUCTION', errorCode: 503, count: 1 },
    ];
    const message = { id: 'err-1', rows: [row({ apiId: 'api_err', statusClass: '4xx' })], errors: errors(2) };
    await consume([message, { id: 'err-2', rows: [row({ apiId: 'api_err', statusClass: '4xx' })], errors: errors(3) }]);
    await consume([message]);
    const counts = (
      await env.DB.prepare(
        `SELECT error_code, count FROM usage_errors WHERE api_id = 'api_err' AND granularity = 'minute' ORDER BY error_code`,
      ).all<{ error_code: number; count: number }>()
    ).results;
    expect(counts).toEqual([
      { error_code: 503, count: 2 },
      { error_code: 900804, count: 5 },
    ]);
  });

  it('still takes messages without error rows (sent before errors were reported)', async () => {
    await consume([{ id: 'old-1', rows: [row({ apiId: 'api_old' })] }]);
    expect((await rollup('api_old'))?.requests).toBe(3);
  });
});
