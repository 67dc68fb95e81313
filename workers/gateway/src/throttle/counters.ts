import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import type { ThrottleCounter } from '../../../../durable-objects/throttle/counter.ts';
import { gatewayConfig } from '../config.ts';
import { meter } from '../metering/meter.ts';

type CounterStub = DurableObjectStub<ThrottleCounter>;

/** The counter objects' methods the gateway calls: each call is one billed Durable Object request. */
type Method =
  | 'admit'
  | 'admitMany'
  | 'lease'
  | 'release'
  | 'take'
  | 'refund'
  | 'refundAdmit'
  | 'addBytes'
  | 'openConnection'
  | 'checkConnection'
  | 'closeConnection';
export type CounterObject = Pick<CounterStub, Method>;

/**
 * The one way the gateway reaches a counter object. Every RPC through it is counted (`meter`), and,
 * when `COUNTER_RTT_MS` is above 0, waits that long before it is made: a modelling knob for the
 * bench and the simulation, which run every process on one machine, to stand for a counter object
 * in a far location (issue #20, "far counters"). Shipped as "0": a deployment pays the real round trip.
 * (A Proxy over the stub does not work: the runtime's stub refuses calls made through one.)
 */
export function counterStub(env: Env, name: string): CounterObject {
  return new Counter(counterNamespace(env).getByName(name), gatewayConfig(env).counterRttMs);
}

/** Methods on the prototype: one small object per stub on the hot path, no closure per method. */
class Counter implements CounterObject {
  readonly #stub: CounterStub;
  readonly #delay: number;
  constructor(stub: CounterStub, delay: number) {
    this.#stub = stub;
    this.#delay = delay;
  }
  #call<K extends Method>(method: K, args: unknown[]): ReturnType<CounterStub[K]> {
    meter.counterRpcs += 1;
    // A method call on the stub itself: an RPC stub answers any property, `apply` included, as a remote method.
    const stub = this.#stub as unknown as Record<Method, (...a: unknown[]) => unknown>;
    const go = () => stub[method](...args);
    return (this.#delay === 0 ? go() : new Promise((resolve) => setTimeout(resolve, this.#delay)).then(go)) as ReturnType<CounterStub[K]>;
  }
  admit(...args: Parameters<CounterStub['admit']>) {
    return this.#call('admit', args);
  }
  admitMany(...args: Parameters<CounterStub['admitMany']>) {
    return this.#call('admitMany', args);
  }
  lease(...args: Parameters<CounterStub['lease']>) {
    return this.#call('lease', args);
  }
  release(...args: Parameters<CounterStub['release']>) {
    return this.#call('release', args);
  }
  take(...args: Parameters<CounterStub['take']>) {
    return this.#call('take', args);
  }
  refund(...args: Parameters<CounterStub['refund']>) {
    return this.#call('refund', args);
  }
  refundAdmit(...args: Parameters<CounterStub['refundAdmit']>) {
    return this.#call('refundAdmit', args);
  }
  addBytes(...args: Parameters<CounterStub['addBytes']>) {
    return this.#call('addBytes', args);
  }
  openConnection(...args: Parameters<CounterStub['openConnection']>) {
    return this.#call('openConnection', args);
  }
  checkConnection(...args: Parameters<CounterStub['checkConnection']>) {
    return this.#call('checkConnection', args);
  }
  closeConnection(...args: Parameters<CounterStub['closeConnection']>) {
    return this.#call('closeConnection', args);
  }
}
