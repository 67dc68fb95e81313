/**
 * `wrangler deploy --dry-run` of every Worker (bundles them exactly as a deploy would, without a
 * Cloudflare account) and a build of the portal's Pages Functions. Part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/platform.ts';

const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');
const out = mkdtempSync(join(tmpdir(), 'turnpike-dry-run-'));
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' };

const steps: Array<{ name: string; args: string[]; cwd: string }> = [
  { name: 'gateway', args: ['deploy', '--dry-run', '-c', 'wrangler.toml', '--outdir', join(out, 'gateway')], cwd: ROOT },
  { name: 'control-plane', args: ['deploy', '--dry-run', '-c', 'workers/control-plane/wrangler.toml', '--outdir', join(out, 'control-plane')], cwd: ROOT },
  { name: 'demo-backend', args: ['deploy', '--dry-run', '-c', 'workers/demo-backend/wrangler.toml', '--outdir', join(out, 'demo-backend')], cwd: ROOT },
];
if (existsSync(join(ROOT, 'portal-ui/functions'))) {
  steps.push({ name: 'portal functions', args: ['pages', 'functions', 'build', 'functions', '--outdir', join(out, 'portal')], cwd: join(ROOT, 'portal-ui') });
}

let failed = 0;
for (const step of steps) {
  const result = spawnSync(process.execPath, [WRANGLER, ...step.args], { cwd: step.cwd, env, encoding: 'utf8' });
  const size = /Total Upload: ([^\n]+)/.exec(result.stdout)?.[1];
  if (result.status === 0) console.log(`dry-run ok: ${step.name}${size === undefined ? '' : ` (${size.trim()})`}`);
  else {
    failed++;
    console.error(`dry-run FAILED: ${step.name}\n${result.stdout}\n${result.stderr}`);
  }
}
rmSync(out, { recursive: true, force: true });
process.exit(failed === 0 ? 0 : 1);
