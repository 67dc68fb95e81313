import { env } from 'cloudflare:test';
import { flush as flushUsage } from '../usage/reporter.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, callStreaming, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';
import { CallTimer, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_TOTAL_TIMEOUT_MS, bodyTimeouts } from './body-guard.ts';

let key: SigningKey;

beforeAll(async () => {
  key = await signingKey('kb');
  const drip = [resource('GET', '/drip/{ms}/{n}'), resource('GET', '/drip-sized/{ms}/{n}')];
  await deploy(
    [
      api({
        id: 'api_idle',
        context: '/idle',
        resources: drip,
        endpoints: {
          PRODUCTION: {
            strategy: 'single',
            urls: [{ url: 'http://backend.test', timeoutMs: 1000, idleTimeoutMs: 150, totalTimeoutMs: 5000 }],
            suspendSeconds: 30,
          },
        },
      }),
      api({
        id: 'api_total',
        context: '/total',
        resources: drip,
        endpoints: {
          PRODUCTION: {
            strategy: 'single',
            urls: [{ url: 'http://backend.test', timeoutMs: 200, idleTimeoutMs: 2000, totalTimeoutMs: 600 }],
            suspendSeconds: 30,
          },
        },
      }),
    ],
    [key],
  );
});

/** Reads a streamed answer to its end, or to the point where the gateway cut it. */
async function readAll(res: Response): Promise<{ bytes: number; cut: boolean; ms: number }> {
  const started = Date.now();
  const reader = res.body?.getReader();
  let bytes = 0;
  try {
    for (;;) {
      const chunk = await reader?.read();
      if (chunk === undefined || chunk.done) return { bytes, cut: false, ms: Date.now() - started };
      bytes += chunk.value.byteLength;
    }
  } catch {
    return { bytes, cut: true, ms: Date.now() - started };
  }
}

type ErrorRow = { error_code: number; count: number };
async function usageOf(app: string, expected: number): Promise<{ errors: ErrorRow[]; classes: string[] }> {
  let errors: ErrorRow[] = [];
  let classes: string[] = [];
  for (let i = 0; i < 50 && errors.reduce((n, r) => n + r.count, 0) < expected; i++) {
    // Usage folds for USAGE_FOLD_MS in the isolate: shipped now, through the real queue.
    await flushUsage(env);
    await new Promise((r) => setTimeout(r, 200));
    errors = (
      await env.DB.prepare(`SELECT error_code, count FROM usage_errors WHERE application_id = ? AND granularity = 'minute'`)
        .bind(app)
        .all<ErrorRow>()
    ).results;
    classes = (
      await env.DB.prepare(`SELECT status_class FROM usage_rollups WHERE application_id = ?`).bind(app).all<{ status_class: string }>()
    ).results.map((r) => r.status_class);
  }
  return { errors, classes };
}

describe('endpoint body timeouts', () => {
  it('cuts a body whose backend goes quiet for longer than the idle timeout, and counts the call as a 504 backend error', async () => {
    const app = 'app_idle';
    await subscribe(app, 'api_idle');
    const res = await callStreaming('/idle/v1/drip/600/5', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: app })}` },
    });
    expect(res.status).toBe(200);
    const read = await readAll(res);
    expect(read.cut).toBe(true);
    expect(read.bytes).toBeLessThan(5);
    expect(read.ms).toBeLessThan(1500);
    const usage = await usageOf(app, 1);
    expect(usage.errors).toEqual([{ error_code: 101504, count: 1 }]);
    expect(usage.classes).toEqual(['5xx']);
  });

  it('cuts a body that keeps dripping past the total deadline, however lively', async () => {
    const app = 'app_total';
    await subscribe(app, 'api_total');
    const res = await callStreaming('/total/v1/drip/100/40', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: app })}` },
    });
    expect(res.status).toBe(200);
    const read = await readAll(res);
    expect(read.cut).toBe(true);
    expect(read.bytes).toBeGreaterThan(0);
    expect(read.bytes).toBeLessThan(40);
    expect(read.ms).toBeLessThan(2000);
    expect((await usageOf(app, 1)).errors).toEqual([{ error_code: 101504, count: 1 }]);
  });

  it('passes a body that keeps within both limits whole, and counts it as the success it is', async () => {
    const app = 'app_whole';
    await subscribe(app, 'api_idle');
    const res = await callStreaming('/idle/v1/drip/30/5', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: app })}` },
    });
    expect(await readAll(res)).toMatchObject({ bytes: 5, cut: false });
    let classes: string[] = [];
    for (let i = 0; i < 50 && classes.length === 0; i++) {
      // Usage folds for USAGE_FOLD_MS in the isolate: shipped now, through the real queue.
      await flushUsage(env);
      await new Promise((r) => setTimeout(r, 200));
      classes = (
        await env.DB.prepare(`SELECT status_class FROM usage_rollups WHERE application_id = ?`).bind(app).all<{ status_class: string }>()
      ).results.map((r) => r.status_class);
    }
    expect(classes).toEqual(['2xx']);
  });

  it('answers a 504 of its own, never a cut 200, when a small body of declared length goes quiet past the idle timeout', async () => {
    const app = 'app_idle_sized';
    await subscribe(app, 'api_idle');
    const res = await callStreaming('/idle/v1/drip-sized/600/5', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: app })}` },
    });
    expect(res.status).toBe(504);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(((await res.json()) as { code?: number }).code).toBe(101504);
    expect((await usageOf(app, 1)).errors).toEqual([{ error_code: 101504, count: 1 }]);
  });

  it('hands a small body of declared length to the client whole, with its length', async () => {
    const app = 'app_whole_sized';
    await subscribe(app, 'api_idle');
    const res = await callStreaming('/idle/v1/drip-sized/30/5', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: app })}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe('5');
    expect(await res.text()).toBe('.....');
  });

  it('hands a small body of declared length whole when it takes longer in all than the idle timeout but never goes quiet that long', async () => {
    const app = 'app_slow_sized';
    await subscribe(app, 'api_idle');
    // 5 bytes 60 ms apart: 300 ms in all against an idle timeout of 150 ms, which bounds each gap, not the body.
    const res = await callStreaming('/idle/v1/drip-sized/60/5', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: app })}` },
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('.....');
  });

  it('answers a 504 of its own when a small body of declared length keeps dripping past the total deadline', async () => {
    const app = 'app_total_sized';
    await subscribe(app, 'api_total');
    const started = Date.now();
    const res = await callStreaming('/total/v1/drip-sized/100/40', {
      headers: { authorization: `Bearer ${await token(key, { applicationId: app })}` },
    });
    expect(res.status).toBe(504);
    expect(((await res.json()) as { code?: number }).code).toBe(101504);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('defaults to 30 s idle and 60 s in all, and never gives the body less time in all than the headers', () => {
    expect(bodyTimeouts({ url: 'http://b', timeoutMs: 5000 }, 1000)).toEqual({
      idleMs: DEFAULT_IDLE_TIMEOUT_MS,
      deadline: 1000 + DEFAULT_TOTAL_TIMEOUT_MS,
    });
    expect(DEFAULT_IDLE_TIMEOUT_MS).toBe(30_000);
    expect(DEFAULT_TOTAL_TIMEOUT_MS).toBe(60_000);
    expect(bodyTimeouts({ url: 'http://b', timeoutMs: 90_000 }, 0).deadline).toBe(90_000);
    expect(bodyTimeouts({ url: 'http://b', timeoutMs: 100, idleTimeoutMs: 50, totalTimeoutMs: 400 }, 0)).toEqual({
      idleMs: 50,
      deadline: 400,
    });
  });

  describe("the call's one timer", () => {
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

    it('aborts at its limit and says which limit it cut', async () => {
      const timer = new CallTimer(Date.now() + 40, 'headers');
      await sleep(80);
      expect(timer.signal.aborted).toBe(true);
      expect(timer.cutBy).toBe('headers');
      expect((timer.signal.reason as DOMException).name).toBe('TimeoutError');
    });

    it('keeps waiting when the limit moves later before it fires, and cuts at the later one', async () => {
      const started = Date.now();
      const timer = new CallTimer(started + 40, 'headers');
      timer.until(started + 120, 'idle');
      await sleep(80);
      expect(timer.signal.aborted).toBe(false);
      await sleep(100);
      expect(timer.cutBy).toBe('idle');
    });

    it('cuts at a limit moved earlier than it was set for', async () => {
      const started = Date.now();
      const timer = new CallTimer(started + 5_000, 'headers');
      timer.until(started + 40, 'deadline');
      await sleep(100);
      expect(timer.cutBy).toBe('deadline');
      timer.stop();
    });

    it('never fires once stopped', async () => {
      const timer = new CallTimer(Date.now() + 30, 'headers');
      timer.stop();
      await sleep(70);
      expect(timer.signal.aborted).toBe(false);
      expect(timer.cutBy).toBeNull();
    });
  });
});
