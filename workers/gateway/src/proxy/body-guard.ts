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

export class BodyTimeoutError extends Error {
  constructor(readonly reason: 'idle' | 'deadline') {
    super(reason === 'idle' ? 'the backend sent no body bytes within the idle timeout' : 'the backend body did not end before the total deadline');
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
export function guardBody(body: ReadableStream<Uint8Array>, timeouts: BodyTimeouts, now: () => number = Date.now): { body: ReadableStream<Uint8Array>; outcome: Promise<BodyOutcome> } {
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
