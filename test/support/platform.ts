/**
 * The running platform for end-to-end tests: started once per `vitest run` by the global setup
 * (test/e2e/global-setup.ts) on its own ports, its own local state and its own dev registry, so it
 * never touches a developer's `npm start`. Tests read it with `usePlatform()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import {
  ROOT,
  applyMigrations,
  buildPortal,
  ensureDevVars,
  launch,
  type GatewayProcess,
  type PlatformOptions,
  type Ports,
  type RunningPlatform,
} from '../../scripts/lib/platform.ts';
import { seed, type DemoData } from '../../scripts/lib/seed.ts';

export interface PlatformInfo {
  /** Where the control plane's mails land (one .eml file each). */
  mailDir: string;
  /** The production gateway environment. */
  gatewayUrl: string;
  /** The internal gateway environment (`[env.internal]`), sharing the production one's Traffic Manager. */
  gatewayInternalUrl: string;
  trafficManagerUrl: string;
  controlPlaneUrl: string;
  portalUrl: string;
  demoBackendUrl: string;
  demo: DemoData;
}

declare module 'vitest' {
  export interface ProvidedContext {
    platform: PlatformInfo;
  }
}

// TURNPIKE_E2E_PORT_BASE moves the whole set, so two checkouts can run the suite side by side.
const base = Number(process.env.TURNPIKE_E2E_PORT_BASE ?? 28787);
export const E2E_PORTS: Ports = {
  gateway: base,
  controlPlane: base + 1,
  portal: base + 2,
  demoBackend: base + 3,
  gatewayInternal: base + 4,
  trafficManager: base + 5,
  inspector: base + 442,
};

export async function startPlatform(
  options: {
    ports?: Ports;
    portal?: boolean;
    env?: Record<string, string>;
    gatewayVars?: Record<string, string>;
    gateways?: readonly GatewayProcess[];
    cronIntervalMs?: number;
    trafficManager?: PlatformOptions['trafficManager'];
    log?: (line: string) => void;
  } = {},
): Promise<
  PlatformInfo & {
    persistTo: string;
    stop(): Promise<void>;
    urls: RunningPlatform['urls'];
    kill: RunningPlatform['kill'];
    restart: RunningPlatform['restart'];
  }
> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-platform-'));
  const persistTo = join(dir, 'state');
  const { bootstrapToken } = await ensureDevVars(log);
  applyMigrations(persistTo, () => {});
  const portal = options.portal ?? true;
  if (portal) buildPortal(() => {});
  const running = await launch({
    ports: options.ports ?? E2E_PORTS,
    persistTo,
    registry: join(dir, 'registry'),
    portal,
    log,
    mailDir: join(dir, 'mail'),
    env: options.env,
    gatewayVars: options.gatewayVars,
    gateways: options.gateways,
    cronIntervalMs: options.cronIntervalMs,
    trafficManager: options.trafficManager,
  });
  try {
    // The seed's steps are quiet here, but the last one done names where a start that hangs stopped.
    let lastStep = 'none yet';
    const demo = await within(
      seed({ urls: running.urls, bootstrapToken, demoFile: join(dir, 'demo.json'), log: (line) => (lastStep = line) }),
      SEED_DEADLINE_MS,
      () => `seeding the demo data did not finish within ${SEED_DEADLINE_MS / 1000} s (last step done: ${lastStep})`,
    );
    return {
      gatewayUrl: running.urls.gateway,
      gatewayInternalUrl: demo.urls.gateways.internal ?? '',
      trafficManagerUrl: running.urls.trafficManager,
      controlPlaneUrl: running.urls.controlPlane,
      portalUrl: running.urls.portal,
      demoBackendUrl: running.urls.demoBackend,
      demo,
      mailDir: join(dir, 'mail'),
      persistTo,
      urls: running.urls,
      kill: running.kill,
      restart: running.restart,
      stop: async () => {
        await running.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await running.stop();
    throw err;
  }
}

/** The whole seed takes 5–20 s here; its every request has a timeout of its own (seed.ts). */
const SEED_DEADLINE_MS = 240_000;

/** `work`, or an error saying `what()` once `ms` have passed without it settling. */
async function within<T>(work: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(what())), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** In a test file: the platform the global setup started. */
export function usePlatform(): PlatformInfo {
  return inject('platform');
}

export { ROOT };
