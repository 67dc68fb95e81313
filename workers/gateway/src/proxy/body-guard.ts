import type { SnapshotEndpoint } from '../../../shared/snapshot.ts';

/**
 * The endpoint timeout bounds the wait for the backend's response headers; these bound its body,
 * which a backend (or an attacker controlling one) could otherwise drip forever while the client
 * and the isolate wait: no body bytes for `idleTimeoutMs`, or the whole call past `totalTimeoutMs`
 * from the moment the gateway sent it, and the stream is cut. Defaults in docs/architecture.md.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 60_000;

export interface BodyTimeouts {
  readonly idleMs: number;
  /** Epoch ms after which the body is cut, whatever it is doing. */
  readonly deadline: number;
}

type EndpointUrl = SnapshotEndpoint['urls'][number];

/** The body limits of the URL a call went to; the total deadline is never shorter than the header timeout. */
export function bodyTimeouts(target: EndpointUrl, sentAt: number): BodyTimeouts {
  const total = Math.max(target.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS, target.timeoutMs);
  return { idleMs: target.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, deadline: sentAt + total };
}

/** How a guarded body ended: read to its end, cut by a timeout, broken by the backend, or abandoned by the client. */
export type BodyOutcome =
  | { readonly kind: 'complete'; readonly bytes: number }
  | { readonly kind: 'cut'; readonly bytes: number; readonly reason: 'idle' | 'deadline' }
  | { readonly kind: 'failed'; readonly bytes: number }
  | { readonly kind: 'cancelled'; readonly bytes: number };

/**
 * A body whose Content-Length declares at most this many bytes is read whole before the answer goes
 * out (readSmallBody), under the same idle and total limits, and handed to the client as bytes: no
 * JavaScript stream between the backend and the client, whose chunk-by-chunk pumping was most of
 * the guard's cost on every small answer (bench, decision 0032). Larger or undeclared bodies stream
 * through guardBody.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

/** The body's declared length when the backend sent a valid Content-Length (RFC 9110 §8.6), else null. */
export function declaredLength(headers: Headers): number | null {
  const value = headers.get('content-length');
  if (value === null || !/^\d{1,15}$/.test(value)) return null;
  return Number(value);
}

/**
 * What the one timer of a call is waiting for: the backend's headers, then (for a small body) its
 * next bytes or its total deadline.
 */
export type CallLimit = 'headers' | 'idle' | 'deadline';

/**
 * One timer per call, guarding the backend's headers and then a small body, through the AbortSignal
 * the call's `fetch` was given: aborting it fails a pending header wait and errors the body stream
 * the runtime is filling. `until` moves the limit; the timer is re-armed only when the limit comes
 * earlier than it is set for, and when it fires before a later limit it re-arms for what is left. A
 * header timer, then a body timer, each cleared, and a promise raced against every read were a
 * tenth of the gateway's CPU on a small answer (bench, 2026-12-02).
 */
export class CallTimer {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  #limitAt: number;
  #limit: CallLimit;
  #dueAt: number;
  #timer: ReturnType<typeof setTimeout> | null;
  /** What the timer cut, once it has (null while it has not). */
  cutBy: CallLimit | null = null;

  constructor(limitAt: number, limit: CallLimit) {
    this.signal = this.#controller.signal;
    this.#limitAt = limitAt;
    this.#limit = limit;
    this.#dueAt = limitAt;
    this.#timer = setTimeout(this.#fire, Math.max(0, limitAt - Date.now()));
  }

  /** From now on the call may wait until `limitAt` (epoch ms), for `limit`. */
  until(limitAt: number, limit: CallLimit): void {
    this.#limitAt = limitAt;
    this.#limit = limit;
    if (this.#timer !== null && limitAt < this.#dueAt) {
      clearTimeout(this.#timer);
      this.#arm(limitAt);
    }
  }

  stop(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }

  #arm(at: number): void {
    this.#dueAt = at;
    this.#timer = setTimeout(this.#fire, Math.max(0, at - Date.now()));
  }

  readonly #fire = () => {
    this.#timer = null;
    if (Date.now() < this.#limitAt) return this.#arm(this.#limitAt);
    this.cutBy = this.#limit;
    this.#controller.abort(
      new DOMException(`the backend's ${this.#limit === 'headers' ? 'headers' : 'body'} did not arrive in time`, 'TimeoutError'),
    );
  };
}

/**
 * Reads a small body to its end under `timeouts`, guarded by the call's timer (whose signal the
 * call's fetch was given): each read may wait at most `idleMs` (and never past the deadline), the
 * idle clock starting again at every chunk. A body cut or broken off here has not reached the
 * client yet, so the gateway can still answer with a 504 or 502 of its own instead of an aborted
 * 200. `declared`, the body's Content-Length, ends the reading once that many bytes are in when the
 * runtime does not decode the body (no Content-Encoding): the length-delimited stream has nothing
 * more to give, so the read that would only report its end is not made.
 */
export async function readSmallBody(
  body: ReadableStream<Uint8Array>,
  timer: CallTimer,
  timeouts: BodyTimeouts,
  declared: number | null = null,
): Promise<{ kind: 'complete'; bytes: Uint8Array } | Exclude<BodyOutcome, { kind: 'complete' | 'cancelled' }>> {
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  const next = () => {
    const idleAt = Date.now() + timeouts.idleMs;
    timer.until(Math.min(idleAt, timeouts.deadline), idleAt < timeouts.deadline ? 'idle' : 'deadline');
  };
  next();
  for (;;) {
    let read: ReadableStreamReadResult<Uint8Array>;
    try {
      read = await reader.read();
    } catch {
      const cutBy = timer.cutBy;
      return cutBy === null || cutBy === 'headers' ? { kind: 'failed', bytes } : { kind: 'cut', bytes, reason: cutBy };
    }
    if (read.done) break;
    chunks.push(read.value);
    bytes += read.value.byteLength;
    if (bytes === declared) break;
    next();
  }
  if (chunks.length === 1 && chunks[0] !== undefined) return { kind: 'complete', bytes: chunks[0] };
  const whole = new Uint8Array(bytes);
  let at = 0;
  for (const chunk of chunks) {
    whole.set(chunk, at);
    at += chunk.byteLength;
  }
  return { kind: 'complete', bytes: whole };
}

export class BodyTimeoutError extends Error {
  // A declared field, not a parameter property: the bench loads this file in Node's type stripping.
  readonly reason: 'idle' | 'deadline';
  constructor(reason: 'idle' | 'deadline') {
    super(
      reason === 'idle'
        ? 'the backend sent no body bytes within the idle timeout'
        : 'the backend body did not end before the total deadline',
    );
    this.reason = reason;
    this.name = 'BodyTimeoutError';
  }
}

/**
 * Passes `body` through, cutting it (the client sees the response aborted) when the backend sends
 * nothing for `idleMs` while the client is waiting for more, or when the deadline passes. Pull-based,
 * so a client that reads slowly is not taken for an idle backend: the idle clock runs only while a
 * read of the backend is pending. Cutting cancels the backend's stream too, so the subrequest ends
 * as well. `outcome` settles once the body has ended one way or the other.
 */
export function guardBody(
  body: ReadableStream<Uint8Array>,
  timeouts: BodyTimeouts,
  now: () => number = Date.now,
): { body: ReadableStream<Uint8Array>; outcome: Promise<BodyOutcome> } {
  const reader = body.getReader();
  let bytes = 0;
  let settle: (o: BodyOutcome) => void = () => undefined;
  const outcome = new Promise<BodyOutcome>((resolve) => {
    settle = resolve;
  });
  let cutBy: 'idle' | 'deadline' | null = null;
  let wake: (() => void) | null = null;
  const cut = (reason: 'idle' | 'deadline') => {
    if (cutBy !== null) return;
    cutBy = reason;
    wake?.();
  };
  const total = setTimeout(() => cut('deadline'), Math.max(0, timeouts.deadline - now()));
  const end = (o: BodyOutcome) => {
    clearTimeout(total);
    settle(o);
  };
  const guarded = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const stopped = new Promise<null>((resolve) => {
          wake = () => resolve(null);
        });
        const idle = setTimeout(() => cut('idle'), timeouts.idleMs);
        // A deadline that passed while the client was not reading still cuts.
        if (cutBy !== null) wake?.();
        let read: ReadableStreamReadResult<Uint8Array> | null;
        try {
          read = await Promise.race([reader.read(), stopped]);
        } catch (cause) {
          end({ kind: 'failed', bytes });
          throw cause;
        } finally {
          clearTimeout(idle);
          wake = null;
        }
        if (read === null) {
          const reason = cutBy ?? 'idle';
          reader.cancel(new BodyTimeoutError(reason)).catch(() => undefined);
          end({ kind: 'cut', bytes, reason });
          controller.error(new BodyTimeoutError(reason));
          return;
        }
        if (read.done) {
          end({ kind: 'complete', bytes });
          controller.close();
          return;
        }
        bytes += read.value.byteLength;
        controller.enqueue(read.value);
      },
      cancel(reason) {
        end({ kind: 'cancelled', bytes });
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { body: guarded, outcome };
}
