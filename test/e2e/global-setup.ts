import type { TestProject } from 'vitest/node';
import { startPlatform } from '../support/platform.ts';

export default async function setup(project: TestProject) {
  const platform = await startPlatform({ log: (line) => (/error|exited|fail/i.test(line) ? process.stderr.write(`${line}\n`) : undefined) });
  const { stop, ...info } = platform;
  project.provide('platform', info);
  return stop;
}
