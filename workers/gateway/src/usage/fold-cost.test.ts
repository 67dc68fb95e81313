import { createMessageBatch, env } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { UsageMessage } from '../../../shared/usage.ts';
import * as metering from '../metering/meter.ts';
import { consumeUsage } from './consumer.ts';
import { reportUsage } from './reporter.ts';

const KEYS = 1000;
const CALLS_PER_KEY_PER_SECOND = 0.6;
const SECONDS = 60;

const sent: UsageMessage[] = [];
const capturing = {
  ...env,
  USAGE: { send: async (m: UsageMessage) => void sent.push(m), sendBatch: async () => undefined },
} as unknown as Env;

/** D1 rows the gateway's meter counted, isolate-wide and (where metered apart) per application. */
function d1Rows(): { read: number; written: number } {
  const perApp = (metering as unknown as { usageMeter?: Map<string, { rowsRead: number; rowsWritten: number }> }).usageMeter;
  let [read, written] = [metering.meter.d1RowsRead, metering.meter.d1RowsWritten];
  for (const m of perApp?.values() ?? []) [read, written] = [read + m.rowsRead, written + m.rowsWritten];
  return { read, written };
}

afterEach(() => vi.useRealTimers());

describe('usage of many quiet keys, end to end through the real reporter, consumer and D1', () => {
  it('writes at most 0.2 D1 rows per call for 1,000 keys each called 0.6 times a second, over a minute, and counts every call once', async () => {
    vi.useFakeTimers();
    const pending: Array<Promise<unknown>> = [];
    const waitUntil = (p: Promise<unknown>) => void pending.push(p);
    const t0 = Date.UTC(2026, 11, 2, 9, 0, 0);
    const before = d1Rows();
    // The queue: what was sent is delivered once a second (max_batch_timeout 1), up to 100 messages a batch.
    const deliver = async () => {
      while (sent.length > 0) {
        const messages = sent.splice(0, 100);
        await consumeUsage(
          createMessageBatch<UsageMessage>(
            'turnpike-usage',
            messages.map((body) => ({ id: body.id, timestamp: new Date(), attempts: 1, body })),
          ),
          env,
        );
      }
    };
    let calls = 0;
    const stepMs = 100;
    // Each key calls at its own phase, one call every 1 / 0.6 s.
    const periodMs = 1000 / CALLS_PER_KEY_PER_SECOND;
    for (let at = 0; at < SECONDS * 1000; at += stepMs) {
      for (let k = 0; k < KEYS; k++) {
        const phase = (k * 7919) % periodMs;
        const due = Math.floor((at + stepMs - phase) / periodMs) - Math.floor((at - phase) / periodMs);
        for (let i = 0; i < due; i++) {
          reportUsage(
            capturing,
            waitUntil,
            {
              apiId: 'api_fold_cost',
              applicationId: `app_fold_cost_${k}`,
              keyType: 'PRODUCTION',
              status: 200,
              throttled: false,
              latencyMs: 4,
              requestBytes: 0,
              responseBytes: 100,
              errorCode: null,
              apiKeyId: null,
            },
            t0 + at,
          );
          calls += 1;
        }
      }
      await vi.advanceTimersByTimeAsync(stepMs);
      if ((at + stepMs) % 1000 === 0) await deliver();
    }
    await vi.advanceTimersByTimeAsync(60_000);
    await Promise.all(pending);
    await deliver();
    const after = d1Rows();
    const stored = await env.DB.prepare(`SELECT sum(requests) AS n FROM usage_rollups WHERE api_id = 'api_fold_cost'`).first<{
      n: number;
    }>();
    const perCall = { written: (after.written - before.written) / calls, read: (after.read - before.read) / calls };
    console.log(JSON.stringify({ calls, d1RowsWrittenPerCall: perCall.written.toFixed(3), d1RowsReadPerCall: perCall.read.toFixed(3) }));
    expect(stored?.n).toBe(calls);
    expect(perCall.written).toBeLessThanOrEqual(0.2);
  }, 120_000);
});
