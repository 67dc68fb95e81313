import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/platform.ts';
import { usePlatform } from '../support/platform.ts';

const BIN = join(ROOT, 'cli/turnpike.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** APIs as code, end to end: the `turnpike` bin against the running control plane and gateway. */
describe('turnpike CLI', () => {
  const { controlPlaneUrl, gatewayUrl, demoBackendUrl, demo } = usePlatform();
  const work = mkdtempSync(join(tmpdir(), 'turnpike-cli-'));
  const configDir = join(work, 'config');
  const project = join(work, 'orders');
  // Only what the test passes: a developer's own login or TURNPIKE_* variables must not leak in.
  const env: Record<string, string | undefined> = { ...process.env, TURNPIKE_CONFIG_DIR: configDir };
  for (const name of ['TURNPIKE_URL', 'TURNPIKE_TOKEN', 'TURNPIKE_PASSWORD']) delete env[name];

  function turnpike(args: string[], extraEnv: Record<string, string> = {}, cwd = project): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, ...extraEnv } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }
  const json = (run: Run) => JSON.parse(run.stdout) as Record<string, unknown>;
  const editProject = (from: string | RegExp, to: string) => {
    const file = join(project, 'turnpike.yaml');
    const text = readFileSync(file, 'utf8');
    const next = text.replace(from, to);
    expect(next).not.toBe(text);
    writeFileSync(file, next);
  };
  const health = () => fetch(`${gatewayUrl}/cli-orders/v1/health`).then(async (r) => ({ status: r.status, body: await r.text() }));

  it('logs in with a scoped token kept in the config folder, never in the project', async () => {
    const run = await turnpike(
      ['login', '--url', controlPlaneUrl, '--email', demo.users.publisher.email, '--json'],
      { TURNPIKE_PASSWORD: demo.users.publisher.password },
      work,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(json(run).scopes).toEqual(['api:view', 'api:create', 'api:publish', 'api:deploy']);
    const file = join(configDir, 'credentials.json');
    expect(statSync(file).mode & 0o077).toBe(0);
    expect(readFileSync(file, 'utf8')).toMatch(/"token": "tpm_/);

    const wrong = await turnpike(
      ['login', '--url', controlPlaneUrl, '--email', demo.users.publisher.email],
      { TURNPIKE_PASSWORD: 'not-the-password' },
      work,
    );
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/401/);
  });

  it('init writes the control plane of the login profile and a backend beside it, and overwrites only with --force', async () => {
    const other = join(work, 'from-profile');
    const first = await turnpike(['init', '--dir', other, '--json'], {}, work);
    expect(first.code, first.stderr).toBe(0);
    expect(json(first)).toMatchObject({ controlPlane: controlPlaneUrl, backend: `${demoBackendUrl}/echo` });
    expect(readFileSync(join(other, 'turnpike.yaml'), 'utf8')).toContain(`controlPlane: ${controlPlaneUrl}`);
    const again = await turnpike(['init', '--dir', other], {}, work);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/--force/);
    expect((await turnpike(['init', '--dir', other, '--force', '--name', 'Replaced'], {}, work)).code).toBe(0);
    expect(readFileSync(join(other, 'turnpike.yaml'), 'utf8')).toContain('name: Replaced');
  });

  it('init → validate → apply (dry run, then for real) → apply again changes nothing', async () => {
    const init = await turnpike(
      ['init', '--dir', project, '--context', '/cli-orders', '--backend', `${demoBackendUrl}/echo`, '--control-plane', controlPlaneUrl],
      {},
      work,
    );
    expect(init.code, init.stderr).toBe(0);
    expect((await turnpike(['validate'])).code).toBe(0);

    const dry = await turnpike(['apply', '--dry-run', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(json(dry)).toMatchObject({ applied: false, dryRun: true });
    expect(json(await turnpike(['diff', '--json']))).toMatchObject({ exists: false });

    const applied = await turnpike(['apply', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(json(applied)).toMatchObject({ applied: true });
    // Re-applying leaves the API untouched: no request that writes, so not even updatedAt moves.
    const { token } = (
      JSON.parse(readFileSync(join(configDir, 'credentials.json'), 'utf8')) as { profiles: Record<string, { token: string }> }
    ).profiles.default ?? { token: '' };
    const read = () =>
      fetch(`${controlPlaneUrl}/api/publisher/v1/apis/${String(json(applied).apiId)}`, {
        headers: { authorization: `Bearer ${token}` },
      }).then((r) => r.json() as Promise<{ updatedAt: number; lifecycleState: string }>);
    const before = await read();
    expect(before.lifecycleState).toBe('PUBLISHED');
    const again = await turnpike(['apply', '--json']);
    expect(again.code).toBe(0);
    expect(json(again)).toMatchObject({ applied: false, changes: [] });
    expect((await read()).updatedAt).toBe(before.updatedAt);
    const diff = await turnpike(['diff', '--exit-code']);
    expect(diff.code).toBe(0);
    expect(diff.stdout).toMatch(/No changes/);
  });

  it('deploy → the gateway serves the API; unauthenticated calls to secured resources get 401', async () => {
    const deployed = await turnpike(['deploy', '--json']);
    expect(deployed.code, deployed.stderr).toBe(0);
    expect(json(deployed)).toMatchObject({ revision: { number: 1 }, environments: ['production'] });
    const open = await health();
    expect(open.status).toBe(200);
    expect(JSON.parse(open.body)).toMatchObject({ method: 'GET', path: '/echo/health' });
    expect((await fetch(`${gatewayUrl}/cli-orders/v1/items`)).status).toBe(401);
  });

  it('a tier changed in the file shows in diff, and apply makes it so', async () => {
    editProject('subscriptionTiers: [Gold, Silver, Bronze]', 'subscriptionTiers: [Gold]');
    const diff = await turnpike(['diff', '--exit-code']);
    expect(diff.code).toBe(3);
    expect(diff.stdout).toContain('~ subscriptionTiers: ["Gold","Silver","Bronze"] -> ["Gold"]');
    // A revision of what nobody applied is refused.
    const early = await turnpike(['deploy']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/run turnpike apply first/);
    expect((await turnpike(['apply'])).code).toBe(0);
    expect((await turnpike(['diff', '--exit-code'])).code).toBe(0);
  });

  it('deploy a change, then rollback restores what the gateway served before', async () => {
    editProject(/GET \/health:\n {6}authType: none/, 'GET /health:\n      authType: oauth2');
    expect((await turnpike(['apply'])).code).toBe(0);
    const deployed = await turnpike(['deploy', '-m', 'health needs a token', '--json']);
    expect(json(deployed)).toMatchObject({ revision: { number: 2 } });
    expect((await health()).status).toBe(401);

    const rolled = await turnpike(['rollback', '--json']);
    expect(rolled.code, rolled.stderr).toBe(0);
    expect(json(rolled)).toMatchObject({ rolledBack: [{ environment: 'production', from: 2, to: 1 }] });
    expect((await health()).status).toBe(200);

    const status = json(await turnpike(['status', '--json']));
    expect(status).toMatchObject({
      lifecycleState: 'PUBLISHED',
      latestRevision: 2,
      gateways: [{ environment: 'production', revision: 1 }],
      pendingChanges: 0,
    });
  });

  it('export writes project files that re-apply to no change', async () => {
    const out = join(work, 'exported');
    const exported = await turnpike(['export', '/cli-orders', 'v1', '--dir', out, '--url', controlPlaneUrl], {}, work);
    expect(exported.code, exported.stderr).toBe(0);
    const diff = await turnpike(['diff', '--exit-code', '--dir', out], {}, work);
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  });

  it('endpoint security from ${env.…} reaches the backend through the gateway and is never printed', async () => {
    editProject(/GET \/health:\n {6}authType: oauth2/, 'GET /health:\n      authType: none');
    editProject(
      'production: ${params.backend}',
      'production:\n      urls: [{ url: "${params.backend}" }]\n      security: { type: header, name: X-Orders-Secret, value: "${env.ORDERS_SECRET}" }',
    );
    const secret = { ORDERS_SECRET: 'orders-secret-8812' };
    const applied = await turnpike(['apply'], secret);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout + applied.stderr).not.toContain('orders-secret-8812');
    expect((await turnpike(['diff', '--exit-code'], secret)).code).toBe(0);
    expect((await turnpike(['deploy'], secret)).code).toBe(0);
    const echoed = await health();
    expect(JSON.parse(echoed.body)).toMatchObject({ headers: { 'x-orders-secret': 'orders-secret-8812' } });
    // Without the variable the project does not resolve, naming the field.
    const missing = await turnpike(['diff']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/api\.endpoints\.production\.security\.value: The environment variable ORDERS_SECRET is not set/);
  });

  it('bad files are refused naming the file, the line and the field', async () => {
    editProject('  tags: [example]', '  tags: [example]\n  colour: red');
    const unknown = await turnpike(['validate'], { ORDERS_SECRET: 'x' });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('turnpike.yaml:9 api.colour: Unknown field colour');
    editProject('\n  colour: red', '');

    editProject('url: "${params.backend}"', 'url: "${params.upstream}"');
    const param = await turnpike(['validate', '--json'], { ORDERS_SECRET: 'x' });
    expect(param.code).toBe(1);
    expect(json(param).problems).toEqual([
      {
        file: 'turnpike.yaml',
        line: 19,
        field: 'api.endpoints.production.urls[0].url',
        message: "No parameter upstream in this environment's params",
      },
    ]);
    editProject('${params.upstream}', '${params.backend}');

    editProject('subscriptionTiers: [Gold]', 'subscriptionTiers: [Gold, Platinum]');
    const refused = await turnpike(['apply'], { ORDERS_SECRET: 'orders-secret-8812' });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('turnpike.yaml:11 api.subscriptionTiers[1]: No subscription tier named Platinum');

    const usage = await turnpike(['rollback', '--to', 'yesterday']);
    expect(usage.code).toBe(2);
  });

  it('a request-validation policy in turnpike.yaml reaches the gateway: a call the OpenAPI operation refuses gets 400 naming the field, a good one goes through', async () => {
    editProject('subscriptionTiers: [Gold, Platinum]', 'subscriptionTiers: [Gold]');
    editProject(/GET \/health:\n {6}authType: none/, 'GET /health:\n      authType: none\n      policies: [{ name: request-validation }]');
    const definition = join(project, 'openapi.yaml');
    writeFileSync(
      definition,
      readFileSync(definition, 'utf8').replace(
        'summary: Liveness, open to everyone',
        'summary: Liveness, open to everyone\n      parameters:\n        - { name: verbose, in: query, schema: { type: boolean } }',
      ),
    );
    const secret = { ORDERS_SECRET: 'orders-secret-8812' };
    const applied = await turnpike(['apply'], secret);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await turnpike(['diff', '--exit-code'], secret)).code).toBe(0);
    expect((await turnpike(['deploy'], secret)).code).toBe(0);
    const refused = await fetch(`${gatewayUrl}/cli-orders/v1/health?verbose=maybe`);
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { errors: Array<{ pointer: string }> }).errors.map((e) => e.pointer)).toEqual(['/query/verbose']);
    expect((await health()).status).toBe(200);
    expect((await fetch(`${gatewayUrl}/cli-orders/v1/health?verbose=true`)).status).toBe(200);
  });

  it('a response-cache policy in turnpike.yaml reaches the gateway: the second call of an operation is answered from the cache', async () => {
    editProject(
      'policies: [{ name: request-validation }]',
      'policies: [{ name: request-validation }, { name: response-cache, config: { ttlSeconds: 60 } }]',
    );
    const secret = { ORDERS_SECRET: 'orders-secret-8812' };
    const applied = await turnpike(['apply'], secret);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await turnpike(['diff', '--exit-code'], secret)).code).toBe(0);
    expect((await turnpike(['deploy'], secret)).code).toBe(0);
    const url = `${gatewayUrl}/cli-orders/v1/health?from=cli`;
    const first = await fetch(url);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const firstBody = await first.text();
    // The miss is stored after its answer has gone (waitUntil).
    await new Promise((r) => setTimeout(r, 500));
    const second = await fetch(url);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(await second.text()).toBe(firstBody);
  });

  it('mock and header-edits policies in turnpike.yaml reach the gateway: the operation is answered with no backend call, with the headers the policy sets, and a bad config is refused naming its line', async () => {
    const secret = { ORDERS_SECRET: 'orders-secret-8812' };
    editProject(
      'policies: [{ name: request-validation }, { name: response-cache, config: { ttlSeconds: 60 } }]',
      'policies: [{ name: header-edits, config: { response: { set: { x-edited: cli } } } }, { name: mock, config: { status: "203", body: { mocked: true } } }]',
    );
    const applied = await turnpike(['apply'], secret);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await turnpike(['diff', '--exit-code'], secret)).code).toBe(0);
    expect((await turnpike(['deploy'], secret)).code).toBe(0);
    const mocked = await fetch(`${gatewayUrl}/cli-orders/v1/health`);
    expect(mocked.status).toBe(203);
    expect(mocked.headers.get('x-turnpike-mock')).toBe('fixed');
    expect(mocked.headers.get('x-edited')).toBe('cli');
    expect(await mocked.json()).toEqual({ mocked: true });

    editProject('status: "203"', 'status: "2000"');
    const refused = await turnpike(['apply'], secret);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/turnpike\.yaml:\d+ .*policies.*status/);
  });
});
