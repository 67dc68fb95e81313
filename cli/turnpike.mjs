#!/usr/bin/env node
/* global process, URL */
// The `turnpike` bin: runs the TypeScript CLI with Node's type stripping (Node >= 22.12; on Node
// versions where stripping is not on by default, it re-runs itself with the flag).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('./main.ts', import.meta.url));
if (process.features.typescript) {
  await import(main);
} else {
  const run = spawnSync(
    process.execPath,
    ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', main, ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(run.status ?? 1);
}
