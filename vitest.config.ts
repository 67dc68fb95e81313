import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';
import { echoBackend } from './test/support/echo-backend.ts';
import { privateJwk, randomBase64url } from './scripts/lib/keys.ts';

/**
 * Tests that run inside workerd against real D1 (migrations applied in the setup file) and real
 * Durable Objects: one project per Worker, each from its own wrangler config.
 */
const migrations = await readD1Migrations('./d1-migrations');
const gatewaySecrets = { BACKEND_JWT_KEY: JSON.parse(await privateJwk('gateway-test-key')) };
// One ENCRYPTION_KEY for both Workers, as deployed: the control plane seals, the gateway opens.
const ENCRYPTION_KEY = randomBase64url();
const secrets = { SIGNING_KEYS: `[${await privateJwk('test-key')}]`, BOOTSTRAP_TOKEN: 'test-bootstrap-token', ENCRYPTION_KEY };

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            main: './test/workers/gateway-entry.ts',
            wrangler: { configPath: './wrangler.toml' },
            miniflare: {
              bindings: { TEST_MIGRATIONS: migrations, BACKEND_JWT_KEY: JSON.stringify(gatewaySecrets.BACKEND_JWT_KEY), ENCRYPTION_KEY },
              // Deployed, the counter objects live in the Traffic Manager's script (script_name); here
              // the test script hosts them so the gateway's calls reach the real class.
              durableObjects: { THROTTLE: { className: 'ThrottleCounter', useSQLite: true } },
              serviceBindings: { KEY_MANAGER: () => new Response('key manager not under test', { status: 503 }) },
              outboundService: echoBackend,
            },
          }),
        ],
        test: {
          name: 'gateway',
          include: ['workers/gateway/**/*.test.ts', 'durable-objects/**/*.test.ts'],
          setupFiles: ['./test/workers/apply-migrations.ts'],
        },
      },
      {
        plugins: [
          cloudflareTest({
            main: './test/workers/control-plane-entry.ts',
            wrangler: { configPath: './workers/control-plane/wrangler.toml' },
            miniflare: {
              bindings: { TEST_MIGRATIONS: migrations, ...secrets },
              durableObjects: { THROTTLE: { className: 'ThrottleCounter', useSQLite: true } },
              // Both gateway environments' control entrypoints reach the gateway code hosted beside it.
              // MAIL (send_email in wrangler.toml) reaches the test outbox (test/workers/mailbox.ts).
              email: { send_email: [] },
              serviceBindings: {
                GATEWAY: { name: 'turnpike-control-plane', entrypoint: 'GatewayControl' },
                GATEWAY_INTERNAL: { name: 'turnpike-control-plane', entrypoint: 'GatewayControl' },
                MAIL: { name: 'turnpike-control-plane', entrypoint: 'TestMailbox' },
              },
            },
          }),
        ],
        test: {
          name: 'control-plane',
          include: ['workers/control-plane/**/*.test.ts'],
          setupFiles: ['./test/workers/apply-migrations.ts'],
        },
      },
    ],
  },
});
