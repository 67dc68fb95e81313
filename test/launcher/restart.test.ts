import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyMigrations, buildPortal, ensureDevVars, launch, type RunningPlatform } from '../../scripts/lib/platform.ts';
import { Client, seed, tokenFor } from '../../scripts/lib/seed.ts';
import { E2E_PORTS } from '../support/platform.ts';

/**
 * A restart on the same state and dev registry, as a developer's second `npm start`: after Ctrl-C
 * (every process asked to stop) and after SIGKILL (no process gets to unregister), the new start
 * clears the dead processes' registry entries and a subscription — a control plane call into the
 * Traffic Manager's counter objects — succeeds.
 */
describe('a restart on the same state', () => {
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-restart-'));
  const persistTo = join(dir, 'state');
  const registry = join(dir, 'registry');
  const lines: string[] = [];
  let running: RunningPlatform | null = null;
  afterAll(async () => {
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function startAndSubscribe(): Promise<RunningPlatform> {
    const { bootstrapToken } = await ensureDevVars(() => {});
    const platform = await launch({
      ports: E2E_PORTS,
      persistTo,
      registry,
      portal: false,
      cronIntervalMs: 0,
      log: (line) => lines.push(line),
    });
    running = platform;
    const demo = await seed({ urls: platform.urls, bootstrapToken, demoFile: join(dir, 'demo.json'), log: () => {} });
    const developer = await tokenFor(new Client(platform.urls.controlPlane), demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', {
      name: `After restart ${Date.now()}`,
    });
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: app.body.id,
      apiId: demo.api.id,
      tier: demo.api.tier,
    });
    return platform;
  }

  /** Stops every process with `signal`, as the terminal or the kernel would, leaving the registry as they leave it. */
  async function stopAll(platform: RunningPlatform, signal: NodeJS.Signals): Promise<void> {
    for (const name of platform.processes) await platform.kill(name, signal);
    running = null;
    // wrangler exits before its workerd has let go of every socket: the next start would rightly
    // refuse a port still taken, so wait (bounded) until they are free, as a developer would.
    const ports = [
      ...Object.values(E2E_PORTS).filter((p) => p !== E2E_PORTS.inspector),
      ...Array.from({ length: 6 }, (_, i) => E2E_PORTS.inspector + i),
    ];
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && (await Promise.all(ports.map(listening))).some(Boolean)) await new Promise((r) => setTimeout(r, 200));
  }

  function listening(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  it('subscribes after a Ctrl-C and after a SIGKILL of every process', async () => {
    applyMigrations(persistTo, () => {});
    buildPortal(() => {});
    // Ctrl-C: the terminal's SIGINT reaches every process group.
    await stopAll(await startAndSubscribe(), 'SIGINT');
    await stopAll(await startAndSubscribe(), 'SIGKILL');
    expect(readdirSync(registry).length).toBeGreaterThan(0);
    await startAndSubscribe();
    expect(lines.some((l) => l.startsWith('cleared stale dev registry entries'))).toBe(true);
  });
});
