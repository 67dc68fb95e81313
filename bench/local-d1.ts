/** SQL against the platform's local D1 (the file every wrangler dev process of the bench shares). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../scripts/lib/platform.ts';

export function d1Execute(persistTo: string, input: { command: string } | { file: string }): Array<Record<string, unknown>> {
  const source = 'command' in input ? ['--command', input.command] : ['--file', input.file];
  const run = spawnSync(process.execPath, [join(ROOT, 'node_modules/wrangler/bin/wrangler.js'), 'd1', 'execute', 'DB', '--local', '--persist-to', persistTo, '-c', 'wrangler.toml', '--json', ...source], {
    cwd: ROOT,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.status !== 0) throw new Error(`d1 execute failed: ${run.stderr || run.stdout}`);
  const out = JSON.parse(run.stdout) as Array<{ results?: Array<Record<string, unknown>> }>;
  return out.flatMap((r) => r.results ?? []);
}
