import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ROOT } from '../../scripts/lib/platform.ts';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken } from './support.ts';

const BIN = join(ROOT, 'cli/turnpike.mjs');

/** A WebSocket API as code: its channels read from an AsyncAPI document by `@asyncapi/parser` in the CLI (decision 0042). */
describe('turnpike CLI with an AsyncAPI definition', () => {
  const { controlPlaneUrl, gatewayUrl, demoBackendUrl, demo } = usePlatform();
  const work = mkdtempSync(join(tmpdir(), 'turnpike-asyncapi-'));
  const project = join(work, 'chat');
  const context = `/cli-chat${Date.now().toString(36)}`;
  const env: Record<string, string | undefined> = { ...process.env, TURNPIKE_CONFIG_DIR: join(work, 'config') };
  for (const name of ['TURNPIKE_URL', 'TURNPIKE_TOKEN', 'TURNPIKE_PASSWORD']) delete env[name];

  const turnpike = (args: string[], extraEnv: Record<string, string> = {}, cwd = project) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, ...extraEnv } });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });

  it('applies and deploys a WS API whose resources are the AsyncAPI 3 channels, and its channel echoes through the gateway', async () => {
    mkdirSync(project, { recursive: true });
    const login = await turnpike(
      ['login', '--url', controlPlaneUrl, '--email', demo.users.publisher.email],
      { TURNPIKE_PASSWORD: demo.users.publisher.password },
      work,
    );
    expect(login.code, login.stderr).toBe(0);
    writeFileSync(
      join(project, 'asyncapi.yaml'),
      `asyncapi: 3.0.0
info:
  title: Chat
  version: 1.0.0
channels:
  echo:
    address: /echo
  rooms:
    address: rooms/{roomId}
    parameters:
      roomId: {}
`,
    );
    writeFileSync(
      join(project, 'turnpike.yaml'),
      `api:
  type: WS
  name: CLI Chat
  context: ${context}
  version: v1
  definition: asyncapi.yaml
  subscriptionTiers: [Unlimited]
  lifecycle: PUBLISHED
  streaming:
    maxConnectionsPerSubscription: 5
  endpoints:
    production: ${demoBackendUrl}/ws
environments:
  local:
    controlPlane: ${controlPlaneUrl}
    gateways: [production]
`,
    );
    const validated = await turnpike(['validate']);
    expect(validated.code, validated.stderr).toBe(0);
    expect(validated.stdout).toContain('2 resources from');
    const applied = await turnpike(['apply', '--json']);
    expect(applied.code, applied.stderr).toBe(0);
    const apiId = String((JSON.parse(applied.stdout) as { apiId: string }).apiId);
    // Re-applying changes nothing: there is no OpenAPI document to differ.
    const again = await turnpike(['apply', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: false, changes: [] });
    const deployed = await turnpike(['deploy', '--json']);
    expect(deployed.code, deployed.stderr).toBe(0);

    const anon = new Client(controlPlaneUrl);
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:view']);
    const api = (
      await publisher.expect<{ type: string; resources: Array<{ method: string; path: string }> }>(
        [200],
        'GET',
        `/api/publisher/v1/apis/${apiId}`,
      )
    ).body;
    expect(api.type).toBe('WS');
    expect(api.resources.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /echo', 'GET /rooms/{roomId}']);

    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: demo.application.id,
      apiId,
      tier: 'Unlimited',
    });
    const token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
    const socket = new WebSocket(`${gatewayUrl.replace(/^http/, 'ws')}${context}/v1/echo`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const reply = new Promise<string>((resolve) => socket.once('message', (d: Buffer) => resolve(d.toString())));
    socket.send('from an AsyncAPI channel');
    expect(await reply).toBe('from an AsyncAPI channel');
    socket.close();
    // Five CLI runs, each loading the AsyncAPI parser (about 1.5 s of imports alone on a busy machine).
  }, 240_000);
});
