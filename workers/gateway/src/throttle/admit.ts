import { THROTTLE_CODES, subscriptionObjectName, type AdmitRequest, type AdmitResult, type LimitStatus } from '../../../../durable-objects/throttle/types.ts';
import { ApiError } from '../../../shared/problem.ts';
import { rateLimitHeaders } from './headers.ts';

/**
 * Asks the subscription's counter object whether this call may proceed. The object is the
 * authority for the subscription's status, for revocation and for the counts. If it cannot be
 * reached the call is refused: revocation and subscription checks fail closed.
 */
export async function admitSubscription(env: Env, applicationId: string, apiId: string, request: AdmitRequest): Promise<{ tier: string; limits: readonly LimitStatus[] }> {
  let result: AdmitResult;
  try {
    const stub = env.THROTTLE.getByName(subscriptionObjectName(applicationId, apiId));
    result = await stub.admit(request);
  } catch (cause) {
    throw new ApiError('service-unavailable', { detail: 'The subscription could not be verified', cause, headers: { 'retry-after': '1' } });
  }
  if (result.ok) return { tier: result.tier, limits: result.limits };
  const error = result.error;
  switch (error.kind) {
    case 'unknown-subscription':
      throw new ApiError('subscription-not-found', { detail: 'The application is not subscribed to this API' });
    case 'blocked':
      if (error.status === 'ON_HOLD' || error.status === 'REJECTED') throw new ApiError('subscription-on-hold', { detail: `The subscription is ${error.status}` });
      throw new ApiError('subscription-blocked', { detail: `The subscription is ${error.status}` });
    case 'revoked':
      throw new ApiError('invalid-credentials', {
        detail: 'The credential has been revoked',
        headers: { 'www-authenticate': 'Bearer realm="turnpike", error="invalid_token", error_description="revoked"' },
      });
    case 'throttled': {
      const first = error.violated[0];
      throw new ApiError('quota-exceeded', {
        detail: `Quota exceeded: ${error.violated.map((v) => `${v.policy} (${v.limit} per ${v.windowSeconds}s)`).join(', ')}`,
        wso2: first === undefined ? undefined : THROTTLE_CODES[first.scope],
        headers: { ...rateLimitHeaders(error.limits), 'retry-after': String(error.retryAfterSeconds) },
        extensions: { violatedPolicies: error.violated.map((v) => ({ policy: v.policy, scope: v.scope, limit: v.limit, windowSeconds: v.windowSeconds })) },
      });
    }
  }
}
