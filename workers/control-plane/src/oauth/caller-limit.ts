/**
 * A scanning guard for the token-inspecting endpoints (RFC 7662 §4, RFC 7009 §5): each caller gets
 * an exact number of calls per window, counted by one Traffic Manager counter object per caller
 * (`take`, all-or-nothing). A caller is the authenticated client, or the address of a caller whose
 * client authentication failed — at these endpoints or the token endpoint — so guessing secrets is
 * bounded too and nobody can spend another client's allowance by naming it (decision 0019).
 */
import { counterObjectName, type WindowLimit } from '../../../../durable-objects/throttle/types.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';
import { OAuthError } from './errors.ts';

export type LimitedEndpoint = 'introspect' | 'revoke';
export type Caller =
  | { readonly kind: 'client'; readonly endpoint: LimitedEndpoint; readonly id: string; readonly resourceServer: boolean }
  | { readonly kind: 'address'; readonly ip: string };

/**
 * Per caller and minute. A client asks about its own tokens now and then; a resource server an admin
 * allowed to introspect asks for the tokens it is shown, and should cache answers (RFC 7662 §4).
 * Failed client authentications share one allowance per address across the token, introspection
 * and revocation endpoints.
 */
export const CALLER_LIMITS = { client: 60, resourceServer: 6000, address: 60 } as const;
export const CALLER_WINDOW_SECONDS = 60;

/** The counter object a caller's calls are counted by, and its limit. */
export function callerLimit(caller: Caller): { readonly objectName: string; readonly limit: WindowLimit } {
  const policy = caller.kind === 'address' ? 'oauth2-client-auth' : `oauth2-${caller.endpoint}`;
  const key = caller.kind === 'address' ? `ip:${caller.ip}` : `client:${caller.id}`;
  const limit =
    caller.kind === 'address' ? CALLER_LIMITS.address : caller.resourceServer ? CALLER_LIMITS.resourceServer : CALLER_LIMITS.client;
  return {
    objectName: counterObjectName.custom(policy, key),
    limit: { policy, scope: 'custom', limit, windowSeconds: CALLER_WINDOW_SECONDS },
  };
}

/** Counts one call; over the limit is a 429 with Retry-After. An unreachable counter lets the call through. */
export async function countCall(env: Env, caller: Caller): Promise<void> {
  const { objectName, limit } = callerLimit(caller);
  let taken;
  try {
    taken = await throttleNamespace(env).getByName(objectName).take([limit]);
  } catch (cause) {
    // The guard is defence in depth; introspection must not fail because a counter did.
    console.error(JSON.stringify({ message: 'oauth caller limit unavailable', policy: limit.policy, cause: String(cause) }));
    return;
  }
  if (!taken.ok)
    throw new OAuthError('temporarily_unavailable', `Too many requests; retry in ${taken.error.retryAfterSeconds} s`, {
      retryAfter: taken.error.retryAfterSeconds,
    });
}

/**
 * Runs a client authentication; when it fails, the failure is counted against the caller's address
 * (and over the limit the answer is 429 instead of 401).
 */
export async function countingFailures<T>(env: Env, ip: string, authenticate: () => Promise<T>): Promise<T> {
  try {
    return await authenticate();
  } catch (err) {
    if (err instanceof OAuthError && err.code === 'invalid_client') await countCall(env, { kind: 'address', ip });
    throw err;
  }
}
