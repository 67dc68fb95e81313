/**
 * Usage events, pre-aggregated in the gateway isolate into per-minute rows and shipped in batches
 * through a Queue; the consumer folds each message into `usage_rollups` exactly once.
 */

/** Upper bounds (ms) of the latency histogram buckets; the last bucket is everything above. */
export const LATENCY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] as const;

export interface UsageRow {
  /** Start of the minute (ms). */
  readonly bucketStart: number;
  readonly apiId: string;
  readonly applicationId: string;
  readonly keyType: string;
  /** `2xx`, `4xx`, … */
  readonly statusClass: string;
  requests: number;
  throttled: number;
  requestBytes: number;
  responseBytes: number;
  /** WebSocket frames per direction (absent in messages sent before WebSocket APIs: 0). */
  framesIn?: number;
  framesOut?: number;
  latencyMsSum: number;
  latencyMsMax: number;
  latencyHistogram: number[];
}

/** Error answers of one minute × API × application × key type × error code. */
export interface UsageErrorRow {
  readonly bucketStart: number;
  readonly apiId: string;
  readonly applicationId: string;
  readonly keyType: string;
  /** WSO2-style problem `code` of a gateway answer, or the HTTP status of a backend's error. */
  readonly errorCode: number;
  count: number;
}

/** Calls of one minute × API × application × operation (GraphQL operations; see usage_operations). */
export interface UsageOperationRow {
  readonly bucketStart: number;
  readonly apiId: string;
  readonly applicationId: string;
  readonly operation: string;
  requests: number;
  errors: number;
  latencyMsSum: number;
}

export interface UsageMessage {
  /** Unique per message: the consumer records it so a redelivered message is not counted twice. */
  readonly id: string;
  readonly rows: readonly UsageRow[];
  /** Absent in messages sent before error codes were reported. */
  readonly errors?: readonly UsageErrorRow[];
  /** API keys that authenticated a call in this batch, with the last instant each did (ms); absent when none. */
  readonly keysUsed?: ReadonlyArray<{ readonly id: string; readonly at: number }>;
  /** Absent in messages sent before operations were reported. */
  readonly operations?: readonly UsageOperationRow[];
}

export function bucketOf(latencyMs: number): number {
  const i = LATENCY_BUCKETS_MS.findIndex((upper) => latencyMs <= upper);
  return i === -1 ? LATENCY_BUCKETS_MS.length : i;
}

export function statusClass(status: number): string {
  return `${Math.floor(status / 100)}xx`;
}

/** The latency below which `q` (0–1) of the requests fall, from a histogram (bucket upper bound). */
export function percentile(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    seen += histogram[i] ?? 0;
    // Above the last bound there is no upper edge: report twice the last bound.
    if (seen >= rank) return LATENCY_BUCKETS_MS[i] ?? 20_000;
  }
  return null;
}
