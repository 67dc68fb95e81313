/**
 * A scanning guard for the token-inspecting endpoints (RFC 7662 §4, RFC 7009 §5): each caller gets
 * an exact number of calls per window, counted by one Traffic Manager counter object per caller
 * (`take`, all-or-nothing). A caller is the authenticated client, or the address of a caller whose
 * client authentication failed, so guessing secrets is bounded too and nobody can spend another
 * client's allowance by naming it.
 */
import { counterObjectName, type WindowLimit } from '../../../../durable-objects/throttle/types.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';
import { OAuthError } from './errors.ts';

export type LimitedEndpoint = 'introspect' | 'revoke';
export type Caller = { readonly kind: 'client'; readonly id: string; readonly resourceServer: boolean } | { readonly kind: 'address'; readonly ip: string };

/**
 * Per caller and minute. A client asks about its own tokens now and then; a resource server an admin
 * allowed to introspect asks for the tokens it is shown, and should cache answers (RFC 7662 §4).
 */
export const CALLER_LIMITS = { client: 60, resourceServer: 6000, address: 60 } as const;
export const CALLER_WINDOW_SECONDS = 60;

export function callerLimit(endpoint: LimitedEndpoint, caller: Caller): { readonly objectName: string; readonly limit: WindowLimit } {
  const key = caller.kind === 'client' ? `client:${caller.id}` : `ip:${caller.ip}`;
  const limit = caller.kind === 'address' ? CALLER_LIMITS.address : caller.resourceServer ? CALLER_LIMITS.resourceServer : CALLER_LIMITS.client;
  return { objectName: counterObjectName.custom(`oauth2-${endpoint}`, key), limit: { policy: `oauth2-${endpoint}`, scope: 'custom', limit, windowSeconds: CALLER_WINDOW_SECONDS } };
}

/** Counts one call; over the limit is a 429 with Retry-After. An unreachable counter lets the call through. */
export async function countCall(env: Env, endpoint: LimitedEndpoint, caller: Caller): Promise<void> {
  const { objectName, limit } = callerLimit(endpoint, caller);
  let taken;
  try {
    taken = await throttleNamespace(env).getByName(objectName).take([limit]);
  } catch (cause) {
    // The guard is defence in depth; introspection must not fail because a counter did.
    console.error(JSON.stringify({ message: 'oauth caller limit unavailable', endpoint, cause: String(cause) }));
    return;
  }
  if (!taken.ok) throw new OAuthError('temporarily_unavailable', `Too many ${endpoint} requests; retry in ${taken.error.retryAfterSeconds} s`, { retryAfter: taken.error.retryAfterSeconds });
}
