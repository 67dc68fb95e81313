/**
 * Runs the whole platform locally: the Traffic Manager (the counter Durable Objects), one gateway
 * per environment (production and internal, or more processes per environment for the simulation),
 * the control plane, the portal and the demo backend, each as its own `wrangler dev` process sharing
 * one local D1 and one Durable Object state through `--persist-to`, connected by wrangler's dev
 * registry. Used by `npm start`, by the end-to-end tests (on their own ports, state and registry),
 * by the bench and by `npm run simulate`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { privateJwk, randomBase64url } from './keys.ts';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

export interface Ports {
  /** The production (external) gateway environment. */
  gateway: number;
  controlPlane: number;
  portal: number;
  demoBackend: number;
  /** The internal gateway environment (`[env.internal]` of wrangler.toml). */
  gatewayInternal: number;
  trafficManager: number;
  /** First of a run of consecutive inspector ports: one per process (six for `npm start`). */
  inspector: number;
}

export const DEFAULT_PORTS: Ports = {
  gateway: Number(process.env.TURNPIKE_GATEWAY_PORT ?? 8787),
  controlPlane: Number(process.env.TURNPIKE_CONTROL_PLANE_PORT ?? 8788),
  portal: Number(process.env.TURNPIKE_PORTAL_PORT ?? 8789),
  demoBackend: Number(process.env.TURNPIKE_DEMO_BACKEND_PORT ?? 8790),
  gatewayInternal: Number(process.env.TURNPIKE_GATEWAY_INTERNAL_PORT ?? 8791),
  trafficManager: Number(process.env.TURNPIKE_TRAFFIC_MANAGER_PORT ?? 8792),
  inspector: Number(process.env.TURNPIKE_INSPECTOR_PORT ?? 9229),
};

/** Gateway environments `npm start` runs: the name in D1, the wrangler.toml section, the port. */
export const GATEWAY_ENVIRONMENTS = [
  { environment: 'production', wranglerEnv: null, worker: 'turnpike-gateway', port: (p: Ports) => p.gateway },
  { environment: 'internal', wranglerEnv: 'internal', worker: 'turnpike-gateway-internal', port: (p: Ports) => p.gatewayInternal },
] as const;
export type GatewayEnvironmentName = (typeof GATEWAY_ENVIRONMENTS)[number]['environment'];

/** One gateway process: its environment and its port. */
export interface GatewayProcess {
  readonly environment: GatewayEnvironmentName;
  readonly port: number;
  /** Vars for this process only, over `gatewayVars` (e.g. the bench's COUNTER_RTT_MS per process). */
  readonly vars?: Record<string, string>;
}

export interface PlatformOptions {
  ports: Ports;
  /** Where local D1 and Durable Object state live (shared by every process). */
  persistTo: string;
  /** Wrangler's dev registry folder: processes of one platform find each other here, and only here. */
  registry: string;
  /** Build and serve the portal (skipped by benchmarks). */
  portal: boolean;
  log: (line: string) => void;
  /** Extra environment for the wrangler processes (e.g. X_LOCAL_OBSERVABILITY=false for benchmarks). */
  env?: Record<string, string>;
  /** Vars overriding the gateway's wrangler.toml [vars]. */
  gatewayVars?: Record<string, string>;
  /**
   * The gateway processes to run; default one per environment on `ports.gateway` and
   * `ports.gatewayInternal`. A second process of an environment (the simulation's stand-in for a
   * second Cloudflare location) is its own isolate under its own Worker name, so the control plane's
   * service binding reaches the first process of each environment only, as it reaches one isolate
   * of a deployment.
   */
  gateways?: readonly GatewayProcess[];
  /**
   * Where the Traffic Manager (the counter objects) runs: `own-process` (default: its own `wrangler
   * dev`, as `npm start` and the simulation run it, so every gateway reaches the counters across
   * processes) or `first-gateway` (in the first production gateway's workerd, `wrangler dev -c
   * wrangler.toml -c workers/traffic-manager/wrangler.toml`: that gateway calls its counters without
   * wrangler's dev-registry hop, which a deployment does not have; the other gateways still reach them
   * through the registry). The bench measures both (decision 0062).
   */
  trafficManager?: 'own-process' | 'first-gateway';
  /**
   * How often the launcher runs the control plane's scheduled handler (its cron, `* * * * *` when
   * deployed: alert evaluation); `wrangler dev` never fires crons by itself. Default 60,000 ms; 0 turns
   * both tickers off (the gateway's hourly usage compaction ticks every hour when this is not 0).
   */
  cronIntervalMs?: number;
  /**
   * Where the control plane's mails (sign-up verification, password reset) are copied, one .eml file
   * each: `wrangler dev` sends none, it writes each to a temporary file and logs the path.
   */
  mailDir?: string;
}

export interface PlatformUrls {
  /** The production gateway environment (the first production process). */
  gateway: string;
  controlPlane: string;
  portal: string;
  demoBackend: string;
  trafficManager: string;
  /** Every gateway process, first process of each environment first. */
  gateways: Array<{ environment: GatewayEnvironmentName; url: string; process: string }>;
}

export interface RunningPlatform {
  urls: PlatformUrls;
  stop(): Promise<void>;
  /** Resolves when any process exits on its own (a crash), with its name. */
  exited: Promise<string>;
  /** Stops one process by name (e.g. `gateway-internal-2`, `traffic-manager`): a signal to its group (SIGKILL unless told), for fault tests. */
  kill(name: string, signal?: NodeJS.Signals): Promise<void>;
  /** The names of every process, in start order. */
  processes: readonly string[];
  /** Starts a process stopped by `kill` again and waits until it answers. */
  restart(name: string): Promise<void>;
}

/**
 * Locally a new signing key may sign after 5 s: the gateways here are told of every snapshot at once
 * and revalidate every 2 s, and nothing caches the JWKS for its max-age (deployed: 360 s, decision 0038).
 */
export const LOCAL_SIGNING_KEY_PUBLISH_SECONDS = 5;

/** Development secrets, generated once into the git-ignored .dev.vars next to each wrangler.toml. */
export async function ensureDevVars(log: (line: string) => void): Promise<{ bootstrapToken: string }> {
  const file = join(ROOT, 'workers/control-plane/.dev.vars');
  if (!existsSync(file)) {
    const lines = [
      '# Generated by npm start for local development only. Never commit; deploy with `wrangler secret put`.',
      `SIGNING_KEYS='[${await privateJwk(`dev-${Date.now().toString(36)}`)}]'`,
      `BOOTSTRAP_TOKEN=${randomBase64url(24)}`,
      `ENCRYPTION_KEY=${randomBase64url(32)}`,
    ];
    writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
    log(`generated development secrets in ${file}`);
  }
  const controlPlane = readFileSync(file, 'utf8');
  const match = /^BOOTSTRAP_TOKEN=(.+)$/m.exec(controlPlane);
  const encryptionKey = /^ENCRYPTION_KEY=(.+)$/m.exec(controlPlane)?.[1]?.trim();
  if (match?.[1] === undefined || encryptionKey === undefined)
    throw new Error(`${file} lacks BOOTSTRAP_TOKEN or ENCRYPTION_KEY; delete it and run again`);
  // The gateway opens what the control plane seals: the same ENCRYPTION_KEY in both (added to an
  // older .dev.vars that predates it).
  const gatewayFile = join(ROOT, '.dev.vars');
  if (!existsSync(gatewayFile)) {
    const lines = [
      '# Generated by npm start for local development only. Never commit; deploy with `wrangler secret put`.',
      `BACKEND_JWT_KEY='${await privateJwk(`gw-${Date.now().toString(36)}`)}'`,
      `ENCRYPTION_KEY=${encryptionKey}`,
    ];
    writeFileSync(gatewayFile, lines.join('\n') + '\n', { mode: 0o600 });
    log(`generated development secrets in ${gatewayFile}`);
  } else if (!/^ENCRYPTION_KEY=/m.test(readFileSync(gatewayFile, 'utf8'))) {
    appendFileSync(gatewayFile, `ENCRYPTION_KEY=${encryptionKey}\n`);
    log(`added ENCRYPTION_KEY to ${gatewayFile}`);
  }
  return { bootstrapToken: match[1].trim() };
}

/** The repository's wrangler, non-interactive (CI) and without metrics, run to completion. */
export function wrangler(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  return spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', ...options.env },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

export function applyMigrations(persistTo: string, log: (line: string) => void): void {
  const result = wrangler(['d1', 'migrations', 'apply', 'DB', '--local', '--persist-to', persistTo, '-c', 'wrangler.toml']);
  if (result.status !== 0) throw new Error(`applying D1 migrations failed:\n${result.stdout}\n${result.stderr}`);
  if (/No migrations to apply/.test(result.stdout)) log('D1 schema is up to date');
  else log(`applied ${(result.stdout.match(/✅/g) ?? []).length} D1 migration(s)`);
}

export function buildPortal(log: (line: string) => void): void {
  const result = spawnSync('npm', ['run', 'build', '-w', 'portal-ui'], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`building the portal failed:\n${result.stdout}\n${result.stderr}`);
  log('built the portal');
}

// Every process started by this module, so an interrupted start-up can still stop them all.
const started = new Set<ChildProcess>();

/** Stops every process this module started (for signal handlers during start-up). */
export function killAll(): void {
  for (const child of started) {
    try {
      if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}

export async function launch(options: PlatformOptions): Promise<RunningPlatform> {
  const { ports, persistTo, registry } = options;
  mkdirSync(registry, { recursive: true });
  const host = '127.0.0.1';
  const gateways: readonly GatewayProcess[] =
    options.gateways ?? GATEWAY_ENVIRONMENTS.map((e) => ({ environment: e.environment, port: e.port(ports) }));
  const seen = new Map<string, number>();
  const gatewayProcesses = gateways.map((g) => {
    const n = (seen.get(g.environment) ?? 0) + 1;
    seen.set(g.environment, n);
    const spec = GATEWAY_ENVIRONMENTS.find((e) => e.environment === g.environment);
    if (spec === undefined) throw new Error(`unknown gateway environment ${g.environment}`);
    const process =
      g.environment === 'production'
        ? n === 1
          ? 'gateway'
          : `gateway-${n}`
        : n === 1
          ? `gateway-${g.environment}`
          : `gateway-${g.environment}-${n}`;
    return { ...g, spec, n, process, url: `http://${host}:${g.port}` };
  });
  const firstProduction = gatewayProcesses.find((g) => g.environment === 'production');
  const counterHost = options.trafficManager === 'first-gateway' ? firstProduction : undefined;
  if (options.trafficManager === 'first-gateway' && counterHost === undefined) {
    throw new Error('trafficManager: first-gateway needs a production gateway process');
  }
  const urls: PlatformUrls = {
    gateway: firstProduction?.url ?? `http://${host}:${ports.gateway}`,
    controlPlane: `http://${host}:${ports.controlPlane}`,
    portal: `http://${host}:${ports.portal}`,
    demoBackend: `http://${host}:${ports.demoBackend}`,
    // With the counters in a gateway's process, the Traffic Manager has no port of its own.
    trafficManager: counterHost === undefined ? `http://${host}:${ports.trafficManager}` : counterHost.url,
    gateways: [...gatewayProcesses.filter((g) => g.n === 1), ...gatewayProcesses.filter((g) => g.n > 1)].map((g) => ({
      environment: g.environment,
      url: g.url,
      process: g.process,
    })),
  };
  const env = { WRANGLER_SEND_METRICS: 'false', WRANGLER_REGISTRY_PATH: registry, ...options.env };
  let inspector = ports.inspector;
  const common = (port: number) => [
    'dev',
    '--ip',
    host,
    '--port',
    String(port),
    '--inspector-port',
    String(inspector++),
    '--persist-to',
    persistTo,
    '--show-interactive-dev-session=false',
  ];
  const gatewayVars = Object.entries(options.gatewayVars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`]);
  const specs: ProcessSpec[] = [
    // First: every other Worker's counter objects live here.
    ...(counterHost === undefined
      ? [
          {
            name: 'traffic-manager',
            worker: 'turnpike-traffic-manager',
            port: ports.trafficManager,
            args: [...common(ports.trafficManager), '-c', 'workers/traffic-manager/wrangler.toml'],
            cwd: ROOT,
            health: `${urls.trafficManager}/_turnpike/health`,
            ours: serviceIs('turnpike-traffic-manager'),
          },
        ]
      : []),
    ...gatewayProcesses.map((g) => ({
      name: g.process,
      worker: g.n > 1 ? `${g.spec.worker}-${g.n}` : g.spec.worker,
      port: g.port,
      ours: serviceIs('turnpike-gateway', g.environment),
      args: [
        ...common(g.port),
        '-c',
        'wrangler.toml',
        ...(g === counterHost ? ['-c', 'workers/traffic-manager/wrangler.toml'] : []),
        ...(g.spec.wranglerEnv === null ? [] : ['--env', g.spec.wranglerEnv]),
        ...(g.n > 1 ? ['--name', `${g.spec.worker}-${g.n}`] : []),
        ...gatewayVars,
        ...Object.entries(g.vars ?? {}).flatMap(([k, v]) => ['--var', `${k}:${v}`]),
      ],
      cwd: ROOT,
      health: `${g.url}/_turnpike/health`,
    })),
    {
      name: 'control-plane',
      worker: 'turnpike-control-plane',
      port: ports.controlPlane,
      ours: serviceIs('turnpike-control-plane'),
      args: [
        ...common(ports.controlPlane),
        '-c',
        'workers/control-plane/wrangler.toml',
        '--var',
        `ISSUER:${urls.controlPlane}`,
        '--var',
        `PORTAL_URL:${urls.portal}`,
        '--var',
        `ALLOWED_ORIGINS:${urls.portal},http://localhost:${ports.portal}`,
        '--var',
        `SIGNING_KEY_PUBLISH_SECONDS:${LOCAL_SIGNING_KEY_PUBLISH_SECONDS}`,
      ],
      cwd: ROOT,
      health: `${urls.controlPlane}/health`,
    },
    {
      name: 'demo-backend',
      worker: 'turnpike-demo-backend',
      port: ports.demoBackend,
      args: [...common(ports.demoBackend), '-c', 'workers/demo-backend/wrangler.toml'],
      cwd: ROOT,
      health: `${urls.demoBackend}/_turnpike/health`,
      ours: serviceIs('turnpike-demo-backend'),
    },
  ];
  if (options.portal) {
    // The first process of each environment (urls.gateways lists those first).
    const gatewayUrls: Record<string, string> = {};
    for (const g of urls.gateways) gatewayUrls[g.environment] ??= g.url;
    specs.push({
      name: 'portal',
      worker: null,
      port: ports.portal,
      // The portal's same-origin /api/* reaching this platform's control plane is what makes it ours.
      ours: (body) => (body as { info?: { title?: unknown } } | null)?.info?.title === 'Turnpike management API',
      // GATEWAY_URL(S): what the portal's curl lines name, on whatever ports this platform's gateways have.
      args: [
        'pages',
        'dev',
        'dist',
        '--ip',
        host,
        '--port',
        String(ports.portal),
        '--inspector-port',
        String(inspector++),
        '--persist-to',
        persistTo,
        '--show-interactive-dev-session=false',
        '--binding',
        `GATEWAY_URL=${urls.gateway}`,
        '--binding',
        `GATEWAY_URLS=${JSON.stringify(gatewayUrls)}`,
      ],
      cwd: join(ROOT, 'portal-ui'),
      health: `${urls.portal}/api/openapi.json`,
    });
  }
  // A port in use fails the start here, naming it, before any process is spawned: otherwise wrangler
  // would pick another port or the readiness check would find whatever answers there.
  const inspectors = specs.map((spec, i) => ({
    port: ports.inspector + i,
    what: `the ${spec.name} inspector (TURNPIKE_INSPECTOR_PORT moves the run)`,
  }));
  const taken = await takenPorts(host, [...specs.map((spec) => ({ port: spec.port, what: spec.name })), ...inspectors]);
  if (taken.length > 0) throw new PortsTakenError(taken);
  const workerNames = [
    ...specs.flatMap((spec) => (spec.worker === null ? [] : [spec.worker])),
    // Registered by the gateway process that hosts it.
    ...(counterHost === undefined ? [] : ['turnpike-traffic-manager']),
  ];
  const cleared = await clearStaleRegistryEntries(registry, workerNames);
  if (cleared.length > 0) options.log(`cleared stale dev registry entries of stopped processes: ${cleared.join(', ')}`);
  const launchedAt = Date.now();
  const children: Array<{ name: string; child: ChildProcess }> = [];
  let stopping = false;
  let ready = false;
  /** Processes stopped on purpose by `kill` (fault tests): their exit is not a crash. */
  const killed = new Set<string>();
  let onExit: (name: string) => void = () => {};
  const exited = new Promise<string>((resolve) => (onExit = resolve));
  // Several workerd processes opening one --persist-to folder at once can find its SQLite files
  // locked for a moment and exit: a process that dies while the platform is starting gets two more
  // tries before the start fails.
  const launchOne = (spec: (typeof specs)[number], attempt: number) => {
    const child = spawn(process.execPath, [WRANGLER, ...spec.args], {
      cwd: spec.cwd,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const prefix = `[${spec.name}] `;
    // Whole lines only: a chunk can end mid-line, and a mail's path must be read in one piece.
    let partial = '';
    const relay = (chunk: Buffer) => {
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        // wrangler dev does not exit when its runtime cannot listen: it logs the error and waits for
        // a config change, so the start would wait out its whole timeout. On a shared machine a port
        // of ours (or the inspector's) can be held for a moment by another program's ephemeral
        // socket: stopped here, the exit handler below starts the process again.
        if (!ready && !stopping && isPortInUse(line) && child.pid !== undefined) {
          options.log(`${prefix}a port is in use while starting: ${line.trim()}`);
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch {
            /* already gone */
          }
          continue;
        }
        if (line.trim() === '' || isNoise(line)) continue;
        const mail = options.mailDir === undefined ? null : keepMail(line, options.mailDir);
        options.log(
          mail === null
            ? prefix + line
            : `${prefix}mail to ${mail.to}: "${mail.subject}" — ${mail.file}${mail.link === null ? '' : `\n${prefix}  link: ${mail.link}`}`,
        );
      }
    };
    child.stdout?.on('data', relay);
    child.stderr?.on('data', relay);
    child.on('exit', (code) => {
      if (stopping || killed.has(spec.name)) return;
      const entry = children.find((c) => c.child === child);
      if (!ready && attempt < 3) {
        options.log(`${prefix}exited with code ${code} while starting; starting it again (attempt ${attempt + 1} of 3)`);
        setTimeout(() => {
          if (stopping) return;
          const next = launchOne(spec, attempt + 1);
          if (entry !== undefined) entry.child = next;
        }, 500 * attempt);
        return;
      }
      options.log(`${prefix}exited with code ${code}`);
      onExit(spec.name);
    });
    started.add(child);
    child.on('exit', () => started.delete(child));
    if (spec.worker !== null && child.pid !== undefined) recordPid(registry, spec.worker, child.pid);
    return child;
  };
  for (const spec of specs) children.push({ name: spec.name, child: launchOne(spec, 1) });
  const stopChild = (child: ChildProcess, signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return resolve();
      child.once('exit', () => resolve());
      try {
        process.kill(-child.pid, signal);
      } catch {
        resolve();
      }
      setTimeout(() => {
        try {
          if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        resolve();
      }, 5000).unref();
    });
  const stop = async () => {
    stopping = true;
    await Promise.all(children.map(({ child }) => stopChild(child, 'SIGTERM')));
  };
  try {
    await Promise.race([
      Promise.all(specs.map((spec) => waitFor(spec.health, spec.ours))).then(() => waitForRegistry(registry, workerNames, launchedAt)),
      exited.then((name) => {
        throw new Error(`${name} exited during start-up`);
      }),
    ]);
  } catch (err) {
    await stop();
    throw err;
  }
  ready = true;
  const every = options.cronIntervalMs ?? 60_000;
  const stopTickers = [
    startCronTicker(urls.controlPlane, '* * * * *', every, options.log),
    startCronTicker(urls.gateway, '17 * * * *', every === 0 ? 0 : 3_600_000, options.log),
  ];
  const entryOf = (name: string) => {
    const entry = children.find((c) => c.name === name);
    const spec = specs.find((x) => x.name === name);
    if (entry === undefined || spec === undefined) throw new Error(`no process named ${name}`);
    return { entry, spec };
  };
  return {
    urls,
    stop: async () => {
      for (const stopTicker of stopTickers) stopTicker();
      await stop();
    },
    exited,
    processes: specs.map((x) => x.name),
    kill: async (name, signal = 'SIGKILL') => {
      const { entry } = entryOf(name);
      killed.add(name);
      await stopChild(entry.child, signal);
    },
    restart: async (name) => {
      const { entry, spec } = entryOf(name);
      entry.child = launchOne(spec, 3);
      killed.delete(name);
      await waitFor(spec.health, spec.ours);
    },
  };
}

/**
 * Stands in for Cloudflare's cron trigger under `wrangler dev`: calls a Worker's scheduled handler
 * through wrangler's local-only `/cdn-cgi/local/scheduled` route with the cron expression of its
 * wrangler.toml, one run at a time. A failed run is logged and the next tick tries again, as a missed
 * cron would be.
 */
export function startCronTicker(workerUrl: string, cron: string, intervalMs: number, log: (line: string) => void): () => void {
  if (intervalMs <= 0) return () => {};
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const res = await fetch(`${workerUrl}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}`, {
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      if (!res.ok) log(`[cron] ${workerUrl} scheduled handler answered ${res.status}`);
    } catch (err) {
      log(`[cron] ${workerUrl} scheduled handler not reached: ${String(err)}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/** wrangler's (workerd's) line when a socket it was told to listen on is taken. */
export function isPortInUse(line: string): boolean {
  return /Address already in use|EADDRINUSE/.test(line);
}

/**
 * Lines wrangler prints on every start that say nothing a developer needs — including its advice to
 * trigger crons by hand, which the launcher's cron ticker does.
 */
function isNoise(line: string): boolean {
  return /ENOTFOUND workers\.cloudflare\.com|GetAddrInfoReqWrap|Starting local server|Connection status updated|Request\.cf|cf object|update available|wrangler \d|─|⛅️|Your Worker has access|Binding\s+Resource|env\.\w+ \(|^\s*$|Using vars defined|Using secrets defined|Ready on|\[b\] open|\[d\] open|\[c\] clear|\[x\] to exit|GET \/|POST \/|PATCH \/|DELETE \/|PUT \/|OPTIONS \/|Scheduled Workers are not automatically triggered|To manually trigger a scheduled event|cdn-cgi\/local\/scheduled|cron-triggers\/#test-cron-triggers-locally/.test(
    line,
  );
}

/**
 * Polls `url` until it answers below 500 — and, given `ours`, with a JSON body `ours` accepts, so a
 * process of another program (or of an earlier start) on the same port is never taken for this one.
 */
export async function waitFor(url: string, ours?: (body: unknown) => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const text = await res.text();
      if (res.status < 500 && ours === undefined) return;
      if (res.status < 500 && ours !== undefined) {
        let body: unknown = null;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON: not ours */
        }
        if (ours(body)) return;
        last = `status ${res.status} from something that is not this platform's process: ${text.slice(0, 120)}`;
      } else last = `status ${res.status}`;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not come up within ${timeoutMs} ms (${last})`);
}

interface ProcessSpec {
  name: string;
  /** The Worker name it registers in the dev registry (null: the portal, which nothing binds to). */
  worker: string | null;
  port: number;
  args: string[];
  cwd: string;
  health: string;
  /** Whether a health answer's JSON body is this process's own. */
  ours: (body: unknown) => boolean;
}

/** A health answer naming the service (and the gateway environment) a process is expected to be. */
function serviceIs(service: string, environment?: string): (body: unknown) => boolean {
  return (body) => {
    const b = body as { service?: unknown; environment?: unknown } | null;
    return b?.service === service && (environment === undefined || b.environment === environment);
  };
}

export class PortsTakenError extends Error {
  readonly taken: ReadonlyArray<{ port: number; what: string }>;
  constructor(taken: ReadonlyArray<{ port: number; what: string }>) {
    super(
      taken.map((t) => `port ${t.port} (${t.what}) is already in use`).join('\n') +
        '\nStop what is listening there (an earlier `npm start`? `lsof -i :' +
        String(taken[0]?.port) +
        '` shows it), or move the ports with TURNPIKE_GATEWAY_PORT, TURNPIKE_CONTROL_PLANE_PORT, TURNPIKE_PORTAL_PORT, TURNPIKE_DEMO_BACKEND_PORT, TURNPIKE_GATEWAY_INTERNAL_PORT, TURNPIKE_TRAFFIC_MANAGER_PORT, TURNPIKE_INSPECTOR_PORT.',
    );
    this.name = 'PortsTakenError';
    this.taken = taken;
  }
}

/** The ports of `wanted` that cannot be listened on at `host` right now. */
export async function takenPorts(
  host: string,
  wanted: ReadonlyArray<{ port: number; what: string }>,
): Promise<Array<{ port: number; what: string }>> {
  const free = await Promise.all(
    wanted.map(
      ({ port }) =>
        new Promise<boolean>((resolve) => {
          const server = createServer();
          server.once('error', () => resolve(false));
          server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
        }),
    ),
  );
  return wanted.filter((_, i) => free[i] === false);
}

/**
 * Pids of the wrangler processes a launch started, by Worker name, beside the registry folder (in it,
 * wrangler would read the file as a Worker's entry).
 */
function pidFile(registry: string): string {
  return join(dirname(registry), `${basename(registry)}.pids.json`);
}

function readPids(registry: string): Record<string, number> {
  try {
    return JSON.parse(readFileSync(pidFile(registry), 'utf8')) as Record<string, number>;
  } catch {
    return {};
  }
}

function recordPid(registry: string, worker: string, pid: number): void {
  writeFileSync(pidFile(registry), JSON.stringify({ ...readPids(registry), [worker]: pid }, null, 2) + '\n');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether something accepts a TCP connection at `host:port` within a short time. */
function listening(address: string): Promise<boolean> {
  const [host = '127.0.0.1', port = '0'] = address.split(':');
  return new Promise((resolve) => {
    const socket = createConnection({ host, port: Number(port) });
    socket.setTimeout(500, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Wrangler's dev registry (one JSON file per Worker name, `{ debugPortAddress, instanceId, … }`, kept
 * fresh by a 10 s heartbeat and trusted for 90 s after the last one) outlives a process that was
 * stopped hard: for up to 90 s a new process of that name does not register ("already registered by
 * another process") and the others keep calling the dead one ("Network connection lost"). Before a
 * start, the entries of this platform's own Worker names whose process is gone — its recorded pid
 * is not running, or, unrecorded, nothing listens at its address — are removed. Other Workers'
 * entries are never touched.
 */
export async function clearStaleRegistryEntries(registry: string, workers: readonly string[]): Promise<string[]> {
  const pids = readPids(registry);
  const cleared: string[] = [];
  for (const worker of workers) {
    const entry = join(registry, worker);
    if (!existsSync(entry)) continue;
    const pid = pids[worker];
    let gone: boolean;
    if (pid !== undefined) gone = !alive(pid);
    else {
      let address = '';
      try {
        address = String((JSON.parse(readFileSync(entry, 'utf8')) as { debugPortAddress?: unknown }).debugPortAddress ?? '');
      } catch {
        /* unreadable: wrangler ignores it too */
      }
      gone = address === '' || !(await listening(address));
    }
    if (gone) {
      try {
        unlinkSync(entry);
        cleared.push(worker);
      } catch {
        /* removed meanwhile */
      }
    }
  }
  return cleared;
}

/**
 * Resolves once every Worker of this launch has written its own registry entry (written after
 * `launchedAt`): until then a binding to it may still resolve to nothing, and the demo seed's first
 * cross-Worker call would fail.
 */
export async function waitForRegistry(registry: string, workers: readonly string[], launchedAt: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const missing = workers.filter((worker) => {
      const stats = statSync(join(registry, worker), { throwIfNoEntry: false });
      return stats === undefined || stats.mtimeMs < launchedAt - 1000;
    });
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new Error(`not registered in the dev registry within ${timeoutMs} ms: ${missing.join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * `wrangler dev`'s send_email binding logs "Email: <path>.eml" for each message instead of sending
 * it. The message is copied into `mailDir` as `<time>-<recipient>.eml`, and its recipient, subject
 * and first link are returned for the log; any other line answers null.
 */
export function keepMail(line: string, mailDir: string): { to: string; subject: string; file: string; link: string | null } | null {
  // eslint-disable-next-line no-control-regex
  const path = /^\s*Email: (\S+\.eml)\s*$/.exec(line.replace(/\x1b\[[0-9;]*m/g, ''))?.[1];
  if (path === undefined || !existsSync(path)) return null;
  const raw = readFileSync(path, 'utf8');
  const header = (name: string) => new RegExp(`^${name}: *(.*)$`, 'im').exec(raw.split(/\r?\n\r?\n/)[0] ?? '')?.[1]?.trim() ?? '';
  const to = header('To');
  mkdirSync(mailDir, { recursive: true });
  const file = join(mailDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${to.replace(/[^A-Za-z0-9@._-]/g, '_')}.eml`);
  writeFileSync(file, raw);
  return {
    to,
    subject: header('Subject'),
    file,
    link:
      /https?:\/\/\S+/.exec(
        raw
          .split(/\r?\n\r?\n/)
          .slice(1)
          .join('\n'),
      )?.[0] ?? null,
  };
}
