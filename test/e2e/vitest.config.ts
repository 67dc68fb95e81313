import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests: Node drives the running Workers over HTTP (raw sockets where fetch would
 * normalise a path) and the portal in Debian's Chromium. One platform for the whole run.
 */
export default defineConfig({
  test: {
    name: 'e2e',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/e2e/**/*.test.ts'],
    globalSetup: ['test/e2e/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    // The suites share one platform; running them one after another keeps counts predictable.
    fileParallelism: false,
  },
});
