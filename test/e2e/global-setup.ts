import type { TestProject } from 'vitest/node';
import { startPlatform } from '../support/platform.ts';

export default async function setup(project: TestProject) {
  // The control plane's cron (alert evaluation) every 3 s instead of every minute, so tests see alerts fire.
  const platform = await startPlatform({ cronIntervalMs: 3000, log: (line) => (/error|exited|fail/i.test(line) ? process.stderr.write(`${line}\n`) : undefined) });
  const { stop, ...info } = platform;
  project.provide('platform', info);
  return stop;
}
