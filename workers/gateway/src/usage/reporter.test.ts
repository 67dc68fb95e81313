import { createMessageBatch, env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UsageMessage } from '../../../shared/usage.ts';
import { usageMeter } from '../metering/meter.ts';
import { consumeUsage } from './consumer.ts';
import { ITEMS_PER_MESSAGE, USAGE_FOLD_MS, reportUsage, type UsageEvent } from './reporter.ts';

const sent: UsageMessage[] = [];
// The gateway's env with its usage queue captured, so the test sees what a flush ships and when.
const capturing = {
  ...env,
  USAGE: { send: async (m: UsageMessage) => void sent.push(m), sendBatch: async () => undefined },
} as unknown as Env;

const call = (apiId: string, applicationId: string, over: Partial<UsageEvent> = {}): UsageEvent => ({
  apiId,
  applicationId,
  keyType: 'PRODUCTION',
  status: 200,
  throttled: false,
  latencyMs: 3,
  requestBytes: 10,
  responseBytes: 100,
  errorCode: null,
  apiKeyId: null,
  ...over,
});

async function consumeAll(messages: readonly UsageMessage[]): Promise<void> {
  await consumeUsage(
    createMessageBatch<UsageMessage>(
      'turnpike-usage',
      messages.map((body) => ({ id: body.id, timestamp: new Date(), attempts: 1, body })),
    ),
    env,
  );
}

const requestsOf = async (apiId: string) =>
  (await env.DB.prepare(`SELECT coalesce(sum(requests), 0) AS n, count(*) AS rows FROM usage_rollups WHERE api_id = ?`)
    .bind(apiId)
    .first<{ n: number; rows: number }>()) ?? { n: 0, rows: 0 };

afterEach(() => {
  vi.useRealTimers();
  sent.length = 0;
});

describe('usage reporter: quiet keys fold in the isolate for USAGE_FOLD_MS', () => {
  it("folds a quiet key's calls of the whole fold period into one row, ships it USAGE_FOLD_MS after the first call, and it reaches D1 then", async () => {
    vi.useFakeTimers();
    const pending: Array<Promise<unknown>> = [];
    const waitUntil = (p: Promise<unknown>) => void pending.push(p);
    const t0 = Date.UTC(2026, 11, 2, 7, 0, 5);
    // One call every 2 s: a quiet key, each call a second or more after the one before.
    for (let i = 0; i < 6; i++) {
      reportUsage(capturing, waitUntil, call('api_fold_quiet', 'app_fold_quiet'), t0 + i * 2000);
      vi.advanceTimersByTime(2000);
    }
    // Twelve seconds in: still folding, nothing shipped.
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(USAGE_FOLD_MS - 12_000);
    await Promise.all(pending);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.rows).toEqual([expect.objectContaining({ applicationId: 'app_fold_quiet', requests: 6 })]);

    await consumeAll(sent);
    expect(await requestsOf('api_fold_quiet')).toEqual({ n: 6, rows: 1 });
  });

  it('ships 1,000 quiet keys folded over the period as messages of at most ITEMS_PER_MESSAGE items, whose rows sum to every call once, redelivery included', async () => {
    vi.useFakeTimers();
    const pending: Array<Promise<unknown>> = [];
    const waitUntil = (p: Promise<unknown>) => void pending.push(p);
    const t0 = Date.UTC(2026, 11, 2, 7, 1, 5);
    for (let round = 0; round < 3; round++)
      for (let k = 0; k < 1000; k++)
        reportUsage(
          capturing,
          waitUntil,
          call('api_fold_many', `app_fold_${k}`, k % 10 === 0 ? { status: 503, errorCode: 503 } : {}),
          t0 + round * 1000,
        );
    // Three calls of each of 1,000 keys fold into 1,000 rollup rows and 100 error rows: not yet shipped.
    expect(sent).toHaveLength(0);
    vi.advanceTimersByTime(USAGE_FOLD_MS);
    await Promise.all(pending);
    for (const m of sent) expect(m.rows.length + (m.errors?.length ?? 0)).toBeLessThanOrEqual(ITEMS_PER_MESSAGE);
    expect(sent.reduce((n, m) => n + m.rows.length, 0)).toBe(1000);
    expect(new Set(sent.map((m) => m.id)).size).toBe(sent.length);

    await consumeAll(sent);
    await consumeAll(sent);
    expect(await requestsOf('api_fold_many')).toEqual({ n: 3000, rows: 1000 });
    const errors = await env.DB.prepare(`SELECT sum(count) AS n FROM usage_errors WHERE api_id = 'api_fold_many'`).first<{ n: number }>();
    expect(errors?.n).toBe(300);
    // The meter counts those rows to the application whose calls they fold, with the calls they carried.
    expect(usageMeter.get('app_fold_7')).toMatchObject({ calls: 3 });
    expect(usageMeter.get('app_fold_7')?.rowsWritten).toBeGreaterThan(0);
  });
});
