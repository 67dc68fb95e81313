/** SQL against the platform's local D1 (the file every wrangler dev process of the bench shares). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { wrangler } from '../scripts/lib/platform.ts';

export function d1Execute(persistTo: string, input: { command: string } | { file: string }): Array<Record<string, unknown>> {
  const source = 'command' in input ? ['--command', input.command] : ['--file', input.file];
  const run = wrangler(['d1', 'execute', 'DB', '--local', '--persist-to', persistTo, '-c', 'wrangler.toml', '--json', ...source]);
  if (run.status !== 0) throw new Error(`d1 execute failed: ${run.stderr || run.stdout}`);
  const out = JSON.parse(run.stdout) as Array<{ results?: Array<Record<string, unknown>> }>;
  return out.flatMap((r) => r.results ?? []);
}

/** Runs SQL statements in one wrangler process, from a temporary file (a command line cannot hold them). */
export function d1ExecuteStatements(persistTo: string, statements: readonly string[]): void {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-d1-'));
  try {
    const file = join(dir, 'statements.sql');
    writeFileSync(file, statements.join('\n') + '\n');
    d1Execute(persistTo, { file });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
