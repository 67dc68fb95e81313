import { createControlPlaneApp } from './app.ts';

const app = createControlPlaneApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Env>;
