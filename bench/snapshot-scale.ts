/**
 * The snapshot at scale (issue #20, decision 0034): on a platform of its own (ports 50787–50804,
 * inspectors from 51236; 51229–51235 are often some other process's ephemeral ports here), deployed through the control plane as a publisher would —
 *   - GitHub's 13 MB OpenAPI description (@octokit/openapi): import, export and deploy time, and
 *     what it costs in the snapshot (its shard in R2, the head in D1);
 *   - cold isolates with 10, 1,000, 10,000 and 100,000 deployed APIs: the production gateway's
 *     process killed and started again (a fresh workerd, so a fresh isolate), its first API call
 *     timed against warm calls, and its memory.
 * The bulk APIs are copies of one deployed API written into D1 by INSERT … SELECT (100,000 REST
 * deploys would take hours); the snapshot itself is compiled and published by the control plane.
 *
 *   node bench/snapshot-scale.ts [--smoke]    on its own; `npm run bench` runs it too
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { ROOT, wrangler } from '../scripts/lib/platform.ts';
import { Client, tokenFor } from '../scripts/lib/seed.ts';
import { startPlatform } from '../test/support/platform.ts';
import { decodeSnapshot, encodeSnapshot } from '../workers/shared/snapshot-codec.ts';
import type { GatewaySnapshot, SnapshotApi } from '../workers/shared/snapshot.ts';
import { shardOf } from '../workers/shared/snapshot-shards.ts';
import { d1Execute, d1ExecuteStatements } from './local-d1.ts';
import { wranglerPidForPort } from './process-cpu.ts';
import { workerdRssMb } from './scale.ts';
import { PORT_SHIFT } from './ports.ts';
import { median } from './stats.ts';

const PORTS = {
  gateway: 50787 + PORT_SHIFT,
  controlPlane: 50788 + PORT_SHIFT,
  portal: 50789 + PORT_SHIFT,
  demoBackend: 50790 + PORT_SHIFT,
  gatewayInternal: 50791 + PORT_SHIFT,
  trafficManager: 50792 + PORT_SHIFT,
  inspector: 51236 + PORT_SHIFT,
};
/** Cold starts per size (the median is reported). */
const COLD_STARTS = 3;
const GITHUB_FILE = join(ROOT, 'node_modules/@octokit/openapi/generated/api.github.com.json');

export interface ColdIsolate {
  apis: number;
  /** Control plane: the deploy that compiled and published the environment (REST call, wall time). */
  publishMs: number;
  headBytes: number;
  shards: number;
  /** Bytes (gzip) of the one shard the timed call reads. */
  shardBytes: number;
  firstCallMs: number;
  warmCallMs: number;
  /** Median over COLD_STARTS fresh processes of first call minus warm call: isolate start-up, the head and one shard. */
  addedMs: number;
  /**
   * In the same warm isolate, the first call into another shard minus a warm call: what reading and
   * compiling one shard adds, without the fresh process's own first-call cost (null with one shard).
   */
  shardReadMs: number | null;
  rssMbBefore: number;
  rssMbAfter: number;
  /** Before: the same APIs as one whole snapshot row (gzip + base64), every API compiled on the first call. */
  wholeRow: { bytes: number; firstCallMs: number; warmCallMs: number } | null;
}

export interface SnapshotScale {
  github: {
    documentBytes: number;
    operations: number;
    importMs: number;
    exportMs: number;
    deployMs: number;
    shardBytes: number;
    headBytes: number;
    coldFirstCallMs: number;
    warmCallMs: number;
  };
  coldIsolates: ColdIsolate[];
}

const elapsedMs = (started: bigint) => Number((Number(process.hrtime.bigint() - started) / 1e6).toFixed(2));

export async function measureSnapshotScale(
  options: {
    smoke?: boolean;
    log?: (line: string) => void;
    wholeRow?: boolean;
    /**
     * A running platform to measure on (`npm run bench` hands over its own once its other figures
     * are taken, which saves a platform start); it is left running. Without it, one of its own.
     */
    on?: Awaited<ReturnType<typeof startPlatform>>;
  } = {},
): Promise<SnapshotScale> {
  // The whole-row layout (before decision 0034) at every size: decision 0034's own comparison, six
  // more cold restarts and a large row write per size; not needed for the current figures, so only
  // on request (`--whole-row`, or `npm run bench -- --whole-row`).
  const wholeRowToo = options.wholeRow === true;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const sizes = options.smoke === true ? [10, 1000] : [10, 1000, 10_000, 100_000];
  const backend = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  const backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  if (options.on === undefined) log('snapshot scale: starting a platform of its own…');
  const platform =
    options.on ??
    (await startPlatform({
      ports: PORTS,
      portal: false,
      env: { X_LOCAL_OBSERVABILITY: 'false' },
      gatewayVars: { REQUEST_LOG: 'off' },
      cronIntervalMs: 0,
      log: () => {},
    }));
  const scratch = mkdtempSync(join(tmpdir(), 'turnpike-snapshot-scale-'));
  try {
    const anon = new Client(platform.controlPlaneUrl);
    const publisher = await tokenFor(anon, platform.demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
    const developer = await tokenFor(anon, platform.demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    const gateway = platform.gatewayUrl;
    const gatewayPort = Number(new URL(gateway).port);

    const head = async () => {
      const body = d1Execute(platform.persistTo, {
        command: "SELECT body FROM gateway_snapshots WHERE environment_id = 'env_production'",
      })[0]?.body;
      if (typeof body !== 'string') throw new Error('no snapshot');
      return { bytes: body.length, snapshot: await decodeSnapshot(body) };
    };
    const shardBody = (key: string) => {
      const file = join(scratch, 'shard.gz');
      const run = wrangler([
        'r2',
        'object',
        'get',
        `turnpike-blobs/${key}`,
        '--local',
        '--persist-to',
        platform.persistTo,
        '-c',
        'wrangler.toml',
        '--file',
        file,
      ]);
      if (run.status !== 0) throw new Error(`r2 object get failed: ${run.stderr}`);
      return readFileSync(file);
    };
    const shardBytes = (key: string) => shardBody(key).byteLength;
    const shardApis = (key: string) => JSON.parse(gunzipSync(shardBody(key)).toString('utf8')) as SnapshotApi[];
    const timedCall = async (url: string, headers: Record<string, string> = {}) => {
      const started = process.hrtime.bigint();
      const res = await fetch(url, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
      return elapsedMs(started);
    };
    const warm = async (url: string, headers: Record<string, string> = {}) => {
      const times: number[] = [];
      for (let i = 0; i < 20; i++) times.push(await timedCall(url, headers));
      return Number(median(times).toFixed(2));
    };
    const coldRestart = async () => {
      await platform.kill('gateway');
      await platform.restart('gateway');
      const pid = wranglerPidForPort(gatewayPort);
      return { pid, rss: pid === null ? Number.NaN : workerdRssMb(pid) };
    };
    const deploy = async (apiId: string) => {
      // A GET first: the keep-alive connection may have been closed while wrangler wrote to D1, and
      // only a GET is sent again on a new connection (scripts/lib/seed.ts).
      await publisher.expect([200], 'GET', `/api/publisher/v1/apis/${apiId}`);
      const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${apiId}/revisions`, {});
      const started = process.hrtime.bigint();
      await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${apiId}/deployments`, {
        revisionId: revision.body.id,
        environments: ['production'],
      });
      return elapsedMs(started);
    };

    // GitHub's description, end to end.
    log('snapshot scale: importing GitHub’s OpenAPI description…');
    const text = readFileSync(GITHUB_FILE, 'utf8');
    const document = JSON.parse(text) as Record<string, unknown>;
    const context = '/github';
    let started = process.hrtime.bigint();
    const imported = await publisher.expect<{ id: string; resources: unknown[] }>([201], 'POST', '/api/publisher/v1/apis/import', {
      definition: document,
      context,
      version: 'v3',
      subscriptionTiers: ['Unlimited'],
      endpoints: { production: { urls: [{ url: backendUrl }] } },
    });
    const importMs = elapsedMs(started);
    started = process.hrtime.bigint();
    await publisher.expect([200], 'GET', `/api/publisher/v1/apis/${imported.body.id}/openapi`);
    const exportMs = elapsedMs(started);
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${imported.body.id}/lifecycle`, { state: 'PUBLISHED' });
    const githubDeployMs = await deploy(imported.body.id);
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: platform.demo.application.id,
      apiId: imported.body.id,
      tier: 'Unlimited',
    });
    const auth = {
      authorization: `Bearer ${await clientToken(gateway, platform.demo.application.clientId, platform.demo.application.clientSecret)}`,
    };
    const deepUrl = `${gateway}${context}/v3/repos/octo/hello/actions/runs/42/attempts/2/jobs`;
    const githubHead = await head();
    const githubKey = githubHead.snapshot.shards?.keys[shardOf(context, githubHead.snapshot.shards.count)] ?? '';
    const githubShard = shardBytes(githubKey);
    const githubApis = shardApis(githubKey);
    await coldRestart();
    const githubCold = await timedCall(deepUrl, auth);
    const githubWarm = await warm(deepUrl, auth);
    const github = {
      documentBytes: Buffer.byteLength(text),
      operations: imported.body.resources.length,
      importMs,
      exportMs,
      deployMs: githubDeployMs,
      shardBytes: githubShard,
      headBytes: githubHead.bytes,
      coldFirstCallMs: githubCold,
      warmCallMs: githubWarm,
    };
    log(`  ${JSON.stringify(github)}`);

    // The template every bulk API copies: one open resource, the local backend.
    const template = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', {
      name: 'Bulk template',
      context: '/bulk0',
      version: 'v1',
      subscriptionTiers: ['Unlimited'],
      resources: [{ method: 'GET', path: '/open', authType: 'none' }],
      endpoints: { production: { urls: [{ url: backendUrl }] } },
    });
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${template.body.id}/lifecycle`, { state: 'PUBLISHED' });
    await deploy(template.body.id);
    const templateHead = (await head()).snapshot;
    const templateApi = shardApis(templateHead.shards?.keys[shardOf('/bulk0', templateHead.shards.count)] ?? '').find(
      (a) => a.context === '/bulk0',
    );
    if (templateApi === undefined) throw new Error('the template API is not in its shard');
    const templateRevision = String(
      d1Execute(platform.persistTo, { command: `SELECT revision_id AS r FROM deployments WHERE api_id = '${template.body.id}'` })[0]?.r ??
        '',
    );
    let copies = 0;
    const coldIsolates: ColdIsolate[] = [];
    // What the environment serves before the copies: the demo APIs, GitHub's and the template
    // (counted once: each size adds its copies to it; one wrangler process less per size).
    const served = Number(
      d1Execute(platform.persistTo, { command: "SELECT count(*) AS n FROM deployments WHERE environment_id = 'env_production'" })[0]?.n ??
        0,
    );
    const cloneColumns = tableColumns(platform.persistTo, ['apis', 'revisions', 'deployments']);
    for (const n of sizes) {
      const already = served + copies;
      const add = Math.max(0, n - already);
      if (add > 0) {
        log(`snapshot scale: ${n.toLocaleString('en')} APIs (adding ${add.toLocaleString('en')})…`);
        cloneApi(platform.persistTo, cloneColumns, template.body.id, templateRevision, copies + 1, copies + add);
        copies += add;
      }
      const publishMs = await deploy(template.body.id);
      const h = await head();
      const target = `/bulk${Math.max(1, Math.floor(copies / 2))}`;
      const key = h.snapshot.shards?.keys[shardOf(target, h.snapshot.shards.count)] ?? '';
      const url = `${gateway}${copies === 0 ? '/bulk0' : target}/v1/open`;
      // Each size started cold COLD_STARTS times: one cold start on a loaded machine is noise.
      // An API in another shard than the timed one, for the shard's own cost in a warm isolate.
      const shardCount = h.snapshot.shards?.count ?? 1;
      const others = Array.from({ length: Math.min(copies, 4096) }, (_, i) => `/bulk${i + 1}`).filter(
        (c) => shardOf(c, shardCount) !== shardOf(target, shardCount),
      );
      const runs: Array<{ first: number; warm: number; before: number; after: number; otherShard: number | null }> = [];
      for (let i = 0; i < COLD_STARTS; i++) {
        const cold = await coldRestart();
        const first = await timedCall(url);
        const warmMs = await warm(url);
        const other = others[i];
        const otherShard = other === undefined ? null : (await timedCall(`${gateway}${other}/v1/open`)) - warmMs;
        runs.push({ first, warm: warmMs, before: cold.rss, after: cold.pid === null ? Number.NaN : workerdRssMb(cold.pid), otherShard });
      }
      const shardRuns = runs.map((r) => r.otherShard).filter((x): x is number => x !== null);
      // Before (decision 0002's layout): the same environment as one whole row, compiled at once.
      const whole = {
        ...h.snapshot,
        shards: undefined,
        version: h.snapshot.version + 1,
        apis: [
          ...githubApis.filter((a) => a.context !== '/bulk0'),
          templateApi,
          ...Array.from({ length: copies }, (_, i) => ({
            ...templateApi,
            id: `api_bulk${i + 1}`,
            name: `Bulk ${i + 1}`,
            context: `/bulk${i + 1}`,
            revisionId: `rev_bulk${i + 1}`,
          })),
        ],
      };
      const wholeBytes = wholeRowToo ? await writeWholeRow(platform.persistTo, scratch, whole) : 0;
      const before: number[] = [];
      const beforeWarm: number[] = [];
      for (let i = 0; wholeRowToo && i < COLD_STARTS; i++) {
        await coldRestart();
        before.push(await timedCall(url));
        beforeWarm.push(await warm(url));
      }
      const firstCallMs = median(runs.map((r) => r.first));
      const warmCallMs = median(runs.map((r) => r.warm));
      coldIsolates.push({
        apis: already + add,
        publishMs,
        headBytes: h.bytes,
        shards: h.snapshot.shards?.count ?? 0,
        shardBytes: key === '' ? 0 : shardBytes(key),
        firstCallMs,
        warmCallMs,
        addedMs: Number((firstCallMs - warmCallMs).toFixed(2)),
        shardReadMs: shardRuns.length === 0 ? null : Number(median(shardRuns).toFixed(2)),
        rssMbBefore: median(runs.map((r) => r.before)),
        rssMbAfter: median(runs.map((r) => r.after)),
        wholeRow: wholeRowToo ? { bytes: wholeBytes, firstCallMs: median(before), warmCallMs: median(beforeWarm) } : null,
      });
      log(`  ${JSON.stringify(coldIsolates[coldIsolates.length - 1])}`);
    }
    return { github, coldIsolates };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    if (options.on === undefined) await platform.stop();
    await new Promise<void>((r) => backend.close(() => r()));
  }
}

async function clientToken(gateway: string, clientId: string, clientSecret: string): Promise<string> {
  const res = await fetch(`${gateway}/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  if (res.status !== 200) throw new Error(`token endpoint answered ${res.status}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** The column names of each of `tables`, read from local D1 in one query. */
function tableColumns(persistTo: string, tables: readonly string[]): ReadonlyMap<string, string[]> {
  const rows = d1Execute(persistTo, {
    command: `SELECT m.name AS t, p.name AS c FROM sqlite_master AS m, pragma_table_info(m.name) AS p WHERE m.type = 'table' AND m.name IN (${tables.map((t) => `'${t}'`).join(', ')}) ORDER BY m.name, p.cid`,
  });
  const out = new Map<string, string[]>(tables.map((t) => [t, []]));
  for (const r of rows) out.get(String(r.t))?.push(String(r.c));
  return out;
}

/**
 * Copies the template's API, revision and deployment rows as /bulk<from>…/bulk<to>: three statements
 * in one wrangler process (six before 2026-12-02, each of which started its own).
 */
function cloneApi(
  persistTo: string,
  columns: ReadonlyMap<string, string[]>,
  apiId: string,
  revisionId: string,
  from: number,
  to: number,
): void {
  const statements: string[] = [];
  const copy = (table: string, replaced: Record<string, string>, where: string) => {
    const names = columns.get(table) ?? [];
    if (names.length === 0) throw new Error(`no columns read for ${table}`);
    const select = names.map((c) => replaced[c] ?? c).join(', ');
    statements.push(
      `WITH RECURSIVE seq(n) AS (SELECT ${from} UNION ALL SELECT n + 1 FROM seq WHERE n < ${to}) INSERT INTO ${table} (${names.join(', ')}) SELECT ${select} FROM seq, ${table} WHERE ${where};`,
    );
  };
  copy('apis', { id: `'api_bulk' || n`, name: `'Bulk ' || n`, context: `'/bulk' || n`, is_default_version: '0' }, `id = '${apiId}'`);
  copy(
    'revisions',
    {
      id: `'rev_bulk' || n`,
      api_id: `'api_bulk' || n`,
      definition: `json_set(definition, '$.context', '/bulk' || n, '$.name', 'Bulk ' || n)`,
    },
    `id = '${revisionId}'`,
  );
  copy(
    'deployments',
    { id: `'dep_bulk' || n`, api_id: `'api_bulk' || n`, revision_id: `'rev_bulk' || n` },
    `api_id = '${apiId}' AND environment_id = 'env_production'`,
  );
  d1ExecuteStatements(persistTo, statements);
}

/**
 * Writes `snapshot` inline as the production row, as a control plane before decision 0034 did (local
 * D1 has no 2,000,000-byte row cap; deployed, a row above it is refused). Returns the encoded size.
 */
async function writeWholeRow(persistTo: string, scratch: string, snapshot: GatewaySnapshot): Promise<number> {
  const encoded = await encodeSnapshot(snapshot);
  // D1 caps one SQL statement at 100 kB: the body goes in as a string built up in pieces.
  const statements: string[] = [];
  for (let i = 0; i < encoded.length; i += 90_000)
    statements.push(
      `UPDATE gateway_snapshots SET body = ${i === 0 ? '' : 'body || '}'${encoded.slice(i, i + 90_000)}' WHERE environment_id = 'env_production';`,
    );
  statements.push(`UPDATE gateway_snapshots SET version = ${snapshot.version} WHERE environment_id = 'env_production';`);
  const file = join(scratch, 'whole.sql');
  writeFileSync(file, statements.join('\n') + '\n');
  d1Execute(persistTo, { file });
  return encoded.length;
}

/** Figures as Markdown, for bench/README.md and decision 0034. */
export function snapshotScaleTable(result: SnapshotScale): string {
  const g = result.github;
  return [
    '',
    `| GitHub's description (${(g.documentBytes / 1e6).toFixed(1)} MB, ${g.operations} operations) | import ms | export ms | deploy ms | its shard (gzip) | head | cold first call ms | warm call ms |`,
    '|---|---|---|---|---|---|---|---|',
    `| through the control plane and the gateway | ${g.importMs} | ${g.exportMs} | ${g.deployMs} | ${g.shardBytes} B | ${g.headBytes} B | ${g.coldFirstCallMs} | ${g.warmCallMs} |`,
    '',
    '| deployed APIs | publish ms | head (D1) | shards | shard read | cold first call ms | warm ms | added ms | of which one shard (warm isolate) ms | workerd RSS MB before → after | before: whole row | its cold first call ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...result.coldIsolates.map(
      (c) =>
        `| ${c.apis.toLocaleString('en')} | ${c.publishMs} | ${c.headBytes} B | ${c.shards} | ${c.shardBytes} B | ${c.firstCallMs} | ${c.warmCallMs} | ${c.addedMs} | ${c.shardReadMs ?? '—'} | ${c.rssMbBefore} → ${c.rssMbAfter} | ${c.wholeRow === null ? 'not measured' : `${c.wholeRow.bytes} B`} | ${c.wholeRow?.firstCallMs ?? '—'} |`,
    ),
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await measureSnapshotScale({ smoke: process.argv.includes('--smoke'), wholeRow: process.argv.includes('--whole-row') });
  process.stdout.write(JSON.stringify(result, null, 2) + '\n' + snapshotScaleTable(result) + '\n');
}
