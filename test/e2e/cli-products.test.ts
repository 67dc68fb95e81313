import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../scripts/lib/platform.ts';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { publishApi } from './support.ts';

const BIN = join(ROOT, 'cli/turnpike.mjs');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

interface Product {
  id: string;
  context: string;
  description: string;
  lifecycleState: string;
  operations: Array<{ apiId: string; method: string; path: string }>;
}

/** API products as code (decision 0049): a `products` list in turnpike.yaml, applied after the API. */
describe('turnpike CLI: API products', () => {
  const { controlPlaneUrl, demoBackendUrl, demo } = usePlatform();
  const work = mkdtempSync(join(tmpdir(), 'turnpike-cli-products-'));
  const project = join(work, 'shop');
  mkdirSync(project);
  const env: Record<string, string | undefined> = { ...process.env, TURNPIKE_CONFIG_DIR: join(work, 'config') };
  for (const name of ['TURNPIKE_URL', 'TURNPIKE_TOKEN', 'TURNPIKE_PASSWORD']) delete env[name];
  const stamp = Date.now().toString(36);
  const context = `/cli-shop${stamp}`;
  const otherContext = `/cli-billing${stamp}`;
  const productContext = `/cli-bundle${stamp}`;

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
  const yaml = (description: string) => `api:
  name: CLI Shop
  context: ${context}
  version: v1
  definition: openapi.json
  lifecycle: PUBLISHED
  subscriptionTiers: [Unlimited]
  endpoints:
    production: ${demoBackendUrl}
products:
  - name: CLI Bundle
    context: ${productContext}
    version: v1
    description: ${description}
    subscriptionTiers: [Unlimited]
    lifecycle: PUBLISHED
    operations:
      - GET /items
      - api: ${otherContext} v1
        operation: GET /items
environments:
  local:
    controlPlane: ${controlPlaneUrl}
    gateways: [production]
`;

  it('creates and publishes a product bundling an operation of the project API and one of another API, re-applies to no change, and applies a changed field', async () => {
    const publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, [
      'api:create',
      'api:publish',
      'api:deploy',
      'api:view',
    ]);
    const other = await publishApi(publisher, {
      name: `CLI Billing ${stamp}`,
      context: otherContext,
      version: 'v1',
      subscriptionTiers: ['Unlimited'],
      resources: [{ method: 'GET', path: '/items', authType: 'oauth2' }],
      endpoints: { production: { urls: [{ url: demoBackendUrl }] } },
    });
    writeFileSync(
      join(project, 'openapi.json'),
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 'CLI Shop', version: 'v1' },
        paths: {
          '/items': { get: { responses: { '200': { description: 'Items' } } }, post: { responses: { '201': { description: 'Made' } } } },
        },
      }),
    );
    writeFileSync(join(project, 'turnpike.yaml'), yaml('First'));
    const login = await turnpike(['login', '--url', controlPlaneUrl, '--email', demo.users.publisher.email], {
      TURNPIKE_PASSWORD: demo.users.publisher.password,
    });
    expect(login.code, login.stderr).toBe(0);

    const dry = await turnpike(['apply', '--dry-run']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain(`+ product CLI Bundle ${productContext} v1`);
    const applied = await turnpike(['apply']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(`+ product CLI Bundle ${productContext} v1: 2 operation(s), PUBLISHED`);
    const products = async () =>
      (await publisher.expect<{ list: Product[] }>([200], 'GET', '/api/publisher/v1/products')).body.list.find(
        (p) => p.context === productContext,
      );
    const created = await products();
    const shop = await publisher.expect<{ list: Array<{ id: string; context: string }> }>(
      [200],
      'GET',
      `/api/publisher/v1/apis?query=${encodeURIComponent(context)}`,
    );
    const shopId = shop.body.list.find((a) => a.context === context)?.id;
    expect(created?.lifecycleState).toBe('PUBLISHED');
    expect(created?.operations.map((o) => [o.apiId, o.method, o.path])).toEqual([
      [shopId, 'GET', '/items'],
      [other, 'GET', '/items'],
    ]);

    const again = await turnpike(['apply']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('No changes');
    expect(again.stdout).not.toContain('product');

    writeFileSync(join(project, 'turnpike.yaml'), yaml('Second'));
    const changed = await turnpike(['apply']);
    expect(changed.code, changed.stderr).toBe(0);
    expect(changed.stdout).toContain(`~ product CLI Bundle ${productContext} v1: description`);
    expect((await products())?.description).toBe('Second');
  });
});
