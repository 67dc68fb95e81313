import { spawnSync } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { E2E_PORTS, ROOT } from '../support/platform.ts';

const node = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });

describe('the Node check', () => {
  it('names the Node version Turnpike needs, before any TypeScript runs, on a Node older than 22.12', () => {
    for (const version of ['22.11.0', '20.18.1', '18.20.4']) {
      const run = node(['scripts/node-check.mjs', 'scripts/start.ts'], { TURNPIKE_NODE_VERSION: version });
      expect(run.status, version).toBe(1);
      expect(run.stderr).toContain('Turnpike needs Node.js ≥ 22.12');
      expect(run.stderr).toContain(`v${version}`);
      expect(run.stderr).not.toContain('bad option');
    }
  });

  it('runs the script on 22.12 and newer, with its own arguments', () => {
    const run = node(['scripts/node-check.mjs', 'scripts/worker-types.ts', '--check'], { TURNPIKE_NODE_VERSION: '22.12.0' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('generated Worker types are up to date');
  });
});

describe('npm start with a port taken', () => {
  it('says which port and exits non-zero before the ready banner', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(E2E_PORTS.controlPlane, '127.0.0.1', resolve));
    try {
      const run = node([join(ROOT, 'scripts/node-check.mjs'), 'scripts/start.ts'], {
        TURNPIKE_GATEWAY_PORT: String(E2E_PORTS.gateway),
        TURNPIKE_CONTROL_PLANE_PORT: String(E2E_PORTS.controlPlane),
        TURNPIKE_PORTAL_PORT: String(E2E_PORTS.portal),
        TURNPIKE_DEMO_BACKEND_PORT: String(E2E_PORTS.demoBackend),
        TURNPIKE_GATEWAY_INTERNAL_PORT: String(E2E_PORTS.gatewayInternal),
        TURNPIKE_TRAFFIC_MANAGER_PORT: String(E2E_PORTS.trafficManager),
        TURNPIKE_INSPECTOR_PORT: String(E2E_PORTS.inspector),
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`port ${E2E_PORTS.controlPlane} (control plane, TURNPIKE_CONTROL_PLANE_PORT) is already in use`);
      expect(run.stdout).not.toContain('Turnpike is running');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });
});
