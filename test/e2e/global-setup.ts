import type { TestProject } from 'vitest/node';
import { startPlatform } from '../support/platform.ts';

export default async function setup(project: TestProject) {
  // The control plane's cron (alert evaluation) every 3 s instead of every minute, so tests see alerts fire.
  const platform = await startPlatform({
    cronIntervalMs: 3000,
    log: (line) => (/error|exited|fail/i.test(line) ? process.stderr.write(`${line}\n`) : undefined),
  });
  // Only data crosses to the test files: the process handles stay here.
  const { stop, kill: _kill, restart: _restart, ...info } = platform;
  try {
    project.provide('platform', info);
  } catch (err) {
    // A setup that fails after the start still stops every process it started.
    await stop();
    throw err;
  }
  return stop;
}
