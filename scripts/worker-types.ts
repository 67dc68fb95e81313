/**
 * `npm run types` writes each Worker's generated `Env` (worker-configuration.d.ts, from its
 * wrangler.toml and the runtime's types); `npm run typecheck` runs this with `--check`, which fails
 * when a file no longer matches what wrangler would write, so a binding added to a wrangler.toml
 * cannot go untyped and a hand edit of a generated file cannot stay.
 */
import { wrangler } from './lib/platform.ts';

/** Every Worker's config and its generated types, the root config being the production gateway. */
export const WORKER_TYPES = [
  { config: 'wrangler.toml', types: 'workers/gateway/worker-configuration.d.ts' },
  { config: 'workers/traffic-manager/wrangler.toml', types: 'workers/traffic-manager/worker-configuration.d.ts' },
  { config: 'workers/control-plane/wrangler.toml', types: 'workers/control-plane/worker-configuration.d.ts' },
  { config: 'workers/demo-backend/wrangler.toml', types: 'workers/demo-backend/worker-configuration.d.ts' },
] as const;

const check = process.argv.includes('--check');
let stale = 0;
for (const { config, types } of WORKER_TYPES) {
  const result = wrangler(['types', ...(check ? ['--check'] : []), '--strict-vars=false', '-c', config, types]);
  if (result.status !== 0) {
    stale++;
    process.stderr.write(
      `${types}: ${check ? 'out of date with ' + config + '; run `npm run types` and commit the result' : 'wrangler types failed'}\n${result.stdout}${result.stderr}\n`,
    );
  } else if (!check) process.stdout.write(`wrote ${types}\n`);
}
if (check && stale === 0) process.stdout.write(`generated Worker types are up to date (${WORKER_TYPES.length} files)\n`);
process.exit(stale === 0 ? 0 : 1);
