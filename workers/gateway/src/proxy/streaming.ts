import { DEFAULT_STREAMING } from '../../../shared/revision.ts';
import type { SnapshotApi } from '../../../shared/snapshot.ts';

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
