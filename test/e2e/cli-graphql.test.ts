import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildClientSchema, getIntrospectionQuery, printSchema, type IntrospectionQuery } from 'graphql';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/platform.ts';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken } from './support.ts';

const BIN = join(ROOT, 'cli/turnpike.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** A GraphQL API as code: turnpike.yaml with `type: GRAPHQL` and its schema in a .graphql file beside it. */
describe('turnpike CLI: a GraphQL API', () => {
  const { controlPlaneUrl, gatewayUrl, demoBackendUrl, demo } = usePlatform();
  const work = mkdtempSync(join(tmpdir(), 'turnpike-cli-graphql-'));
  const project = join(work, 'books');
  mkdirSync(project);
  const env: Record<string, string | undefined> = { ...process.env, TURNPIKE_CONFIG_DIR: join(work, 'config') };
  for (const name of ['TURNPIKE_URL', 'TURNPIKE_TOKEN', 'TURNPIKE_PASSWORD']) delete env[name];
  const context = `/cli-books${Date.now().toString(36)}`;

  function turnpike(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: project, env: { ...env, ...extraEnv } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }
  const yaml = (maxDepth: number, extra = '') => `api:
  name: CLI Books
  context: ${context}
  version: v1
  type: GRAPHQL
  definition: schema.graphql
  lifecycle: PUBLISHED
  subscriptionTiers: [Unlimited]
  graphql:
    maxDepth: ${maxDepth}
    fieldScopes:
      Book.price: [books:price]
${extra}  endpoints:
    production: ${demoBackendUrl}/library/graphql
environments:
  local:
    controlPlane: ${controlPlaneUrl}
    gateways: [production]
`;

  it('applies a schema file and its limits, re-applies to no change, shows a changed limit in diff and deploys it to the gateway', async () => {
    const introspected = (await (
      await fetch(`${demoBackendUrl}/library/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: getIntrospectionQuery() }),
      })
    ).json()) as { data: IntrospectionQuery };
    writeFileSync(join(project, 'schema.graphql'), printSchema(buildClientSchema(introspected.data)));
    writeFileSync(join(project, 'turnpike.yaml'), yaml(3));
    const login = await turnpike(['login', '--url', controlPlaneUrl, '--email', demo.users.publisher.email], {
      TURNPIKE_PASSWORD: demo.users.publisher.password,
    });
    expect(login.code, login.stderr).toBe(0);

    // A coordinate the schema does not have is named in turnpike.yaml before anything is sent.
    writeFileSync(join(project, 'turnpike.yaml'), yaml(3).replace('Book.price', 'Book.isbn'));
    const invalid = await turnpike(['validate']);
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toMatch(/turnpike\.yaml.*no field Book\.isbn/s);
    writeFileSync(join(project, 'turnpike.yaml'), yaml(3));

    const applied = await turnpike(['apply', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const again = await turnpike(['apply', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: false, changes: [] });

    writeFileSync(join(project, 'turnpike.yaml'), yaml(2));
    const diff = await turnpike(['diff', '--exit-code']);
    expect(diff.code).toBe(3);
    expect(diff.stdout).toContain('~ graphql');
    expect((await turnpike(['apply'])).code).toBe(0);
    expect((await turnpike(['diff', '--exit-code'])).code).toBe(0);
    const deployed = await turnpike(['deploy', '--json']);
    expect(deployed.code, deployed.stderr).toBe(0);

    const anon = new Client(controlPlaneUrl);
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:view']);
    const found = await publisher.expect<{ list: Array<{ id: string; context: string }> }>(
      [200],
      'GET',
      `/api/publisher/v1/apis?query=${encodeURIComponent('CLI Books')}`,
    );
    const apiId = found.body.list.find((a) => a.context === context)?.id ?? '';
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: demo.application.id,
      apiId,
      tier: 'Unlimited',
    });
    const token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
    const ask = (query: string) =>
      fetch(`${gatewayUrl}${context}/v1`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query }),
      });
    expect((await ask('{ books(first: 1) { title } }')).status).toBe(200);
    // maxDepth 2, as the file now says.
    const deep = await ask('{ books { author { name } } }');
    expect(deep.status).toBe(400);
    expect(((await deep.json()) as { limit: string }).limit).toBe('maxDepth');

    // Exported, the API is a schema file and a project that re-applies to no change.
    const exported = join(work, 'exported');
    const ex = await turnpike(['export', context, 'v1', '--dir', exported]);
    expect(ex.code, ex.stderr).toBe(0);
    expect(readFileSync(join(exported, 'schema.graphql'), 'utf8')).toContain('type Book {');
    expect(readFileSync(join(exported, 'turnpike.yaml'), 'utf8')).toMatch(
      /type: GRAPHQL[\s\S]*definition: schema\.graphql[\s\S]*maxDepth: 2/,
    );
    const same = await turnpike(['diff', '--exit-code', '--dir', exported]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    // Eleven CLI runs, each a Node start on a shared machine: the suite's 60 s is for one step.
  }, 600_000);
});
