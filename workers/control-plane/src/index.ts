import { evaluateAlerts } from './alerts/evaluate.ts';
import { createControlPlaneApp } from './app.ts';
import { createDb } from './db.ts';
import { revokeRolledApiKeys } from './devportal/api-keys/rolled.ts';
import { retireDueSigningKeys } from './keys/rotation.ts';
import { consumeSync, type SyncMessage } from './gateway-sync/tier-fanout.ts';

const app = createControlPlaneApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  // Every minute: alert rules (alerts/evaluate.ts); signing keys whose tokens have all expired
  // retire; rolled API keys whose overlap has ended are revoked.
  scheduled: (_controller, env, ctx) => {
    ctx.waitUntil(evaluateAlerts(env));
    ctx.waitUntil(retireDueSigningKeys(env, createDb(env.DB)));
    ctx.waitUntil(revokeRolledApiKeys(env, createDb(env.DB)));
  },
  // turnpike-sync: tier edits, a page of subscriptions per message (gateway-sync/tier-fanout.ts).
  queue: (batch, env) => consumeSync(batch, env),
} satisfies ExportedHandler<Env, SyncMessage>;
