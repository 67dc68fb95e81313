import type { ThrottleCounter } from './counter.ts';

/**
 * The counter objects, typed. They live in the Traffic Manager's script (workers/traffic-manager) and
 * every other Worker binds them with `script_name`, which `wrangler types` can only name in a
 * comment: the one cast from the untyped namespace lives here.
 */
export function counterNamespace(env: { readonly THROTTLE: DurableObjectNamespace }): DurableObjectNamespace<ThrottleCounter> {
  return env.THROTTLE as unknown as DurableObjectNamespace<ThrottleCounter>;
}
