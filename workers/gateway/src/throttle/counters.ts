import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import type { ThrottleCounter } from '../../../../durable-objects/throttle/counter.ts';
import { meter } from '../metering/meter.ts';

type CounterStub = DurableObjectStub<ThrottleCounter>;

/** The counter objects' methods the gateway calls: each call is one billed Durable Object request. */
type Method = 'admit' | 'admitMany' | 'lease' | 'release' | 'take' | 'refund' | 'refundAdmit' | 'addBytes';
export type CounterObject = Pick<CounterStub, Method>;

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
 * (A Proxy over the stub does not work: the runtime's stub refuses calls made through one.)
 */
export function counterStub(env: Env, name: string): CounterObject {
  const stub = counterNamespace(env).getByName(name);
  const delay = counterRttMs(env);
  const wrap = <K extends Method>(method: K): CounterStub[K] => {
    const call = (...args: unknown[]) => {
      meter.counterRpcs += 1;
      const go = () => (stub[method] as (...a: unknown[]) => unknown)(...args);
      return delay === 0 ? go() : new Promise((resolve) => setTimeout(resolve, delay)).then(go);
    };
    return call as CounterStub[K];
  };
  return { admit: wrap('admit'), admitMany: wrap('admitMany'), lease: wrap('lease'), release: wrap('release'), take: wrap('take'), refund: wrap('refund'), refundAdmit: wrap('refundAdmit'), addBytes: wrap('addBytes') };
}
