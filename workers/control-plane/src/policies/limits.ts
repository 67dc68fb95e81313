import type { LimitScope, WindowLimit } from '../../../../durable-objects/throttle/types.ts';
import type { ConditionalGroup, TimeUnit } from '../../../shared/db/schema.ts';
import type { ConditionalLimits } from '../../../shared/snapshot.ts';

/** A month is a fixed 30-day window aligned to the epoch, so every counter agrees on its edges. */
export const TIME_UNIT_SECONDS: Record<TimeUnit, number> = { sec: 1, min: 60, hour: 3600, day: 86_400, month: 2_592_000 };

export interface PolicyLike {
  readonly name: string;
  readonly quotaType: 'requestCount' | 'bandwidth';
  readonly limit: number | null;
  readonly unitTime: number;
  readonly timeUnit: TimeUnit;
  readonly burstLimit: number | null;
  readonly burstTimeUnit: 'sec' | 'min' | null;
  readonly failMode?: 'open' | 'closed';
  /** false: overage allowed (WSO2): the quota window counts but never refuses. Subscription tiers only. */
  readonly stopOnQuotaReach?: boolean;
  readonly conditionalGroups?: readonly ConditionalGroup[];
}

/**
 * The windows a policy enforces: its quota, and its burst limit (e.g. 10 per second inside
 * 1000 per hour) as a second, shorter window. Unlimited policies enforce nothing. Bandwidth
 * policies are windows of response bytes (`unit: 'bytes'`), charged after each call.
 */
export function policyToLimits(policy: PolicyLike, scope: LimitScope): WindowLimit[] {
  if (policy.limit === null) return [];
  // A subscription's limits live in the object that also checks revocation: that always fails closed.
  const mode = scope === 'subscription' ? {} : { failOpen: policy.failMode !== 'closed' };
  const unit = policy.quotaType === 'bandwidth' ? { unit: 'bytes' as const } : {};
  // The burst window still refuses: overage is about the quota, not about spikes (as WSO2).
  const overage = scope === 'subscription' && policy.stopOnQuotaReach === false ? { allowOverage: true as const } : {};
  const limits: WindowLimit[] = [
    {
      policy: policy.name,
      scope,
      limit: policy.limit,
      windowSeconds: policy.unitTime * TIME_UNIT_SECONDS[policy.timeUnit],
      ...mode,
      ...unit,
      ...overage,
    },
  ];
  if (policy.burstLimit !== null && policy.burstTimeUnit !== null) {
    limits.push({
      policy: policy.name,
      scope: 'burst',
      limit: policy.burstLimit,
      windowSeconds: TIME_UNIT_SECONDS[policy.burstTimeUnit],
      ...mode,
    });
  }
  return limits;
}

/**
 * The conditional groups of an advanced policy, each as the limits it enforces on the calls it
 * matches (named `<policy>.g<n>` in RateLimit-Policy).
 */
export function conditionalLimits(policy: PolicyLike, scope: LimitScope): ConditionalLimits[] {
  const failOpen = policy.failMode !== 'closed';
  return (policy.conditionalGroups ?? []).map((g, i) => ({
    conditions: g.conditions,
    limits: [
      {
        policy: `${policy.name}.g${i + 1}`,
        scope,
        limit: g.limit.limit,
        windowSeconds: g.limit.unitTime * TIME_UNIT_SECONDS[g.limit.timeUnit],
        failOpen,
        ...(g.limit.quotaType === 'bandwidth' ? { unit: 'bytes' as const } : {}),
      },
    ],
  }));
}
