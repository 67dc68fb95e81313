import { evaluateAlerts } from './alerts/evaluate.ts';
import { createControlPlaneApp } from './app.ts';
import { consumeSync, type SyncMessage } from './gateway-sync/tier-fanout.ts';

const app = createControlPlaneApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  // Every minute: alert rules (alerts/evaluate.ts).
  scheduled: (_controller, env, ctx) => ctx.waitUntil(evaluateAlerts(env)),
  // turnpike-sync: tier edits, a page of subscriptions per message (gateway-sync/tier-fanout.ts).
  queue: (batch, env) => consumeSync(batch, env),
} satisfies ExportedHandler<Env, SyncMessage>;
