import { WorkerEntrypoint } from 'cloudflare:workers';
import { createGatewayApp } from './app.ts';
import { forgetApplicationKeys } from './auth/api-key.ts';
import { invalidateSnapshot } from './snapshot/store.ts';
import { dropLeases } from './throttle/lease.ts';
import type { UsageMessage } from '../../shared/usage.ts';
import { compactUsage } from './usage/compaction.ts';
import { consumeUsage } from './usage/consumer.ts';

export { ThrottleCounter } from '../../../durable-objects/throttle/counter.ts';

const app = createGatewayApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env) => consumeUsage(batch, env),
  scheduled: (_controller, env, ctx) => ctx.waitUntil(compactUsage(env)),
} satisfies ExportedHandler<Env, UsageMessage>;

/** Reached only through the control plane's service binding: never routable from the internet. */
export class GatewayControl extends WorkerEntrypoint<Env> {
  snapshotChanged(): void {
    invalidateSnapshot();
  }

  /** An application's live state changed (revocation, block, tier): drop its leases and cached keys here. */
  applicationChanged(applicationId: string): void {
    dropLeases(`sub:${applicationId}:`);
    forgetApplicationKeys(applicationId);
  }

  /** Several applications' live state changed (a tier edit, a page of subscriptions at a time). */
  applicationsChanged(applicationIds: readonly string[]): void {
    for (const id of applicationIds) this.applicationChanged(id);
  }
}
