import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import type { ThrottleCounter } from '../../../../durable-objects/throttle/counter.ts';
import type { SyncMessage } from './tier-fanout.ts';

/**
 * The Traffic Manager's and the gateways' bindings, typed. `wrangler types` can only name
 * cross-script classes in a comment, so the one cast lives here.
 */
export function throttleNamespace(env: Env): DurableObjectNamespace<ThrottleCounter> {
  return counterNamespace(env);
}

/** The gateway's `GatewayControl` entrypoint (see workers/gateway/src/index.ts). */
export interface GatewayControlRpc {
  snapshotChanged(): Promise<void>;
  applicationsChanged(applicationIds: readonly string[]): Promise<void>;
}

/** One binding per gateway environment: `GATEWAY` (production) and `GATEWAY_<ENVIRONMENT>`. */
const GATEWAY_BINDING = /^GATEWAY(?:_[A-Z0-9_]+)?$/;

/**
 * The `GatewayControl` entrypoint of every gateway environment's deployment this control plane is
 * bound to (workers/control-plane/wrangler.toml), by binding name. Adding an environment is adding a
 * binding; nothing here names one.
 */
export function gatewayControls(env: Env): Array<{ binding: string; control: GatewayControlRpc }> {
  const out: Array<{ binding: string; control: GatewayControlRpc }> = [];
  for (const [binding, value] of Object.entries(env)) {
    if (GATEWAY_BINDING.test(binding) && typeof value === 'object' && value !== null) out.push({ binding, control: value as GatewayControlRpc });
  }
  return out;
}

/** The control plane's own work queue (`turnpike-sync`), which it also consumes. */
export function syncQueue(env: Env): Queue<SyncMessage> {
  return env.SYNC as Queue<SyncMessage>;
}
