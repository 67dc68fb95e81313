import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import type { ThrottleCounter } from '../../../../durable-objects/throttle/counter.ts';
import { ApiError } from '../../../shared/problem.ts';
import type { SyncMessage } from './tier-fanout.ts';

/**
 * The Traffic Manager's and the gateways' bindings, typed. `wrangler types` can only name
 * cross-script classes in a comment, so the one cast lives here.
 */
export function throttleNamespace(env: Env): DurableObjectNamespace<ThrottleCounter> {
  const namespace = counterNamespace(env);
  return new Proxy(namespace, {
    get(target, prop, receiver) {
      if (prop !== 'getByName') return Reflect.get(target, prop, receiver) as unknown;
      return (name: string) => retrying(() => target.getByName(name));
    },
  });
}

/**
 * A stub whose calls are made once more, on a fresh stub, when the first attempt failed on the way
 * (the object's process restarted, a connection dropped: `retryable` in Cloudflare's terms). Every
 * call the control plane makes to a counter object is idempotent (configure, remove, revoke, inspect),
 * so a second attempt cannot count twice.
 */
function retrying(make: () => DurableObjectStub<ThrottleCounter>): DurableObjectStub<ThrottleCounter> {
  let stub = make();
  return new Proxy(stub, {
    get(_target, prop) {
      const value: unknown = Reflect.get(stub, prop);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'then') return value;
      return async (...args: unknown[]) => {
        const call = () => (Reflect.get(stub, prop) as (...a: unknown[]) => Promise<unknown>)(...args);
        try {
          return await call();
        } catch (err) {
          if (!isRetryable(err)) throw unreachable(err);
          stub = make();
          try {
            return await call();
          } catch (again) {
            throw unreachable(again);
          }
        }
      };
    },
  });
}

/**
 * A call that never reached the object's code (no process behind the binding, a dropped connection
 * twice) is the Traffic Manager being unavailable, not a bug of this request: 503 with Retry-After
 * (RFC 9110 §15.6.4, §10.2.3), which a client may retry, rather than a bare 500. An exception the
 * object itself threw (`remote`, in workerd's terms) stays what it is.
 */
function unreachable(err: unknown): unknown {
  if (err instanceof ApiError || (typeof err === 'object' && err !== null && (err as { remote?: unknown }).remote === true)) return err;
  console.error(JSON.stringify({ level: 'error', message: 'Traffic Manager not reached', cause: String(err) }));
  return new ApiError('service-unavailable', {
    detail: 'The Traffic Manager could not be reached; try again in a moment',
    headers: { 'retry-after': '2' },
  });
}

function isRetryable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  if ((err as { retryable?: unknown }).retryable === true) return true;
  return /network connection lost|disconnected|connection reset/i.test(String((err as { message?: unknown }).message));
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
    if (GATEWAY_BINDING.test(binding) && typeof value === 'object' && value !== null)
      out.push({ binding, control: value as GatewayControlRpc });
  }
  return out;
}

/** The control plane's own work queue (`turnpike-sync`), which it also consumes. */
export function syncQueue(env: Env): Queue<SyncMessage> {
  return env.SYNC as Queue<SyncMessage>;
}
