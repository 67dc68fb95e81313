/**
 * `npm start`: the whole platform on this machine with demo data. Applies migrations to the local
 * D1, generates development secrets when missing, builds the portal, starts every piece, seeds the
 * demo idempotently and prints where everything is. Ctrl-C stops it all; the data stays.
 */
import { join } from 'node:path';
import {
  DEFAULT_PORTS,
  PortsTakenError,
  ROOT,
  applyMigrations,
  buildPortal,
  ensureDevVars,
  killAll,
  launch,
  takenPorts,
} from './lib/platform.ts';
import { demoFilePath, seed } from './lib/seed.ts';

const log = (line: string) => console.log(line);

/** Start-up failed before anything was ready: say why, and exit non-zero without the banner. */
function fail(err: unknown): never {
  console.error(`\nTurnpike did not start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
const persistTo = join(ROOT, '.wrangler/state');

// The Node version is checked by scripts/node-check.mjs, which runs this file.
// Ports first: a taken one is reported before a minute of migrations and portal build.
const taken = await takenPorts('127.0.0.1', [
  { port: DEFAULT_PORTS.gateway, what: 'gateway, TURNPIKE_GATEWAY_PORT' },
  { port: DEFAULT_PORTS.controlPlane, what: 'control plane, TURNPIKE_CONTROL_PLANE_PORT' },
  { port: DEFAULT_PORTS.portal, what: 'portal, TURNPIKE_PORTAL_PORT' },
  { port: DEFAULT_PORTS.demoBackend, what: 'demo backend, TURNPIKE_DEMO_BACKEND_PORT' },
  { port: DEFAULT_PORTS.gatewayInternal, what: 'internal gateway, TURNPIKE_GATEWAY_INTERNAL_PORT' },
  { port: DEFAULT_PORTS.trafficManager, what: 'Traffic Manager, TURNPIKE_TRAFFIC_MANAGER_PORT' },
]);
if (taken.length > 0) fail(new PortsTakenError(taken));

const { bootstrapToken } = await ensureDevVars(log);
applyMigrations(persistTo, log);
buildPortal(log);
log('starting the Traffic Manager, the gateways (production and internal), the control plane, the portal and the demo backend…');
const interrupted = () => {
  killAll();
  process.exit(130);
};
process.once('SIGINT', interrupted);
process.once('SIGTERM', interrupted);
const platform = await launch({
  ports: DEFAULT_PORTS,
  persistTo,
  registry: join(ROOT, '.wrangler/registry'),
  portal: true,
  log,
  mailDir: join(ROOT, '.turnpike/mail'),
}).catch(fail);

process.off('SIGINT', interrupted);
process.off('SIGTERM', interrupted);
let stopping = false;
const shutdown = async (code: number) => {
  if (stopping) return;
  stopping = true;
  log('\nstopping…');
  await platform.stop();
  process.exit(code);
};
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));
void platform.exited.then(() => shutdown(1));

try {
  const demoFile = demoFilePath(ROOT);
  const demo = await seed({ urls: platform.urls, bootstrapToken, demoFile, log });
  const { urls, users, application: app, api } = demo;
  const basic = Buffer.from(`${encodeURIComponent(app.clientId)}:${encodeURIComponent(app.clientSecret)}`).toString('base64');
  log(`
Turnpike is running.

  Gateway          ${urls.gateway}   (environment production)
  Gateway          ${urls.gateways.internal ?? '-'}   (environment internal)
  Traffic Manager  ${urls.trafficManager}   (counter objects of both environments)
  Control plane    ${urls.controlPlane}   (OpenAPI: ${urls.controlPlane}/api/openapi.json)
  Portal           ${urls.portal}
  Demo backend     ${urls.demoBackend}

Development users (passwords are for this machine only):
  admin      ${users.admin.email}  ${users.admin.password}
  publisher  ${users.publisher.email}  ${users.publisher.password}
  developer  ${users.developer.email}  ${users.developer.password}

Demo application "${app.name}", subscribed to ${api.name} on ${api.tier} (${api.limitPerMinute} requests per minute):
  client_id      ${app.clientId}
  client_secret  ${app.clientSecret}

Try it:
  TOKEN=$(curl -s -u '${app.clientId}:${app.clientSecret}' -d grant_type=client_credentials ${urls.gateway}/oauth2/token | node -pe 'JSON.parse(require("fs").readFileSync(0)).access_token')
  curl -i -H "Authorization: Bearer $TOKEN" ${urls.gateway}${api.context}/pets
  # call it ${api.limitPerMinute + 1} times within a minute to see 429 Too Many Requests
  # the same API on the internal environment counts against the same quota (one Traffic Manager):
  curl -i -H "Authorization: Bearer $TOKEN" ${urls.gateways.internal ?? urls.gateway}${api.context}/pets

The GraphQL API ${demo.graphql.name} (${demo.graphql.gatewayUrl}), subscribed on ${demo.graphql.tier}: depth ≤ ${demo.graphql.maxDepth}, complexity ≤ ${demo.graphql.maxComplexity}, ${demo.graphql.pointsPerMinute} points per minute; Book.price needs the scope ${demo.graphql.priceScope}:
  curl -i -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -d '{"query":"{ books(first: 2) { title author { name } } }"}' ${demo.graphql.gatewayUrl}

(Authorization header for scripts: Basic ${basic})
Mails the portal sends (sign-up verification, password reset) land in ${join(ROOT, '.turnpike/mail')}/, their links in this log.
Everything above is also in ${demoFile}. Press Ctrl-C to stop.`);
} catch (err) {
  console.error(`\nSeeding the demo data failed: ${err instanceof Error ? err.message : String(err)}`);
  await shutdown(1);
}
