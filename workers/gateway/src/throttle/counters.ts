import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import type { ThrottleCounter } from '../../../../durable-objects/throttle/counter.ts';
import { meter } from '../metering/meter.ts';

type CounterStub = DurableObjectStub<ThrottleCounter>;

/** The counter objects' methods the gateway calls: each call is one billed Durable Object request. */
const RPC_METHODS: ReadonlySet<PropertyKey> = new Set(['admit', 'admitMany', 'lease', 'release', 'take', 'refund', 'refundAdmit', 'addBytes']);

/** COUNTER_RTT_MS, parsed once per value (the var does not change within an isolate). */
let rttSource: string | undefined;
let rttMs = 0;
function counterRttMs(env: Env): number {
  if (env.COUNTER_RTT_MS !== rttSource) {
    rttSource = env.COUNTER_RTT_MS;
    const n = Number(rttSource ?? '0');
    rttMs = Number.isFinite(n) && n > 0 ? n : 0;
  }
  return rttMs;
}

/**
 * The one way the gateway reaches a counter object. Every RPC through it is counted (`meter`), and,
 * when `COUNTER_RTT_MS` is above 0, waits that long before it is made: a modelling knob for the
 * bench and the simulation, which run every process on one machine, to stand for a counter object
 * in a far location (issue #20, "far counters"). Shipped as "0": a deployment pays the real round trip.
 */
export function counterStub(env: Env, name: string): CounterStub {
  const stub = counterNamespace(env).getByName(name);
  const delay = counterRttMs(env);
  return new Proxy(stub, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop);
      if (!RPC_METHODS.has(prop) || typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => {
        meter.counterRpcs += 1;
        if (delay === 0) return method.apply(target, args);
        return new Promise((resolve) => setTimeout(resolve, delay)).then(() => method.apply(target, args));
      };
    },
  });
}
