import { WorkerEntrypoint, waitUntil } from 'cloudflare:workers';
import { createGatewayApp } from './app.ts';
import { forgetApplicationKeys } from './auth/api-key.ts';
import { forgetMappedClients } from './auth/external/clients.ts';
import { invalidateSnapshot } from './snapshot/store.ts';
import { meter } from './metering/meter.ts';
import { dropLeases } from './throttle/lease.ts';
import { wakeAll, wakeApplications } from './websocket/registry.ts';
import type { UsageMessage } from '../../shared/usage.ts';
import { compactUsage } from './usage/compaction.ts';
import { outliveWith } from './shared-work.ts';
import { consumeUsage } from './usage/consumer.ts';

// Work that other requests wait for outlives the request that starts it (shared-work.ts, decision 0063).
outliveWith(waitUntil);

const app = createGatewayApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  queue: (batch, env) => {
    meter.queueInvocations += 1;
    return consumeUsage(batch, env);
  },
  scheduled: (_controller, env, ctx) => ctx.waitUntil(compactUsage(env)),
} satisfies ExportedHandler<Env, UsageMessage>;

/** Reached only through the control plane's service binding: never routable from the internet. */
export class GatewayControl extends WorkerEntrypoint<Env> {
  snapshotChanged(): void {
    invalidateSnapshot();
    // Open WebSockets check themselves against the new snapshot (API blocked, blocking conditions).
    wakeAll();
  }

  /**
   * Applications' live state changed (revocation, block, tier; a tier edit sends a page of them):
   * drop their leases and cached API keys here, one pass over each cache however many there are,
   * and have their open WebSockets check themselves (websocket/registry.ts).
   */
  applicationsChanged(applicationIds: readonly string[]): void {
    const ids = new Set(applicationIds);
    dropLeases(ids);
    forgetApplicationKeys(ids);
    forgetMappedClients(ids);
    // Their open WebSockets ask the counter objects now, not at their next periodic check.
    wakeApplications(ids);
  }
}
