import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { ROOT, usePlatform } from '../support/platform.ts';
import { clientCredentialsToken } from './support.ts';

/** GitHub's public REST description (`@octokit/openapi`): 13 MB, 1,223 operations — beyond one D1 row. */
const GITHUB = JSON.parse(readFileSync(`${ROOT}/node_modules/@octokit/openapi/generated/api.github.com.json`, 'utf8')) as Record<
  string,
  unknown
>;

const { gatewayUrl, controlPlaneUrl, demo } = usePlatform();
const received: string[] = [];
let backend: Server;
let base = '';

beforeAll(async () => {
  backend = createServer((req, res) => {
    received.push(req.url ?? '');
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end(JSON.stringify({ served: req.url }));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => backend.close(() => r()));
});

describe("GitHub's OpenAPI description through the control plane and the gateway", () => {
  it(
    'imports the 13 MB description, exports it whole, deploys it and routes a deep operation to the backend',
    { timeout: 180_000 },
    async () => {
      const anon = new Client(controlPlaneUrl);
      const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
      const context = `/github${Date.now().toString(36)}`;
      const imported = await publisher.call<{ id: string; resources: Array<{ method: string; path: string }> }>(
        'POST',
        '/api/publisher/v1/apis/import',
        {
          definition: GITHUB,
          context,
          version: 'v3',
          subscriptionTiers: ['Unlimited'],
          endpoints: { production: { urls: [{ url: `${base}/gh` }] } },
        },
      );
      expect(imported.status).toBe(201);
      expect(imported.body.resources).toHaveLength(1223);
      const apiId = imported.body.id;

      const exported = await publisher.call<Record<string, unknown>>('GET', `/api/publisher/v1/apis/${apiId}/openapi`);
      expect(exported.status).toBe(200);
      expect(exported.body).toEqual(GITHUB);

      await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${apiId}/lifecycle`, { state: 'PUBLISHED' });
      const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${apiId}/revisions`, {});
      await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${apiId}/deployments`, {
        revisionId: revision.body.id,
        environments: ['production'],
      });
      const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
      await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
        applicationId: demo.application.id,
        apiId,
        tier: 'Unlimited',
      });
      const token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);

      // Five path parameters deep, next to literal siblings (`…/runs/{run_id}/jobs` vs `…/runs/{run_id}/logs`).
      const deep = await fetch(`${gatewayUrl}${context}/v3/repos/octo/hello/actions/runs/42/attempts/2/jobs?per_page=5`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(deep.status).toBe(200);
      expect(received).toContain('/gh/repos/octo/hello/actions/runs/42/attempts/2/jobs?per_page=5');
      // A method the description does not define for that path: 405 with the ones it does.
      const wrong = await fetch(`${gatewayUrl}${context}/v3/repos/octo/hello/actions/runs/42/attempts/2/jobs`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('GET');
    },
  );
});
