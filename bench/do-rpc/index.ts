/**
 * `GET /native/hot`, `/native/spread`, `/itty/hot`, `/itty/spread`: one Durable Object call (a
 * counter increment, persisted) and then the pass-through forward to the bench backend. The two
 * counters do the same work; only the calling convention differs — native RPC on a typed stub, or
 * itty-durable's method-call-as-JSON-header through an itty-router inside the object.
 */
import { DurableObject } from 'cloudflare:workers';
import { createDurable, withDurables } from 'itty-durable';

interface Env {
  BACKEND: string;
  NATIVE: DurableObjectNamespace<NativeCounter>;
  ITTY: DurableObjectNamespace;
}

export class NativeCounter extends DurableObject<Env> {
  #count = 0;
  hit(): number {
    this.#count += 1;
    void this.ctx.storage.put('count', this.#count);
    return this.#count;
  }
}

export class IttyCounter extends createDurable({ autoPersist: true }) {
  count = 0;
  hit(): number {
    this.count += 1;
    return this.count;
  }
}

const KEYS = 1000;
const keyFor = (spread: boolean) => (spread ? `k${Math.floor(Math.random() * KEYS)}` : 'hot');

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const [, kind, mode] = url.pathname.split('/');
    const key = keyFor(mode === 'spread');
    if (kind === 'native') await env.NATIVE.getByName(key).hit();
    else if (kind === 'itty') {
      const proxied = request as Request & { ITTY?: { get(name: string): { hit(): Promise<unknown> } } };
      withDurables()(proxied, env);
      await proxied.ITTY?.get(key).hit();
    } else return new Response('not found', { status: 404 });
    return fetch(`${env.BACKEND}/items`, { method: request.method, headers: request.headers });
  },
};
