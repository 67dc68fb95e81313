#!/usr/bin/env node
/* global process, console */
// Plain JavaScript on purpose: it runs before any TypeScript, so on a Node too old for
// `--experimental-strip-types` a developer reads what to install instead of "bad option".
// `node scripts/node-check.mjs [script.ts args…]` checks the version, then runs the script with type
// stripping in this same Node; without a script it only checks (for `npm test`).
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const MINIMUM = [22, 12];

/** Whether a `process.versions.node`-style version is at least MINIMUM. */
export function supported(version) {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > MINIMUM[0] || (major === MINIMUM[0] && minor >= MINIMUM[1]);
}

// TURNPIKE_NODE_VERSION stands in for the running version, so the check can be tested on a Node
// that passes it.
const version = process.env.TURNPIKE_NODE_VERSION ?? process.versions.node;
if (!supported(version)) {
  console.error(
    `Turnpike needs Node.js ≥ ${MINIMUM.join('.')}; this is v${version}. Install Node.js 22 LTS or newer (e.g. \`nvm install 22\`) and run this again.`,
  );
  process.exit(1);
}
const [script, ...args] = process.argv.slice(2);
if (script !== undefined) {
  const path = resolve(script);
  if (process.features.typescript) {
    // Type stripping is on by default (Node ≥ 22.18): run the script in this process, with the
    // argv it would have had if started directly.
    process.argv.splice(1, 2, path);
    await import(pathToFileURL(path).href);
  } else {
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings=ExperimentalWarning', path, ...args], {
      stdio: 'inherit',
    });
    // Ctrl-C reaches the child through the terminal's process group; a signal sent to this process
    // alone is passed on. Either way the child decides when it has stopped.
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
    child.on('exit', (code, signal) => process.exit(code ?? (signal === null ? 1 : 128 + (constants.signals[signal] ?? 0))));
  }
}
