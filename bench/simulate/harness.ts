/**
 * A deployment on one machine: the Traffic Manager, the control plane, the demo backend and four
 * gateway processes (production × 2, internal × 2; each its own workerd, so its own isolate, standing
 * in for a Cloudflare location), under concurrent load. Measures what one process cannot show:
 * exactness summed over every gateway, how fast a state change reaches every process, and what
 * faults do. `npm run simulate` runs the full size and writes bench/results/simulate.json; the
 * end-to-end suite runs the small size (test/e2e/simulate.test.ts) and checks the same invariants.
 *
 * Modelled, not measured: distance. Every process is on 127.0.0.1, so a counter round trip costs
 * what a local socket costs; a far Traffic Manager adds its round trip to every strict call.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyMigrations,
  ensureDevVars,
  launch,
  type GatewayProcess,
  type Ports,
  type RunningPlatform,
} from '../../scripts/lib/platform.ts';
import { Client, seed, tokenFor, type DemoData } from '../../scripts/lib/seed.ts';
import { fiveXx, nextWindow, offer, percentile, probe, sleep, type Answer, type Target } from './load.ts';
import { revokeWhileOpen, socketTable, type SocketChangeResult } from './websocket.ts';

export type Size = 'full' | 'small';

interface Sizes {
  /** Window of the exactness tiers (s). */
  windowSeconds: number;
  strictLimit: number;
  leasedLimit: number;
  spreadKeys: number;
  hotConcurrency: number;
  spreadConcurrency: number;
  /** Kill / restart scenarios' load (calls per phase). */
  faultLimit: number;
}

const SIZES: Record<Size, Sizes> = {
  full: {
    windowSeconds: 20,
    strictLimit: 60,
    leasedLimit: 1500,
    spreadKeys: 12,
    hotConcurrency: 220,
    spreadConcurrency: 48,
    faultLimit: 600,
  },
  small: {
    windowSeconds: 10,
    strictLimit: 20,
    leasedLimit: 300,
    spreadKeys: 4,
    hotConcurrency: 64,
    spreadConcurrency: 16,
    faultLimit: 200,
  },
};

/** The spread leased keys' limit: a fifth of the hot one, and never below the gateway's LEASE_MIN_LIMIT (100), so they can lease. */
function spreadLeasedLimit(sizes: Sizes): number {
  return Math.max(100, Math.floor(sizes.leasedLimit / 5));
}

/** How long after the control plane's 2xx each kind of state may still be served (ms), by who was told. */
export const BOUNDS = {
  /** The process the control plane's service binding reached: its next request. */
  notified: 0,
  /** Credential and subscription state in any other process: a lease's life (LEASE_MAX_MS). */
  credential: 1000,
  /** Blocking conditions live in the snapshot: its TTL (2 s) plus the one revalidation that finds the change. */
  blocking: 2000 + 500,
} as const;

export interface CounterResult {
  readonly scenario: string;
  readonly mode: 'strict' | 'leased';
  readonly key: string;
  readonly limit: number;
  readonly offered: number;
  readonly admitted: number;
  readonly throttled: number;
  readonly fiveXx: Record<string, number>;
  /** Calls answered 5xx while the key still had quota (admitted < limit when they were answered). */
  readonly fiveXxWithQuotaLeft: number;
  readonly exact: boolean;
}

export interface StateChangeResult {
  readonly change: string;
  readonly kind: 'credential' | 'blocking';
  readonly expected: number;
  /** Per gateway process: ms from the control plane's 2xx to its first refusal, and calls it admitted that were sent after the 2xx. */
  readonly processes: ReadonlyArray<{
    process: string;
    notified: boolean;
    delayMs: number | null;
    admittedAfter: number;
    boundMs: number;
    withinBound: boolean;
  }>;
  /** Calls the changed state still allows in the notified process (a new tier's quota). */
  readonly allowance: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
}

export interface FaultResult {
  readonly fault: string;
  readonly limit: number;
  readonly offered: number;
  readonly admitted: number;
  readonly fiveXx: Record<string, number>;
  readonly held: boolean;
  readonly note: string;
}

export interface SimulationResult {
  readonly size: Size;
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly topology: {
    trafficManager: string;
    controlPlane: string;
    gateways: ReadonlyArray<{ process: string; environment: string; url: string; notified: boolean }>;
  };
  readonly modelled: string;
  readonly counters: readonly CounterResult[];
  readonly stateChanges: readonly StateChangeResult[];
  /** State changes that must end open WebSockets (bench/simulate/websocket.ts). */
  readonly socketChanges: readonly SocketChangeResult[];
  readonly faults: readonly FaultResult[];
  readonly ok: boolean;
}

interface Setup {
  platform: RunningPlatform;
  demo: DemoData;
  targets: Target[];
  admin: Client;
  publisher: Client;
  developer: Client;
  apiId: string;
  context: string;
  sizes: Sizes;
  stamp: string;
  log: (line: string) => void;
}

export async function runSimulation(options: { size: Size; portBase: number; log: (line: string) => void }): Promise<SimulationResult> {
  const started = Date.now();
  const sizes = SIZES[options.size];
  const base = options.portBase;
  const ports: Ports = {
    gateway: base,
    controlPlane: base + 1,
    portal: base + 2,
    demoBackend: base + 3,
    gatewayInternal: base + 4,
    trafficManager: base + 5,
    inspector: base + 400,
  };
  const gateways: GatewayProcess[] = [
    { environment: 'production', port: base },
    { environment: 'internal', port: base + 4 },
    { environment: 'production', port: base + 10 },
    { environment: 'internal', port: base + 11 },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'turnpike-simulate-'));
  const persistTo = join(dir, 'state');
  const { bootstrapToken } = await ensureDevVars(() => {});
  applyMigrations(persistTo, () => {});
  options.log(`starting the Traffic Manager, the control plane and ${gateways.length} gateway processes…`);
  const platform = await launch({
    ports,
    persistTo,
    registry: join(dir, 'registry'),
    portal: false,
    gateways,
    log: (l) => (/error|exited/i.test(l) ? options.log(l) : undefined),
    env: { X_LOCAL_OBSERVABILITY: 'false' },
    gatewayVars: { REQUEST_LOG: 'off' },
    cronIntervalMs: 0,
  });
  try {
    const demo = await seed({ urls: platform.urls, bootstrapToken, demoFile: join(dir, 'demo.json'), log: () => {} });
    const setup = await prepare(platform, demo, sizes, options.log);
    // SIMULATE_ONLY=faults (or exactness, state, websocket) runs one part, for working on it.
    const only = process.env.SIMULATE_ONLY;
    const counters = only === undefined || only === 'exactness' ? await exactness(setup) : [];
    const stateChanges = only === undefined || only === 'state' ? await stateChangeScenarios(setup) : [];
    const socketChanges =
      only === undefined || only === 'state' || only === 'websocket'
        ? [
            await revokeWhileOpen({
              targets: setup.targets,
              developer: setup.developer,
              controlPlane: platform.urls.controlPlane,
              gateway: platform.urls.gateway,
              demo,
              stamp: setup.stamp,
              isNotified,
              log: options.log,
            }),
          ]
        : [];
    const faults = only === undefined || only === 'faults' ? await faultScenarios(setup) : [];
    const ok =
      counters.every((c) => c.exact && c.fiveXxWithQuotaLeft === 0 && Object.keys(c.fiveXx).length === 0) &&
      stateChanges.every((s) => s.processes.every((p) => p.withinBound)) &&
      socketChanges.every((s) => s.processes.every((p) => p.withinBound)) &&
      faults.every((f) => f.held);
    return {
      size: options.size,
      startedAt: new Date(started).toISOString(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      topology: {
        trafficManager: platform.urls.trafficManager,
        controlPlane: platform.urls.controlPlane,
        gateways: setup.targets.map((t) => ({ ...t, notified: isNotified(t) })),
      },
      modelled:
        'All processes on 127.0.0.1: no distance between gateway and counter objects; each gateway process is one isolate standing in for one location.',
      counters,
      stateChanges,
      socketChanges,
      faults,
      ok,
    };
  } finally {
    await platform.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The control plane's service binding reaches the first process of each environment (the one registered under the environment's Worker name). */
function isNotified(t: Target): boolean {
  return !/-\d+$/.test(t.process);
}

async function prepare(platform: RunningPlatform, demo: DemoData, sizes: Sizes, log: (line: string) => void): Promise<Setup> {
  const anon = new Client(platform.urls.controlPlane);
  const admin = await tokenFor(anon, demo.users.admin, ['admin:policies', 'admin:environments', 'admin:users', 'admin:blocking']);
  const publisher = await tokenFor(anon, demo.users.publisher, [
    'api:view',
    'api:create',
    'api:publish',
    'api:deploy',
    'api:subscriptions',
  ]);
  const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
  const stamp = Date.now().toString(36);
  const tier = (name: string, limit: number, unitTime: number, timeUnit: string) =>
    admin.expect([201], 'POST', '/api/admin/v1/throttling-policies', {
      kind: 'subscription',
      name: `${name}${stamp}`,
      displayName: name,
      description: 'simulation',
      limit,
      unitTime,
      timeUnit,
    });
  await tier('SimStrict', sizes.strictLimit, sizes.windowSeconds, 'sec');
  await tier('SimLeased', sizes.leasedLimit, sizes.windowSeconds, 'sec');
  await tier('SimLeasedSpread', spreadLeasedLimit(sizes), sizes.windowSeconds, 'sec');
  await tier('SimBig', 10_000_000, 1, 'min');
  await tier('SimOne', 1, 1, 'hour');
  await tier('SimFault', sizes.faultLimit, 1, 'hour');
  await tier('SimFaultStrict', sizes.strictLimit, 1, 'hour');
  const context = `/sim${stamp}`;
  const api = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', {
    name: `Simulation ${stamp}`,
    context,
    version: 'v1',
    subscriptionTiers: ['SimStrict', 'SimLeased', 'SimLeasedSpread', 'SimBig', 'SimOne', 'SimFault', 'SimFaultStrict'].map(
      (t) => `${t}${stamp}`,
    ),
    resources: [{ method: 'GET', path: '/pets', authType: 'oauth2_or_api_key' }],
    endpoints: {
      production: { urls: [{ url: `${platform.urls.demoBackend}/petstore`, timeoutMs: 10_000 }] },
      sandbox: { urls: [{ url: `${platform.urls.demoBackend}/petstore`, timeoutMs: 10_000 }] },
    },
  });
  await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${api.body.id}/lifecycle`, { state: 'PUBLISHED' });
  const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${api.body.id}/revisions`, {});
  await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${api.body.id}/deployments`, {
    revisionId: revision.body.id,
    environments: ['production', 'internal'],
  });
  const targets: Target[] = platform.urls.gateways.map((g) => ({ process: g.process, environment: g.environment, url: g.url }));
  // Every process routes the API before any scenario starts (the notified ones at once, the others within the snapshot TTL).
  for (const t of targets) {
    const deadline = Date.now() + 15_000;
    while ((await fetch(`${t.url}${context}/v1/pets`)).status === 404) {
      if (Date.now() > deadline) throw new Error(`${t.process} never routed ${context}`);
      await sleep(100);
    }
  }
  log(`deployed ${context} to production and internal; ${targets.length} gateway processes route it`);
  return { platform, demo, targets, admin, publisher, developer, apiId: api.body.id, context, sizes, stamp, log };
}

interface Subscriber {
  applicationId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  token: string;
}

async function subscriber(s: Setup, name: string, tier: string): Promise<Subscriber> {
  const app = await s.developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: `${name} ${s.stamp}` });
  const keys = await s.developer.expect<{ consumerKey: string; consumerSecret: string }>(
    [201],
    'POST',
    `/api/devportal/v1/applications/${app.body.id}/keys`,
    { keyType: 'PRODUCTION', grantTypes: ['client_credentials'] },
  );
  const sub = await s.developer.expect<{ id: string; status: string }>([201], 'POST', '/api/devportal/v1/subscriptions', {
    applicationId: app.body.id,
    apiId: s.apiId,
    tier: `${tier}${s.stamp}`,
  });
  const token = await issueToken(s.platform.urls.gateway, keys.body.consumerKey, keys.body.consumerSecret);
  return {
    applicationId: app.body.id,
    subscriptionId: sub.body.id,
    clientId: keys.body.consumerKey,
    clientSecret: keys.body.consumerSecret,
    token,
  };
}

async function issueToken(gateway: string, clientId: string, clientSecret: string): Promise<string> {
  const res = await fetch(`${gateway}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** Admitted, refused and failed calls of one key in one window, against its limit. */
function tally(scenario: string, mode: 'strict' | 'leased', key: string, limit: number, answers: readonly Answer[]): CounterResult {
  const sorted = [...answers].sort((a, b) => a.receivedAt - b.receivedAt);
  let admitted = 0;
  let withQuota = 0;
  for (const a of sorted) {
    if (a.status === 200) admitted++;
    else if ((a.status >= 500 || a.status === 0) && admitted < limit) withQuota++;
  }
  const offered = answers.length;
  return {
    scenario,
    mode,
    key,
    limit,
    offered,
    admitted,
    throttled: answers.filter((a) => a.status === 429).length,
    fiveXx: fiveXx(answers),
    fiveXxWithQuotaLeft: withQuota,
    exact: admitted === Math.min(limit, offered),
  };
}

async function exactness(s: Setup): Promise<CounterResult[]> {
  const { sizes } = s;
  const windowMs = sizes.windowSeconds * 1000;
  const results: CounterResult[] = [];
  const window = async (name: string, mode: 'strict' | 'leased', keys: Subscriber[], limit: number, concurrency: number) => {
    // Offer 1.5× the limit per key within one window, stopping well before it ends so every call is
    // decided in the window it was sent in.
    const start = await nextWindow(windowMs);
    const total = Math.ceil(limit * 1.5) * keys.length;
    const answers = await offer({
      targets: s.targets,
      path: `${s.context}/v1/pets`,
      headers: (i) => ({ authorization: `Bearer ${keys[i % keys.length]?.token ?? ''}` }),
      concurrency,
      total,
      untilMs: start + windowMs * 0.75,
    });
    if (Date.now() >= start + windowMs) s.log(`${name}: the last answer came after the window ended`);
    // Which key a call used is its index modulo the number of keys (see `headers` above).
    const byKey = new Map<number, Answer[]>();
    for (const a of answers) byKey.set(a.index % keys.length, [...(byKey.get(a.index % keys.length) ?? []), a]);
    for (const [k, list] of byKey) results.push(tally(name, mode, keys[k]?.applicationId ?? '', limit, list));
    const mine = results.slice(-byKey.size);
    s.log(
      `${name}: offered ${mine.reduce((n, r) => n + r.offered, 0)}, admitted ${mine.reduce((n, r) => n + r.admitted, 0)} (limit ${limit} × ${keys.length}), 5xx ${JSON.stringify(mine.reduce((o, r) => ({ ...o, ...r.fiveXx }), {}))}`,
    );
  };
  const strictHot = await subscriber(s, 'strict hot', 'SimStrict');
  const leasedHot = await subscriber(s, 'leased hot', 'SimLeased');
  const strictSpread: Subscriber[] = [];
  for (let i = 0; i < sizes.spreadKeys; i++) strictSpread.push(await subscriber(s, `strict spread ${i}`, 'SimStrict'));
  const leasedSpread: Subscriber[] = [];
  for (let i = 0; i < Math.max(2, Math.floor(sizes.spreadKeys / 3)); i++)
    leasedSpread.push(await subscriber(s, `leased spread ${i}`, 'SimLeasedSpread'));
  // Warm the leased key so each isolate knows its limits and sees it hot; then a fresh window.
  await offer({
    targets: s.targets,
    path: `${s.context}/v1/pets`,
    headers: () => ({ authorization: `Bearer ${leasedHot.token}` }),
    concurrency: 8,
    total: 200,
    untilMs: Date.now() + 2000,
  });
  await offer({
    targets: s.targets,
    path: `${s.context}/v1/pets`,
    headers: () => ({ authorization: `Bearer ${strictHot.token}` }),
    concurrency: 4,
    total: 8,
    untilMs: Date.now() + 2000,
  });
  await window('strict, hot key', 'strict', [strictHot], sizes.strictLimit, sizes.hotConcurrency);
  await window('leased, hot key', 'leased', [leasedHot], sizes.leasedLimit, sizes.hotConcurrency);
  await window('strict, spread keys', 'strict', strictSpread, sizes.strictLimit, sizes.spreadConcurrency);
  await window('leased, spread keys', 'leased', leasedSpread, spreadLeasedLimit(sizes), sizes.hotConcurrency);
  return results;
}

interface Change {
  readonly name: string;
  readonly kind: 'credential' | 'blocking';
  /** The status a refused call answers. */
  readonly expected: number;
  /** Calls the changed state still allows in the notified process (a new tier's own quota); 0 unless said. */
  readonly allowance?: number;
  /** Credentials the probers use: a token, or an API key. */
  readonly useApiKey?: boolean;
  readonly act: (s: Setup, sub: Subscriber, apiKey: { id: string; key: string } | null) => Promise<void>;
  readonly undo?: (s: Setup) => Promise<void>;
}

let blockingConditionId: string | null = null;

const CHANGES: readonly Change[] = [
  {
    name: 'revoke a token',
    kind: 'credential',
    expected: 401,
    act: async (s, sub) => {
      const res = await fetch(`${s.platform.urls.controlPlane}/oauth2/revoke`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${encodeURIComponent(sub.clientId)}:${encodeURIComponent(sub.clientSecret)}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: sub.token, token_type_hint: 'access_token' }),
      });
      if (res.status !== 200) throw new Error(`revoke answered ${res.status}: ${await res.text()}`);
    },
  },
  {
    name: 'revoke an API key',
    kind: 'credential',
    expected: 401,
    useApiKey: true,
    act: async (s, sub, apiKey) => {
      await s.developer.expect([204], 'DELETE', `/api/devportal/v1/applications/${sub.applicationId}/api-keys/${apiKey?.id ?? ''}`);
    },
  },
  {
    name: 'block a subscription',
    kind: 'credential',
    expected: 403,
    act: (s, sub) =>
      s.publisher
        .expect([200], 'POST', `/api/publisher/v1/subscriptions/${sub.subscriptionId}/block`, { status: 'BLOCKED' })
        .then(() => {}),
  },
  {
    name: 'unsubscribe',
    kind: 'credential',
    expected: 403,
    act: (s, sub) => s.developer.expect([204], 'DELETE', `/api/devportal/v1/subscriptions/${sub.subscriptionId}`).then(() => {}),
  },
  // The new tier (1 per hour) starts a window of its own: its one call may still be admitted.
  {
    name: 'change a tier',
    kind: 'credential',
    expected: 429,
    allowance: 1,
    act: (s, sub) =>
      s.developer
        .expect([200], 'PATCH', `/api/devportal/v1/subscriptions/${sub.subscriptionId}`, { tier: `SimOne${s.stamp}` })
        .then(() => {}),
  },
  {
    name: 'block an application',
    kind: 'blocking',
    expected: 403,
    act: async (s, sub) => {
      blockingConditionId = (
        await s.admin.expect<{ id: string }>([201], 'POST', '/api/admin/v1/blocking-conditions', {
          conditionType: 'APPLICATION',
          conditionValue: sub.applicationId,
        })
      ).body.id;
    },
    undo: async (s) => {
      if (blockingConditionId !== null) await s.admin.expect([204], 'DELETE', `/api/admin/v1/blocking-conditions/${blockingConditionId}`);
      blockingConditionId = null;
    },
  },
  {
    name: 'block an IP',
    kind: 'blocking',
    expected: 403,
    // Every prober calls from 127.0.0.1 (the address the gateways see locally).
    act: async (s) => {
      blockingConditionId = (
        await s.admin.expect<{ id: string }>([201], 'POST', '/api/admin/v1/blocking-conditions', {
          conditionType: 'IP',
          conditionValue: '127.0.0.1',
        })
      ).body.id;
    },
    undo: async (s) => {
      if (blockingConditionId !== null) await s.admin.expect([204], 'DELETE', `/api/admin/v1/blocking-conditions/${blockingConditionId}`);
      blockingConditionId = null;
    },
  },
];

async function stateChangeScenarios(s: Setup): Promise<StateChangeResult[]> {
  const results: StateChangeResult[] = [];
  for (const change of CHANGES) {
    const sub = await subscriber(s, change.name, 'SimBig');
    const apiKey =
      change.useApiKey === true
        ? (
            await s.developer.expect<{ id: string; key: string }>(
              [201],
              'POST',
              `/api/devportal/v1/applications/${sub.applicationId}/api-keys`,
              { name: 'simulation' },
            )
          ).body
        : null;
    const headers: Record<string, string> = apiKey === null ? { authorization: `Bearer ${sub.token}` } : { apikey: apiKey.key };
    // Probers warm up first: each is a hot key in its isolate, spending leases (the case that must still bite within a second).
    const probers = probe({ targets: s.targets, path: `${s.context}/v1/pets`, headers, pauseMs: 5, maxMs: 20_000 });
    await sleep(2500);
    const before = probers.answers.filter((a) => a.status !== 200).length;
    if (before > 0) s.log(`${change.name}: ${before} refusals before the change`);
    await change.act(s, sub, apiKey);
    const t0 = Date.now();
    const bound = change.kind === 'blocking' ? BOUNDS.blocking : BOUNDS.credential;
    // Probe until every process refused, or three bounds have passed.
    const deadline = t0 + bound * 3 + 1000;
    while (
      Date.now() < deadline &&
      !s.targets.every((t) => probers.answers.some((a) => a.process === t.process && a.sentAt >= t0 && a.status === change.expected))
    )
      await sleep(50);
    await probers.stop();
    await change.undo?.(s);
    const processes = s.targets.map((t) => {
      const after = probers.answers.filter((a) => a.process === t.process && a.sentAt >= t0).sort((a, b) => a.sentAt - b.sentAt);
      const firstRefusal = after.find((a) => a.status === change.expected);
      const delayMs = firstRefusal === undefined ? null : Math.max(0, firstRefusal.receivedAt - t0);
      const admittedAfter = after.filter((a) => a.status === 200).length;
      const notified = isNotified(t) && change.kind === 'credential';
      const boundMs = notified ? BOUNDS.notified : bound;
      const withinBound = delayMs !== null && (notified ? admittedAfter <= (change.allowance ?? 0) : delayMs <= bound);
      return { process: t.process, notified, delayMs, admittedAfter, boundMs, withinBound };
    });
    const delays = processes.flatMap((p) => (p.delayMs === null ? [] : [p.delayMs]));
    const r: StateChangeResult = {
      change: change.name,
      kind: change.kind,
      expected: change.expected,
      allowance: change.allowance ?? 0,
      processes,
      p50Ms: percentile(delays, 50),
      p99Ms: percentile(delays, 99),
      maxMs: delays.length === 0 ? null : Math.max(...delays),
    };
    s.log(
      `${change.name}: first refusal per process ${processes.map((p) => `${p.process} ${p.delayMs ?? '—'} ms${p.notified ? ` (${p.admittedAfter} admitted after)` : ''}`).join(', ')}`,
    );
    results.push(r);
    // Let the blocking condition's removal reach every snapshot before the next change.
    if (change.kind === 'blocking') await sleep(BOUNDS.blocking);
  }
  return results;
}

async function faultScenarios(s: Setup): Promise<FaultResult[]> {
  const results: FaultResult[] = [];
  const path = `${s.context}/v1/pets`;
  const limit = s.sizes.faultLimit;

  // 1. A gateway process killed mid-load: the leases it held are never given back, so the others
  //    can admit less, never more.
  {
    const sub = await subscriber(s, 'fault gateway', 'SimFault');
    const headers = () => ({ authorization: `Bearer ${sub.token}` });
    const victim = s.targets[s.targets.length - 1];
    const first = offer({ targets: s.targets, path, headers, concurrency: 16, total: Math.floor(limit / 2), untilMs: Date.now() + 30_000 });
    await sleep(400);
    if (victim !== undefined) await s.platform.kill(victim.process);
    const before = await first;
    const rest = s.targets.filter((t) => t !== victim);
    const after = await offer({ targets: rest, path, headers, concurrency: 16, total: limit * 2, untilMs: Date.now() + 60_000 });
    const all = [...before, ...after];
    const admitted = all.filter((a) => a.status === 200).length;
    results.push({
      fault: 'a gateway process killed mid-load',
      limit,
      offered: all.length,
      admitted,
      fiveXx: fiveXx(all),
      held: admitted <= limit && after.filter((a) => a.status >= 500).length === 0,
      note: `${victim?.process ?? '?'} killed (SIGKILL); its in-flight calls failed on the socket; afterwards only 200 and 429 from the others`,
    });
    s.log(`fault, gateway killed: admitted ${admitted} of limit ${limit}, 5xx ${JSON.stringify(fiveXx(all))}`);
    if (victim !== undefined) await s.platform.restart(victim.process);
  }

  // 2. The Traffic Manager restarted mid-window: its counts are in SQLite, so the limit holds
  //    across the restart, exactly (a strict key: no lease can blur the count); while it is down,
  //    calls fail closed (503), never admitted.
  {
    const strictLimit = s.sizes.strictLimit;
    const sub = await subscriber(s, 'fault traffic manager', 'SimFaultStrict');
    const headers = () => ({ authorization: `Bearer ${sub.token}` });
    const half = await offer({
      targets: s.targets,
      path,
      headers,
      concurrency: 4,
      total: Math.floor(strictLimit / 2),
      untilMs: Date.now() + 30_000,
    });
    await s.platform.kill('traffic-manager', 'SIGTERM');
    const down = await offer({ targets: s.targets, path, headers, concurrency: 4, total: 20, untilMs: Date.now() + 10_000 });
    await s.platform.restart('traffic-manager');
    // Deployed, the platform reconnects every binding to the objects. Under `wrangler dev` a process
    // whose binding pointed at the stopped Traffic Manager may not find the new one; if the gateways
    // still fail after 15 s, they and the control plane are restarted too.
    const probes: Answer[] = [];
    const reaches = async () => {
      const answers = await offer({
        targets: s.targets,
        path,
        headers,
        concurrency: s.targets.length,
        total: s.targets.length,
        untilMs: Date.now() + 10_000,
      });
      probes.push(...answers);
      return answers.every((a) => a.status > 0 && a.status < 500);
    };
    let reconnected = 'the gateways reached the restarted Traffic Manager by themselves';
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !(await reaches())) await sleep(500);
    if (!(await reaches())) {
      for (const name of s.platform.processes.filter((n) => n.startsWith('gateway') || n === 'control-plane')) {
        await s.platform.kill(name, 'SIGTERM');
        await s.platform.restart(name);
      }
      reconnected =
        'under wrangler dev the other processes did not reconnect to the restarted Traffic Manager within 15 s; they were restarted';
    }
    const rest = await offer({ targets: s.targets, path, headers, concurrency: 4, total: strictLimit, untilMs: Date.now() + 60_000 });
    const all = [...half, ...down, ...probes, ...rest];
    const admitted = all.filter((a) => a.status === 200).length;
    const downAdmitted = down.filter((a) => a.status === 200).length;
    results.push({
      fault: 'the Traffic Manager restarted mid-window',
      limit: strictLimit,
      offered: all.length,
      admitted,
      fiveXx: fiveXx(all),
      held: admitted === strictLimit && downAdmitted === 0 && down.every((a) => a.status === 503) && rest.some((a) => a.status === 429),
      note: `strict key: ${half.filter((a) => a.status === 200).length} admitted before, ${down.length} calls while down (${downAdmitted} admitted, answers ${[...new Set(down.map((a) => a.status))].join('/')}), then exactly the rest of the limit and 429; ${reconnected}`,
    });
    s.log(
      `fault, traffic manager restarted: admitted ${admitted} of limit ${strictLimit}; while down: ${JSON.stringify(fiveXx(down))}; after: ${JSON.stringify(fiveXx(rest))} 5xx, ${rest.filter((a) => a.status === 429).length} × 429`,
    );
  }

  // 3. The control plane down: the gateways go on serving from their snapshots; a token request
  //    on the gateway, which needs the Key Manager, fails closed with 503 problem+json.
  {
    const sub = await subscriber(s, 'fault control plane', 'SimBig');
    await s.platform.kill('control-plane');
    const served = await offer({
      targets: s.targets,
      path,
      headers: () => ({ authorization: `Bearer ${sub.token}` }),
      concurrency: 8,
      total: 200,
      untilMs: Date.now() + 20_000,
    });
    const tokenAnswers = await Promise.all(
      s.targets.map(async (t) => {
        const res = await fetch(`${t.url}/oauth2/token`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${sub.clientId}:${sub.clientSecret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: 'grant_type=client_credentials',
        });
        return { status: res.status, type: res.headers.get('content-type') ?? '' };
      }),
    );
    await s.platform.restart('control-plane');
    const admitted = served.filter((a) => a.status === 200).length;
    const closed = tokenAnswers.every((a) => a.status === 503 && a.type.startsWith('application/problem+json'));
    results.push({
      fault: 'the control plane down',
      limit: 10_000_000,
      offered: served.length,
      admitted,
      fiveXx: fiveXx(served),
      held: admitted === served.length && closed,
      note: `API calls: ${admitted} of ${served.length} served; /oauth2/token on the gateways: ${tokenAnswers.map((a) => `${a.status} ${a.type.split(';')[0]}`).join(', ')}`,
    });
    s.log(
      `fault, control plane down: ${admitted}/${served.length} API calls served; token endpoint ${tokenAnswers.map((a) => a.status).join('/')}`,
    );
  }
  return results;
}

/** The readable table of a run (Markdown), as bench/results/simulate.md and the README quote it. */
export function table(r: SimulationResult): string {
  const lines = [
    `Simulation (${r.size}), ${r.startedAt}, ${r.durationSeconds} s; ${r.topology.gateways.length} gateway processes (${r.topology.gateways.map((g) => `${g.process} [${g.environment}]`).join(', ')}), one Traffic Manager. ${r.modelled}`,
    '',
    '| counter | mode | limit | offered | admitted | 429 | 5xx | 5xx with quota left | exact |',
    '|---|---|---|---|---|---|---|---|---|',
    // One row per scenario: spread keys summed (every key's own count is in the JSON).
    ...[...new Set(r.counters.map((c) => c.scenario))].map((scenario) => {
      const keys = r.counters.filter((c) => c.scenario === scenario);
      const sum = (f: (c: CounterResult) => number) => keys.reduce((n, c) => n + f(c), 0);
      const limit = keys.length === 1 ? String(keys[0]?.limit ?? 0) : `${keys[0]?.limit ?? 0} × ${keys.length} keys`;
      return `| ${scenario} | ${keys[0]?.mode ?? ''} | ${limit} | ${sum((c) => c.offered)} | ${sum((c) => c.admitted)} | ${sum((c) => c.throttled)} | ${sum((c) => Object.values(c.fiveXx).reduce((a, b) => a + b, 0))} | ${sum((c) => c.fiveXxWithQuotaLeft)} | ${keys.every((c) => c.exact) ? 'yes' : '**no**'} |`;
    }),
    '',
    '| state change | bound (notified / others) | p50 ms | p99 ms | max ms | per process (ms to first refusal; calls admitted after the 2xx) | within bound |',
    '|---|---|---|---|---|---|---|',
    ...r.stateChanges.map(
      (c) =>
        `| ${c.change} | ${c.kind === 'credential' ? 'next request / 1000 ms' : `${BOUNDS.blocking} ms / ${BOUNDS.blocking} ms`} | ${c.p50Ms ?? '—'} | ${c.p99Ms ?? '—'} | ${c.maxMs ?? '—'} | ${c.processes.map((p) => `${p.process}: ${p.delayMs ?? '—'}; ${p.admittedAfter}`).join(' · ')} | ${c.processes.every((p) => p.withinBound) ? 'yes' : '**no**'} |`,
    ),
    '',
    ...socketTable(r.socketChanges),
    '',
    '| fault | limit | offered | admitted | 5xx | held | what happened |',
    '|---|---|---|---|---|---|---|',
    ...r.faults.map(
      (f) =>
        `| ${f.fault} | ${f.limit} | ${f.offered} | ${f.admitted} | ${JSON.stringify(f.fiveXx)} | ${f.held ? 'yes' : '**no**'} | ${f.note} |`,
    ),
    '',
    `All invariants held: ${r.ok ? 'yes' : 'NO'}`,
  ];
  return lines.join('\n');
}
