/**
 * A guard on starting a portal sign-in at an external provider: each start writes one pending sign-in
 * row (state, nonce, PKCE verifier; 10 minutes), so an unauthenticated caller could otherwise fill
 * D1 by looping on `…/sso/<name>/start`. Each address gets an exact number of starts per minute,
 * counted by one Traffic Manager counter object per address (as the OAuth endpoints' caller limit,
 * decision 0019). Like that guard it is defence in depth: an unreachable counter lets the start through.
 */
import { counterObjectName, type WindowLimit } from '../../../../durable-objects/throttle/types.ts';
import { ApiError } from '../../../shared/problem.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';

/** A person signs in a few times a minute at most; a shared address (an office) gets room for many. */
export const SSO_STARTS_PER_MINUTE = 30;

export async function countSignInStart(env: Env, ip: string): Promise<void> {
  const limit: WindowLimit = { policy: 'sso-start', scope: 'custom', limit: SSO_STARTS_PER_MINUTE, windowSeconds: 60 };
  let taken;
  try {
    taken = await throttleNamespace(env)
      .getByName(counterObjectName.custom('sso-start', `ip:${ip}`))
      .take([limit]);
  } catch (cause) {
    console.error(JSON.stringify({ level: 'error', message: 'sso start limit unavailable', cause: String(cause) }));
    return;
  }
  if (!taken.ok)
    throw new ApiError('login-throttled', {
      detail: `Too many sign-ins started from this address; try again in ${taken.error.retryAfterSeconds} s`,
      headers: { 'retry-after': String(taken.error.retryAfterSeconds) },
    });
}
