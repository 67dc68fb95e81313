import { counterStub } from './counters.ts';
import { gatewayConfig } from '../config.ts';
import {
  THROTTLE_CODES,
  counterObjectName,
  subscriptionObjectName,
  type AdmitError,
  type AdmitRequest,
  type AdmitResult,
  type LimitStatus,
  type TakeResult,
  type WindowLimit,
} from '../../../../durable-objects/throttle/types.ts';
import { ApiError } from '../../../shared/problem.ts';
import { admitCoalesced } from './coalesce.ts';
import { rateLimitHeaders } from './headers.ts';
import { rememberLimits, shouldLease, spendLease, type LeaseSpend } from './lease.ts';

export interface SharedCounter {
  /** Durable Object name (see `counterObjectName`). */
  readonly name: string;
  readonly limits: readonly WindowLimit[];
  /** What the call costs in this counter's `points` windows (GraphQL complexity); request windows count it once. */
  readonly cost?: number;
}

/** Counts the call in a shared counter, at its cost when it has one. */
const takeFrom = (env: Env, s: SharedCounter) =>
  s.cost === undefined ? counterStub(env, s.name).take(s.limits) : counterStub(env, s.name).take(s.limits, undefined, s.cost);
const refundTo = (env: Env, s: SharedCounter, windowStarts: readonly number[]) =>
  s.cost === undefined
    ? counterStub(env, s.name).refund(s.limits, windowStarts)
    : counterStub(env, s.name).refund(s.limits, windowStarts, undefined, s.cost);

export interface AdmitCall {
  readonly applicationId: string;
  readonly apiId: string;
  readonly request: AdmitRequest;
  /** Limits shared beyond the subscription: application tier, API policy, resource policy. */
  readonly shared: readonly SharedCounter[];
}

/**
 * Asks the subscription's counter object — the authority for the subscription's status, for
 * revocation and for the tier's counts — and, in parallel, the objects of any shared limit. A call
 * refused by one of them is given back to the others, so a refused call consumes nothing. If the
 * subscription's object cannot be reached the call is refused: revocation and subscription checks
 * fail closed; a shared counter that cannot be reached follows its policy's fail mode.
 */
export interface Admitted {
  readonly tier: string;
  readonly limits: readonly LimitStatus[];
  /** Charges the response's bytes to the bandwidth quotas the call was admitted under; null when there are none. */
  readonly meter: ((bytes: number) => Promise<void>) | null;
}

export async function admitCall(env: Env, call: AdmitCall, waitUntil: (p: Promise<unknown>) => void): Promise<Admitted> {
  const subName = subscriptionObjectName(call.applicationId, call.apiId);
  const shared = call.shared.filter((s) => s.limits.length > 0);
  // Hot keys with large limits spend a lease in memory instead of calling the object every time.
  // Small limits stay strict: a lease would hand a noticeable share of them to one isolate.
  if (shared.length === 0 && shouldLease(subName, gatewayConfig(env).leaseMinLimit)) {
    let spent: LeaseSpend;
    try {
      spent = await spendLease(subName, () => counterStub(env, subName), call.request, waitUntil);
    } catch (cause) {
      throw new ApiError('service-unavailable', {
        detail: 'The subscription could not be verified',
        cause,
        headers: { 'retry-after': '1' },
      });
    }
    if (spent.ok) return { tier: spent.tier, limits: spent.limits, meter: null };
    if ('revoked' in spent) throw subscriptionError({ kind: 'revoked' });
    if ('result' in spent) throw subscriptionError(spent.result.error);
    // No share of a lease left for this call: the object decides it below, exactly, in one RPC.
  }
  const subStub = counterStub(env, subName);
  const [subSettled, ...takenSettled] = await Promise.allSettled([
    admitCoalesced(subName, subStub, call.request),
    ...shared.map((s) => takeFrom(env, s)),
  ]);
  // A shared counter that cannot answer lets the call through when its policy fails open (the
  // default for throttling) and refuses it when it fails closed; the subscription always fails closed.
  const unreachable = takenSettled.flatMap((t, i) => (t.status === 'rejected' ? [{ counter: shared[i], cause: t.reason as unknown }] : []));
  const closed = unreachable.find((u) => u.counter?.limits.some((l) => l.failOpen === false) === true);
  const taken: TakeResult[] = takenSettled.map((t) => (t.status === 'fulfilled' ? t.value : { ok: true, limits: [], windowStarts: [] }));
  // Gives back what was counted for a call that does not go through.
  const giveBack = (sub: AdmitResult | null) =>
    Promise.allSettled([
      ...(sub?.ok === true ? [subStub.refundAdmit(sub.windowStarts)] : []),
      ...taken.flatMap((t, i) => {
        const counter = shared[i];
        return t.ok && counter !== undefined && t.windowStarts.length > 0 ? [refundTo(env, counter, t.windowStarts)] : [];
      }),
    ]);
  if (subSettled.status === 'rejected' || closed !== undefined) {
    await giveBack(subSettled.status === 'fulfilled' ? subSettled.value : null);
    const cause: unknown = subSettled.status === 'rejected' ? subSettled.reason : closed?.cause;
    throw new ApiError('service-unavailable', {
      detail:
        subSettled.status === 'rejected'
          ? 'The subscription could not be verified'
          : 'A throttling policy that fails closed could not be checked',
      cause,
      headers: { 'retry-after': '1' },
    });
  }
  for (const u of unreachable)
    console.warn(
      JSON.stringify({
        level: 'warn',
        message: 'counter unreachable; its policy fails open',
        counter: u.counter?.name,
        cause: String(u.cause),
      }),
    );
  const sub: AdmitResult = subSettled.value;
  const refusedShared = taken.find((t): t is Extract<TakeResult, { ok: false }> => !t.ok);
  if (sub.ok && refusedShared === undefined) {
    rememberLimits(subName, sub.limits);
    const metered = shared.filter((s) => s.limits.some((l) => l.unit === 'bytes'));
    const subMetered = sub.limits.some((l) => l.unit === 'bytes');
    const meter =
      subMetered || metered.length > 0
        ? async (bytes: number) => {
            await Promise.allSettled([
              ...(subMetered ? [subStub.addBytes(bytes)] : []),
              ...metered.map((s) => counterStub(env, s.name).addBytes(bytes, s.limits)),
            ]);
          }
        : null;
    return { tier: sub.tier, limits: [...sub.limits, ...taken.flatMap((t) => (t.ok ? t.limits : []))], meter };
  }
  await giveBack(sub);
  // A 429 still lists every limit of the call, the refused and the admitted (given back) alike.
  const every = [...limitsOf(sub), ...taken.flatMap((t, i) => limitsOf(t, shared[i]?.cost))];
  if (!sub.ok) throw subscriptionError(sub.error, every);
  throw subscriptionError(refusedShared?.error ?? { kind: 'unknown-subscription' }, every);
}

/**
 * Limits no subscription stands behind: API and resource policies and custom policies keyed by the
 * client's address, on resources that need no credential (`authType: none`). The same shared
 * counter objects as for an authenticated call, each asked once in parallel; a call refused by one
 * is given back to the others; an unreachable counter follows its policy's fail mode.
 */
export async function admitShared(env: Env, counters: readonly SharedCounter[]): Promise<readonly LimitStatus[]> {
  const shared = counters.filter((s) => s.limits.length > 0);
  if (shared.length === 0) return [];
  const settled = await Promise.allSettled(shared.map((s) => takeFrom(env, s)));
  const unreachable = settled.flatMap((t, i) => (t.status === 'rejected' ? [{ counter: shared[i], cause: t.reason as unknown }] : []));
  const taken: TakeResult[] = settled.map((t) => (t.status === 'fulfilled' ? t.value : { ok: true, limits: [], windowStarts: [] }));
  const giveBack = () =>
    Promise.allSettled(
      taken.flatMap((t, i) => {
        const counter = shared[i];
        return t.ok && counter !== undefined && t.windowStarts.length > 0 ? [refundTo(env, counter, t.windowStarts)] : [];
      }),
    );
  const closed = unreachable.find((u) => u.counter?.limits.some((l) => l.failOpen === false) === true);
  if (closed !== undefined) {
    await giveBack();
    throw new ApiError('service-unavailable', {
      detail: 'A throttling policy that fails closed could not be checked',
      cause: closed.cause,
      headers: { 'retry-after': '1' },
    });
  }
  for (const u of unreachable)
    console.warn(
      JSON.stringify({
        level: 'warn',
        message: 'counter unreachable; its policy fails open',
        counter: u.counter?.name,
        cause: String(u.cause),
      }),
    );
  const refused = taken.find((t): t is Extract<TakeResult, { ok: false }> => !t.ok);
  if (refused === undefined) return taken.flatMap((t) => (t.ok ? t.limits : []));
  await giveBack();
  throw subscriptionError(
    refused.error,
    taken.flatMap((t, i) => limitsOf(t, shared[i]?.cost)),
  );
}

/**
 * What one counter said about its limits, as they stand once a refused call has been given back:
 * an admitted request-count window had the call counted, and refunded.
 */
function limitsOf(result: AdmitResult | TakeResult, cost = 1): readonly LimitStatus[] {
  if (result.ok)
    return result.limits.map((l) =>
      l.unit === 'bytes' ? l : { ...l, remaining: Math.min(l.limit, l.remaining + (l.unit === 'points' ? cost : 1)) },
    );
  return result.error.kind === 'throttled' ? result.error.limits : [];
}

/** The name a limit has in RateLimit-Policy, which `violated-policies` refers to. */
export const policyName = (l: Pick<LimitStatus, 'scope' | 'policy'>) => `${l.scope}:${l.policy}`;

export function subscriptionError(error: AdmitError, every?: readonly LimitStatus[]): ApiError {
  switch (error.kind) {
    case 'unknown-subscription':
      return new ApiError('subscription-not-found', { detail: 'The application is not subscribed to this API' });
    case 'blocked':
      if (error.status === 'ON_HOLD' || error.status === 'REJECTED')
        return new ApiError('subscription-on-hold', { detail: `The subscription is ${error.status}` });
      return new ApiError('subscription-blocked', { detail: `The subscription is ${error.status}` });
    case 'revoked':
      return new ApiError('invalid-credentials', {
        detail: 'The credential has been revoked',
        headers: { 'www-authenticate': 'Bearer realm="turnpike", error="invalid_token", error_description="revoked"' },
      });
    case 'throttled': {
      const first = error.violated[0];
      return new ApiError('quota-exceeded', {
        detail: `Quota exceeded: ${error.violated.map((v) => `${v.policy} (${v.limit} per ${v.windowSeconds}s)`).join(', ')}`,
        wso2: first === undefined ? undefined : THROTTLE_CODES[first.scope],
        headers: {
          ...rateLimitHeaders(every !== undefined && every.length > 0 ? every : error.limits),
          'retry-after': String(error.retryAfterSeconds),
        },
        extensions: {
          // draft-ietf-httpapi-ratelimit-headers §7 (the quota-exceeded problem type): the names of
          // the policies that refused, as they appear in RateLimit-Policy.
          'violated-policies': error.violated.map(policyName),
          violatedPolicies: error.violated.map((v) => ({
            policy: v.policy,
            scope: v.scope,
            limit: v.limit,
            windowSeconds: v.windowSeconds,
          })),
        },
      });
    }
  }
}

export { counterObjectName };
