import type { ThrottleCounter } from '../../../../durable-objects/throttle/counter.ts';
import type { SyncMessage } from './tier-fanout.ts';

/**
 * The gateway script's bindings, typed. `wrangler types` can only name cross-script classes in a
 * comment, so the one cast lives here.
 */
export function throttleNamespace(env: Env): DurableObjectNamespace<ThrottleCounter> {
  return env.THROTTLE as unknown as DurableObjectNamespace<ThrottleCounter>;
}

/** The gateway's `GatewayControl` entrypoint (see workers/gateway/src/index.ts). */
export interface GatewayControlRpc {
  snapshotChanged(): Promise<void>;
  applicationsChanged(applicationIds: readonly string[]): Promise<void>;
}

export function gatewayControl(env: Env): GatewayControlRpc {
  return env.GATEWAY as unknown as GatewayControlRpc;
}

/** The control plane's own work queue (`turnpike-sync`), which it also consumes. */
export function syncQueue(env: Env): Queue<SyncMessage> {
  return env.SYNC as Queue<SyncMessage>;
}
