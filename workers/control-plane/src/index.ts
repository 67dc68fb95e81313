import { evaluateAlerts } from './alerts/evaluate.ts';
import { createControlPlaneApp } from './app.ts';

const app = createControlPlaneApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
  // Every minute: alert rules (alerts/evaluate.ts).
  scheduled: (_controller, env, ctx) => ctx.waitUntil(evaluateAlerts(env)),
} satisfies ExportedHandler<Env>;
