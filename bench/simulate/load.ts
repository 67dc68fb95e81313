/**
 * The simulation's load: HTTP calls to several gateway processes at once, every answer recorded with
 * the process that gave it and when. 127.0.0.1 only; every loop is bounded in count and in time.
 */

export interface Target {
  /** Launcher process name, e.g. `gateway`, `gateway-internal-2`. */
  readonly process: string;
  readonly environment: string;
  readonly url: string;
}

export interface Answer {
  /** Which call of an `offer` this was, in send order (what its headers were chosen by). */
  readonly index: number;
  readonly process: string;
  readonly status: number;
  /** 5xx only: the problem's `type` tail, or `socket` when no answer came (connection failed or cut). */
  readonly kind?: string;
  readonly sentAt: number;
  readonly receivedAt: number;
}

async function one(index: number, target: Target, path: string, headers: Record<string, string>, timeoutMs: number): Promise<Answer> {
  const sentAt = Date.now();
  try {
    const res = await fetch(target.url + path, { headers, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    let kind: string | undefined;
    if (res.status >= 500) {
      try {
        kind = String((JSON.parse(text) as { type?: string }).type ?? 'unknown').replace(/^.*\//, '');
      } catch {
        kind = 'not-json';
      }
    }
    return { index, process: target.process, status: res.status, ...(kind === undefined ? {} : { kind }), sentAt, receivedAt: Date.now() };
  } catch {
    return { index, process: target.process, status: 0, kind: 'socket', sentAt, receivedAt: Date.now() };
  }
}

/**
 * `concurrency` clients, each sending one call after another to the targets in turn (client i starts
 * at target i), until `total` calls were sent or `untilMs` (an instant) has passed.
 */
export async function offer(options: {
  targets: readonly Target[];
  path: string;
  headers: (i: number) => Record<string, string>;
  concurrency: number;
  total: number;
  untilMs: number;
  timeoutMs?: number;
}): Promise<Answer[]> {
  const answers: Answer[] = [];
  let sent = 0;
  const client = async (c: number) => {
    let turn = c;
    while (sent < options.total && Date.now() < options.untilMs) {
      const i = sent++;
      const target = options.targets[turn++ % options.targets.length];
      if (target === undefined) return;
      answers.push(await one(i, target, options.path, options.headers(i), options.timeoutMs ?? 10_000));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, c) => client(c)));
  return answers;
}

/**
 * One prober per target, each calling back to back (a pause of `pauseMs` between calls, so a prober
 * is a hot key of its isolate) until `stop()` is called or `maxMs` has passed.
 */
export function probe(options: {
  targets: readonly Target[];
  path: string;
  headers: Record<string, string>;
  pauseMs: number;
  maxMs: number;
}): { answers: Answer[]; stop: () => Promise<void> } {
  const answers: Answer[] = [];
  let stopped = false;
  const deadline = Date.now() + options.maxMs;
  const runs = options.targets.map(async (target) => {
    while (!stopped && Date.now() < deadline) {
      answers.push(await one(answers.length, target, options.path, options.headers, 5000));
      if (options.pauseMs > 0) await sleep(options.pauseMs);
    }
  });
  return {
    answers,
    stop: async () => {
      stopped = true;
      await Promise.all(runs);
    },
  };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));

/** Waits until `ms` after the start of the next window of `windowMs` (windows are aligned to the epoch, as the counters'). */
export async function nextWindow(windowMs: number, ms = 150): Promise<number> {
  const start = (Math.floor(Date.now() / windowMs) + 1) * windowMs;
  await sleep(start + ms - Date.now());
  return start;
}

export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
}

/** 5xx answers by kind (`service-unavailable`, `socket`, …). */
export function fiveXx(answers: readonly Answer[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of answers)
    if (a.status >= 500 || a.status === 0) out[a.kind ?? String(a.status)] = (out[a.kind ?? String(a.status)] ?? 0) + 1;
  return out;
}
