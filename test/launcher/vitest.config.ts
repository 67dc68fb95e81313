import { defineConfig } from 'vitest/config';

/**
 * The launcher's own checks (`npm start`, the Node check, the lock file): each test starts what it
 * needs on the e2e ports (TURNPIKE_E2E_PORT_BASE) and stops it, so no platform is shared — unlike
 * test/e2e, whose global setup keeps one platform running for the whole suite.
 */
export default defineConfig({
  test: {
    name: 'launcher',
    root: new URL('../..', import.meta.url).pathname,
    include: ['test/launcher/**/*.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
