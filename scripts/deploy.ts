/**
 * `npm run deploy`: the whole platform onto a Cloudflare account with wrangler, in dependency order,
 * printing what it does. Re-running it reuses what exists (database, queue, secrets).
 *
 *   npm run deploy -- [--issuer https://api.example.com] [--gateway-url https://gw.example.com]
 *                     [--gateway-env <wrangler env>]... [--add-signing-key] [--dry-run]
 *
 * Gateway environments: the top level of wrangler.toml (production) and every `[env.X]` section
 * (today `internal`); `--gateway-env X` limits the run to the named ones.
 *
 * 1. D1 database `turnpike`: reused when it exists, else created; its id is written into both
 *    wrangler.toml files (commit them).
 * 2. The queues (usage events, tier fan-out), the R2 bucket (snapshot shards, large documents);
 *    the D1 migrations, remotely.
 * 3. Secrets that are missing are generated and uploaded with the deploy (`--secrets-file`); the
 *    bootstrap token is printed once.
 * 4. The Traffic Manager (workers/traffic-manager: the counter Durable Objects every other Worker
 *    binds with script_name), then the gateway once per gateway environment.
 * 5. The control plane, with ISSUER set to its public origin. 6. The portal on Pages.
 * 7. `--add-signing-key`: a new token-signing key. The control plane keeps its keys in D1 and
 *    adopts the SIGNING_KEYS secret's keys into it (decision 0038), so the run first makes it load the
 *    current secret (GET /oauth2/jwks), then replaces the secret with the new key alone: the control
 *    plane publishes it (JWKS, every gateway snapshot) without letting it sign. An admin activates it
 *    once SIGNING_KEY_PUBLISH_SECONDS have passed (portal: Admin → Signing keys); the old key then
 *    retires by itself after the longest token lifetime.
 *
 * `--dry-run` needs no account: it bundles every Worker exactly as a deploy would
 * (`wrangler deploy --dry-run`), builds the portal's Pages Functions and lists the account steps it
 * would take. It is part of `npm test`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { privateJwk, randomBase64url } from './lib/keys.ts';
import { ROOT, WRANGLER, buildPortal } from './lib/platform.ts';

const GATEWAY_TOML = 'wrangler.toml';
const CONTROL_PLANE_TOML = 'workers/control-plane/wrangler.toml';
const TRAFFIC_MANAGER_TOML = 'workers/traffic-manager/wrangler.toml';
const DATABASE = 'turnpike';
/** Usage events (gateway), and tier edits fanned out to subscriptions (control plane). */
const QUEUES = ['turnpike-usage', 'turnpike-sync'];
/** Snapshot shards and documents too large for a D1 row (decisions 0034, 0035): BLOBS in both wrangler.toml files. */
const BUCKET = 'turnpike-blobs';
const PAGES_PROJECT = 'turnpike-portal';

const { values: flags } = parseArgs({
  options: {
    'dry-run': { type: 'boolean', default: false },
    issuer: { type: 'string' },
    'gateway-url': { type: 'string' },
    'gateway-env': { type: 'string', multiple: true, default: [] },
    'add-signing-key': { type: 'boolean', default: false },
  },
});
const dryRun = flags['dry-run'];
const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', ...(dryRun ? { CI: 'true' } : {}) };

function wrangler(
  args: string[],
  options: { cwd?: string; input?: string; quiet?: boolean } = {},
): { ok: boolean; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [WRANGLER, ...args], {
    cwd: options.cwd ?? ROOT,
    env,
    encoding: 'utf8',
    input: options.input,
  });
  return { ok: result.status === 0, stdout: result.stdout ?? '', stderr: result.stderr ?? '' };
}

function must(what: string, run: { ok: boolean; stdout: string; stderr: string }): string {
  if (!run.ok) {
    console.error(`FAILED: ${what}\n${run.stdout}\n${run.stderr}`);
    process.exit(1);
  }
  return run.stdout;
}

const signingKeys = async () => `[${await privateJwk(`k-${Date.now().toString(36)}`)}]`;
const backendJwtKey = () => privateJwk(`gw-${Date.now().toString(36)}`);

// One value for both Workers (the control plane seals endpoint credentials, the gateway opens them),
// generated once per run; a deployment where only one Worker has it cannot be repaired from here.
let encryptionKey: string | undefined;
const sharedEncryptionKey = () => (encryptionKey ??= randomBase64url(32));

const SECRETS: Array<{ config: string; name: string; make: () => Promise<string> | string; show?: boolean }> = [
  { config: GATEWAY_TOML, name: 'BACKEND_JWT_KEY', make: backendJwtKey },
  { config: GATEWAY_TOML, name: 'ENCRYPTION_KEY', make: sharedEncryptionKey },
  { config: CONTROL_PLANE_TOML, name: 'SIGNING_KEYS', make: signingKeys },
  { config: CONTROL_PLANE_TOML, name: 'ENCRYPTION_KEY', make: sharedEncryptionKey },
  { config: CONTROL_PLANE_TOML, name: 'BOOTSTRAP_TOKEN', make: () => randomBase64url(24), show: true },
];

/** `[env.X]` sections of the gateway's wrangler.toml: one gateway environment each. */
function gatewayEnvSections(): string[] {
  return [...readFileSync(join(ROOT, GATEWAY_TOML), 'utf8').matchAll(/^\[env\.([A-Za-z0-9_-]+)\]\s*$/gm)]
    .map((m) => m[1] ?? '')
    .filter((e) => e !== '');
}

function gatewayTargets(): Array<{ label: string; environment: string; worker: string; args: string[] }> {
  const wanted = flags['gateway-env'];
  // [env.X] serves the gateway environment X as the Worker turnpike-gateway-X (wrangler.toml).
  const all = [
    { label: 'gateway (production)', environment: 'production', worker: 'turnpike-gateway', args: [] as string[] },
    ...gatewayEnvSections().map((e) => ({ label: `gateway (${e})`, environment: e, worker: `turnpike-gateway-${e}`, args: ['--env', e] })),
  ];
  return wanted.length === 0 ? all : all.filter((t) => wanted.includes(t.environment));
}

function dryRunAll(): void {
  const out = mkdtempSync(join(tmpdir(), 'turnpike-dry-run-'));
  const steps: Array<{ name: string; args: string[]; cwd?: string }> = [
    { name: 'traffic-manager', args: ['deploy', '--dry-run', '-c', TRAFFIC_MANAGER_TOML, '--outdir', join(out, 'traffic-manager')] },
    ...gatewayTargets().map((t, i) => ({
      name: t.label,
      args: ['deploy', '--dry-run', '-c', GATEWAY_TOML, ...t.args, '--outdir', join(out, `gateway-${i}`)],
    })),
    { name: 'control-plane', args: ['deploy', '--dry-run', '-c', CONTROL_PLANE_TOML, '--outdir', join(out, 'control-plane')] },
    {
      name: 'demo-backend',
      args: ['deploy', '--dry-run', '-c', 'workers/demo-backend/wrangler.toml', '--outdir', join(out, 'demo-backend')],
    },
  ];
  if (existsSync(join(ROOT, 'portal-ui/functions')))
    steps.push({
      name: 'portal functions',
      args: ['pages', 'functions', 'build', 'functions', '--outdir', join(out, 'portal')],
      cwd: join(ROOT, 'portal-ui'),
    });
  let failed = 0;
  for (const step of steps) {
    const result = wrangler(step.args, { cwd: step.cwd });
    const size = /Total Upload: ([^\n]+)/.exec(result.stdout)?.[1];
    if (result.ok) console.log(`dry-run ok: ${step.name}${size === undefined ? '' : ` (${size.trim()})`}`);
    else {
      failed++;
      console.error(`dry-run FAILED: ${step.name}\n${result.stdout}\n${result.stderr}`);
    }
  }
  rmSync(out, { recursive: true, force: true });
  console.log(
    [
      'A real deploy would then, on your account:',
      `  reuse or create the D1 database ${DATABASE} and write its id into ${GATEWAY_TOML} and ${CONTROL_PLANE_TOML}`,
      `  create the queues ${QUEUES.join(', ')} and the R2 bucket ${BUCKET} unless they exist; apply d1-migrations/ remotely`,
      `  set the missing secrets: ${SECRETS.map((s) => s.name).join(', ')}`,
      `  deploy the traffic manager, ${gatewayTargets()
        .map((t) => t.label)
        .join(', ')}, then the control plane, then the portal (Pages project ${PAGES_PROJECT})`,
    ].join('\n'),
  );
  process.exit(failed === 0 ? 0 : 1);
}

/**
 * Secrets the Worker does not have yet, generated into a private temporary file for
 * `wrangler deploy --secrets-file` (uploaded with the version, additive: existing ones are kept).
 */
function secretNames(config: string, envArgs: string[]): string[] {
  const listed = wrangler(['secret', 'list', '-c', config, ...envArgs, '--format', 'json']);
  return listed.ok ? (JSON.parse(listed.stdout) as Array<{ name: string }>).map((x) => x.name) : [];
}

async function missingSecrets(config: string, have: readonly string[]): Promise<string[]> {
  const missing = SECRETS.filter((x) => x.config === config && !have.includes(x.name));
  if (missing.length === 0) return [];
  const values: Record<string, string> = {};
  for (const secret of missing) {
    values[secret.name] = await secret.make();
    console.log(
      `  generating the secret ${secret.name}${secret.show === true ? ` — keep it, it is shown once: ${values[secret.name]}` : ''}`,
    );
  }
  const file = join(mkdtempSync(join(tmpdir(), 'turnpike-secrets-')), 'secrets.json');
  writeFileSync(file, JSON.stringify(values), { mode: 0o600 });
  process.once('exit', () => rmSync(dirname(file), { recursive: true, force: true }));
  return ['--secrets-file', file];
}

function setDatabaseId(id: string): void {
  for (const file of [GATEWAY_TOML, CONTROL_PLANE_TOML]) {
    const path = join(ROOT, file);
    const text = readFileSync(path, 'utf8');
    const next = text.replace(/(database_name = "turnpike"\s*\n\s*database_id = )"[^"]*"/, `$1"${id}"`);
    if (next !== text) {
      writeFileSync(path, next);
      console.log(`  wrote database_id ${id} into ${file} (commit it)`);
    }
  }
}

/** The kids the control plane publishes now; loading them adopts the secret's keys into D1. */
async function publishedKids(issuer: string): Promise<string[]> {
  const res = await fetch(`${issuer}/oauth2/jwks`);
  if (!res.ok) throw new Error(`GET ${issuer}/oauth2/jwks answered ${res.status}`);
  return ((await res.json()) as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid);
}

async function addSigningKey(issuer: string | undefined): Promise<void> {
  if (issuer === undefined) {
    console.error("--add-signing-key needs the control plane's origin: pass --issuer");
    process.exit(1);
  }
  const before = await publishedKids(issuer);
  const kid = `k-${Date.now().toString(36)}`;
  must(
    'replacing SIGNING_KEYS',
    wrangler(['secret', 'put', 'SIGNING_KEYS', '-c', CONTROL_PLANE_TOML], { input: `[${await privateJwk(kid)}]` }),
  );
  // The new secret reaches the Worker with a new version; wait until the JWKS names the key.
  for (let i = 0; i < 30 && !(await publishedKids(issuer)).includes(kid); i++) await new Promise((r) => setTimeout(r, 2000));
  const after = await publishedKids(issuer);
  if (!after.includes(kid)) console.error(`  the JWKS does not name ${kid} yet; check GET ${issuer}/api/admin/v1/signing-keys`);
  else
    console.log(
      `  published the signing key ${kid} beside ${before.join(', ')}; activate it after SIGNING_KEY_PUBLISH_SECONDS (POST /api/admin/v1/signing-keys/${kid}/activate, or Admin → Signing keys in the portal)`,
    );
}

async function deployAll(): Promise<void> {
  const who = wrangler(['whoami']);
  if (/not authenticated/i.test(who.stdout + who.stderr)) who.ok = false;
  must('checking the Cloudflare login (run `npx wrangler login` first)', who);

  const databases = JSON.parse(must('listing D1 databases', wrangler(['d1', 'list', '--json']))) as Array<{ name: string; uuid: string }>;
  let id = databases.find((d) => d.name === DATABASE)?.uuid;
  if (id === undefined) {
    const created = must(`creating D1 ${DATABASE}`, wrangler(['d1', 'create', DATABASE]));
    id = /database_id\s*=\s*"([^"]+)"/.exec(created)?.[1] ?? /"database_id":\s*"([^"]+)"/.exec(created)?.[1];
    if (id === undefined) throw new Error(`could not read the new database's id from:\n${created}`);
    console.log(`created D1 ${DATABASE} (${id})`);
  } else console.log(`reusing D1 ${DATABASE} (${id})`);
  setDatabaseId(id);

  for (const name of QUEUES) {
    const queue = wrangler(['queues', 'create', name]);
    console.log(
      queue.ok
        ? `created the queue ${name}`
        : /already (exists|taken)/i.test(queue.stdout + queue.stderr)
          ? `reusing the queue ${name}`
          : must(`creating the queue ${name}`, queue),
    );
  }

  const bucket = wrangler(['r2', 'bucket', 'create', BUCKET]);
  console.log(
    bucket.ok
      ? `created the R2 bucket ${BUCKET}`
      : /already (exists|owned|taken)/i.test(bucket.stdout + bucket.stderr)
        ? `reusing the R2 bucket ${BUCKET}`
        : must(`creating the R2 bucket ${BUCKET}`, bucket),
  );

  must('applying migrations', wrangler(['d1', 'migrations', 'apply', DATABASE, '--remote', '-c', GATEWAY_TOML]));
  console.log('applied D1 migrations remotely');

  // Secrets cannot be read back: if one Worker already has ENCRYPTION_KEY and another has not, only
  // the operator can give the second the same value.
  // Each Worker's secrets are listed once, here, and reused when its missing ones are generated.
  const holders = [
    { label: 'control plane', config: CONTROL_PLANE_TOML, args: [] as string[] },
    ...gatewayTargets().map((t) => ({ label: t.label, config: GATEWAY_TOML, args: t.args })),
  ].map((w) => {
    const names = secretNames(w.config, w.args);
    return { ...w, names, has: names.includes('ENCRYPTION_KEY') };
  });
  const namesOf = (label: string) => holders.find((h) => h.label === label)?.names ?? [];
  if (holders.some((h) => h.has) && holders.some((h) => !h.has)) {
    console.error(
      `ENCRYPTION_KEY is set on ${holders
        .filter((h) => h.has)
        .map((h) => h.label)
        .join(', ')} but not on ${holders
        .filter((h) => !h.has)
        .map((h) => h.label)
        .join(', ')}: set the same value there with \`wrangler secret put ENCRYPTION_KEY\`, then run again.`,
    );
    process.exit(1);
  }

  // First: every gateway and the control plane bind its objects by script_name.
  must('deploying the Traffic Manager', wrangler(['deploy', '-c', TRAFFIC_MANAGER_TOML]));
  console.log('deployed the Traffic Manager');
  // Each environment's workers.dev URL, for the portal's curl lines and try-it proxy (GATEWAY_URLS).
  const gatewayUrls: Record<string, string> = {};
  for (const target of gatewayTargets()) {
    const output = must(
      `deploying the ${target.label}`,
      wrangler(['deploy', '-c', GATEWAY_TOML, ...target.args, ...(await missingSecrets(GATEWAY_TOML, namesOf(target.label)))]),
    );
    const url = new RegExp(`https://${target.worker}\\.[^\\s]+\\.workers\\.dev`).exec(output)?.[0];
    if (url !== undefined) gatewayUrls[target.environment] = url;
    console.log(`deployed the ${target.label}`);
  }
  let issuer = flags.issuer;
  const first = must(
    'deploying the control plane',
    wrangler([
      'deploy',
      '-c',
      CONTROL_PLANE_TOML,
      ...(issuer === undefined ? [] : ['--var', `ISSUER:${issuer}`]),
      ...(await missingSecrets(CONTROL_PLANE_TOML, namesOf('control plane'))),
    ]),
  );
  if (issuer === undefined) {
    issuer = /https:\/\/turnpike-control-plane\.[^\s]+\.workers\.dev/.exec(first)?.[0];
    if (issuer !== undefined) must('setting ISSUER', wrangler(['deploy', '-c', CONTROL_PLANE_TOML, '--var', `ISSUER:${issuer}`]));
  }
  console.log(`deployed the control plane${issuer === undefined ? ' (pass --issuer with its public origin)' : ` at ${issuer}`}`);
  if (flags['add-signing-key']) await addSigningKey(issuer);

  // The portal's curl lines name each gateway environment's public URL (portal-ui/wrangler.toml
  // GATEWAY_URL for production, GATEWAY_URLS for all), and its try-it proxy sends them as the host.
  const portalToml = join(ROOT, 'portal-ui/wrangler.toml');
  if (flags['gateway-url'] !== undefined) gatewayUrls['production'] = flags['gateway-url'];
  const gatewayUrl = gatewayUrls['production'];
  if (gatewayUrl !== undefined) {
    writeFileSync(
      portalToml,
      readFileSync(portalToml, 'utf8')
        .replace(/^GATEWAY_URL = ".*"$/m, `GATEWAY_URL = "${gatewayUrl}"`)
        .replace(/^GATEWAY_URLS = '.*'$/m, `GATEWAY_URLS = '${JSON.stringify(gatewayUrls)}'`),
    );
    console.log(
      `  wrote GATEWAY_URL ${gatewayUrl} and GATEWAY_URLS ${JSON.stringify(gatewayUrls)} into portal-ui/wrangler.toml (commit it)`,
    );
  } else console.log('  the portal still names http://127.0.0.1:8787 in its curl lines: pass --gateway-url');
  buildPortal((line) => console.log(line));
  wrangler(['pages', 'project', 'create', PAGES_PROJECT, '--production-branch', 'main'], { cwd: join(ROOT, 'portal-ui') });
  const pages = must(
    'deploying the portal',
    wrangler(['pages', 'deploy', 'dist', '--project-name', PAGES_PROJECT], { cwd: join(ROOT, 'portal-ui') }),
  );
  const portal = /https:\/\/[^\s]+\.pages\.dev/.exec(pages)?.[0];
  console.log(`deployed the portal${portal === undefined ? '' : ` at ${portal}`}`);
  console.log(
    '\nNext: create the first admin with POST /api/auth/bootstrap (header x-bootstrap-token), add the portal origin to ALLOWED_ORIGINS, and set the gateway environment hostnames in the admin API.',
  );
}

if (dryRun) dryRunAll();
else await deployAll();
