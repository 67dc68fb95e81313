import type { LimitStatus } from '../../../../durable-objects/throttle/types.ts';

/** RFC 8941 sf-string. */
function sfString(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => '\\' + c).replace(/[^\x20-\x7e]/g, '')}"`;
}

/**
 * `RateLimit-Policy` and `RateLimit` (IETF httpapi ratelimit-headers draft): one list member per
 * limit that applies, named after its policy, so a client sees every quota and what is left.
 */
export function rateLimitHeaders(limits: readonly LimitStatus[]): Record<string, string> {
  if (limits.length === 0) return {};
  return {
    // Bandwidth quotas say their unit (`qu`, the draft's quota unit); requests are the default.
    // GraphQL complexity quotas count points, a unit outside the draft's registry (§5.1 allows others).
    'ratelimit-policy': limits
      .map(
        (l) =>
          `${sfString(`${l.scope}:${l.policy}`)};q=${l.limit};w=${l.windowSeconds}${l.unit === 'bytes' ? ';qu="content-bytes"' : l.unit === 'points' ? ';qu="points"' : ''}`,
      )
      .join(', '),
    ratelimit: limits.map((l) => `${sfString(`${l.scope}:${l.policy}`)};r=${l.remaining};t=${l.resetSeconds}`).join(', '),
  };
}
