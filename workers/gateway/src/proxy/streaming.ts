import { subscriptionObjectName, type AdmitRequest, type CheckResult } from '../../../../durable-objects/throttle/types.ts';
import { ApiError } from '../../../shared/problem.ts';
import { DEFAULT_STREAMING } from '../../../shared/revision.ts';
import type { SnapshotApi } from '../../../shared/snapshot.ts';
import { subscriptionError } from '../throttle/admit.ts';
import { counterStub } from '../throttle/counters.ts';
import { RECHECK_MS, SLOT_TTL_MS } from '../websocket/relay.ts';
import type { BodyOutcome } from './body-guard.ts';

/**
 * What an SSE API changes in how its responses are proxied: an event stream is meant to last, so
 * the endpoint's total deadline gives way to the API's maximum connection duration, while the
 * endpoint's idle timeout still bounds the gap between two chunks (events, or the comments a
 * server sends as heartbeats: WHATWG HTML §9.2.7). The body is passed through chunk by chunk as it
 * arrives (body-guard.ts pulls one read at a time, highWaterMark 0): nothing is buffered.
 */
export function streamingOptions(api: Pick<SnapshotApi, 'type' | 'streaming'>): { streaming?: { maxDurationMs: number } } {
  if (api.type !== 'SSE') return {};
  return { streaming: { maxDurationMs: (api.streaming ?? DEFAULT_STREAMING).maxDurationSeconds * 1000 } };
}

/** An SSE connection's slot in its subscription's counter object, held while the stream lasts. */
export interface StreamSlot {
  /** Keeps the slot (renewed every RECHECK_MS) until the body has ended, then frees it. */
  holdUntil(outcome: Promise<BodyOutcome> | null): void;
  release(): void;
}

/**
 * Connections per subscription for an SSE API (its `maxConnectionsPerSubscription`), counted by the
 * same slots as WebSockets (decision 0042); null when the API sets no limit. A stream over the limit
 * is refused 429 `too-many-connections` before it reaches the backend.
 */
export async function holdStreamSlot(
  env: Env,
  api: Pick<SnapshotApi, 'id' | 'type' | 'streaming'>,
  applicationId: string,
  request: AdmitRequest,
  waitUntil: (p: Promise<unknown>) => void,
): Promise<StreamSlot | null> {
  const max = api.type === 'SSE' ? (api.streaming ?? DEFAULT_STREAMING).maxConnectionsPerSubscription : null;
  if (max === null) return null;
  const name = subscriptionObjectName(applicationId, api.id);
  const id = crypto.randomUUID();
  let held: CheckResult;
  try {
    held = await counterStub(env, name).openConnection(request, { id, max, ttlMs: SLOT_TTL_MS });
  } catch (cause) {
    throw new ApiError('service-unavailable', { detail: 'The subscription could not be verified', cause, headers: { 'retry-after': '1' } });
  }
  if (!held.ok) {
    const error = held.error;
    if (error.kind === 'too-many-connections')
      throw new ApiError('too-many-connections', {
        detail: `This subscription holds ${error.limit} open streams of this API, its limit`,
        headers: { 'retry-after': '1' },
        extensions: { limit: error.limit },
      });
    throw subscriptionError(error);
  }
  let renew: ReturnType<typeof setInterval> | null = null;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    if (renew !== null) clearInterval(renew);
    waitUntil(
      counterStub(env, name)
        .closeConnection(id)
        .catch(() => undefined),
    );
  };
  return {
    release,
    holdUntil(outcome) {
      if (outcome === null) return release();
      renew = setInterval(() => {
        waitUntil(
          counterStub(env, name)
            .checkConnection(request, { id, ttlMs: SLOT_TTL_MS })
            .catch(() => null),
        );
      }, RECHECK_MS);
      waitUntil(outcome.then(release, release));
    },
  };
}
