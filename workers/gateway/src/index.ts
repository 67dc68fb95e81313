import { WorkerEntrypoint } from 'cloudflare:workers';
import { createGatewayApp } from './app.ts';
import { invalidateSnapshot } from './snapshot/store.ts';

export { ThrottleCounter } from '../../../durable-objects/throttle/counter.ts';

const app = createGatewayApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;

/** Reached only through the control plane's service binding: never routable from the internet. */
export class GatewayControl extends WorkerEntrypoint<Env> {
  snapshotChanged(): void {
    invalidateSnapshot();
  }
}
