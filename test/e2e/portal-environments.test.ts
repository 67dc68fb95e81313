import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';

/**
 * The portal's try-it console against two gateway environments (production and internal, WSO2
 * deployment pattern 4): the Petstore is deployed to both, and the console reaches the one picked.
 */
const { portalUrl, controlPlaneUrl, demoBackendUrl, gatewayUrl, gatewayInternalUrl, demo } = usePlatform();
const { dialogs, signIn } = useBrowser(portalUrl);
const stamp = Date.now().toString(36);
const tryIt = { 'x-turnpike-try-it': '1' };

/** Swagger UI's console for GET /pets: executes it and returns the status it shows and the URL the browser asked. */
async function executePets(page: Page): Promise<{ status: string; body: string; url: string }> {
  const op = `#operations .opblock-get:has(.opblock-summary-path[data-path="/pets"])`;
  if ((await page.$(`${op}.is-open`)) === null) await page.click(`${op} .opblock-summary-control`);
  const clear = await page.$(`${op} button.btn-clear`);
  if (clear !== null) await clear.click();
  const [request] = await Promise.all([
    page.waitForRequest((r) => r.url().includes('/gateway/') && r.url().endsWith('/pets')),
    page.click(`${op} button.execute`),
  ]);
  const status = await page.waitForSelector(`${op} .live-responses-table tbody .response-col_status`);
  return {
    status: /\d{3}/.exec((await status.textContent()) ?? '')?.[0] ?? '',
    body: (await page.textContent(`${op} .live-responses-table tbody .response-col_description`)) ?? '',
    url: request.url(),
  };
}

describe('portal: one try-it console, several gateway environments', () => {
  it('names every environment in /portal-config and routes /gateway/<environment>/… to that environment’s gateway, refusing an unknown one', async () => {
    const config = (await (await fetch(`${portalUrl}/portal-config`)).json()) as {
      gatewayUrl: string;
      gatewayUrls: Record<string, string>;
    };
    expect(config).toEqual({ gatewayUrl, gatewayUrls: { production: gatewayUrl, internal: gatewayInternalUrl } });

    for (const environment of ['production', 'internal']) {
      const health = await fetch(`${portalUrl}/gateway/${environment}/_turnpike/health`, { headers: tryIt });
      expect(health.status, environment).toBe(200);
      expect(await health.json()).toMatchObject({ service: 'turnpike-gateway', environment });
      expect(health.headers.get('content-security-policy')).toContain('sandbox');
      // No credential: that gateway's own 401, forwarded inside the fence.
      const refused = await fetch(`${portalUrl}/gateway/${environment}${demo.api.context}/pets`, { headers: tryIt });
      expect(refused.status, environment).toBe(401);
      expect(refused.headers.get('www-authenticate')).not.toBeNull();
      expect(refused.headers.get('x-content-type-options')).toBe('nosniff');
    }
    for (const path of [
      '/gateway/staging/petstore/v1/pets',
      '/gateway/INTERNAL/petstore/v1/pets',
      '/gateway/',
      `/gateway${demo.api.context}/pets`,
    ]) {
      const unknown = await fetch(`${portalUrl}${path}`, { headers: tryIt });
      expect(unknown.status, path).toBe(404);
      expect(unknown.headers.get('content-type'), path).toBe('application/problem+json');
      expect(unknown.headers.get('content-security-policy'), path).toContain('sandbox');
      expect(((await unknown.json()) as { status: number }).status).toBe(404);
    }
    // The fence holds before any routing: a navigation never reaches a gateway.
    expect((await fetch(`${portalUrl}/gateway/internal${demo.api.context}/pets`)).status).toBe(400);
  });

  it('lists one console server per environment the Petstore is deployed to, and a call on the internal server is answered by the internal gateway', async () => {
    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/apis/${demo.api.id}`);
    expect(await (await page.waitForSelector('#api-environments')).textContent()).toBe('Default, Internal');
    await page.goto(`${portalUrl}/#/apis/${demo.api.id}/reference`);
    await page.waitForSelector('#operations .opblock');
    const servers = await page.$$eval('#operations .servers select option', (options) =>
      options.map((o) => (o as HTMLOptionElement).value),
    );
    const proxy = (environment: string) => `${portalUrl}/gateway/${environment}${demo.api.context}`;
    expect(servers).toEqual([proxy('production'), proxy('internal')]);
    // The ready-to-paste lines name each environment's own gateway, not the proxy.
    expect(await page.textContent('#try-curl [data-environment="production"] pre')).toBe(
      `curl -H 'Authorization: Bearer <access token>' '${gatewayUrl}${demo.api.context}/pets'`,
    );
    expect(await page.textContent('#try-curl [data-environment="internal"] pre')).toBe(
      `curl -H 'Authorization: Bearer <access token>' '${gatewayInternalUrl}${demo.api.context}/pets'`,
    );

    await page.selectOption('#operations .servers select', proxy('internal'));
    const anonymous = await executePets(page);
    expect(anonymous.url).toBe(`${proxy('internal')}/pets`);
    expect(anonymous.status).toBe('401');

    await page.click('#try-get-token');
    await page.waitForSelector('#try-credentials .ok');
    const ok = await executePets(page);
    expect(ok.url).toBe(`${proxy('internal')}/pets`);
    expect(ok.status).toBe('200');
    expect(ok.body).toContain('Rex');
    expect(await page.textContent('#try-curl [data-environment="internal"] pre')).toMatch(
      new RegExp(`^curl -H 'Authorization: Bearer [\\w.-]+' '${gatewayInternalUrl}${demo.api.context}/pets'$`),
    );
    await page.screenshot({ path: join(shots, 'api-reference-environments.png'), fullPage: true });

    await page.selectOption('#operations .servers select', proxy('production'));
    const production = await executePets(page);
    expect(production.url).toBe(`${proxy('production')}/pets`);
    expect(production.status).toBe('200');
    // What the console asked each server for reaches that environment's gateway (the proxy's routing, from the page itself).
    const environments = await page.evaluate(
      async (names) =>
        Promise.all(
          names.map(
            async (n) =>
              (
                (await (await fetch(`/gateway/${n}/_turnpike/health`, { headers: { 'x-turnpike-try-it': '1' } })).json()) as {
                  environment: string;
                }
              ).environment,
          ),
        ),
      ['production', 'internal'],
    );
    expect(environments).toEqual(['production', 'internal']);
    await page.context().close();
    expect(dialogs).toEqual([]);
  });

  it('gives a Swagger 2.0 document, which names one host, an environment picker of its own that points the console at the picked gateway', async () => {
    const publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, [
      'api:create',
      'api:publish',
      'api:deploy',
      'api:view',
    ]);
    const context = `/old${stamp}`;
    const imported = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis/import', {
      definition: {
        swagger: '2.0',
        info: { title: `Old ${stamp}`, version: '1' },
        paths: { '/pets': { get: { responses: { 200: { description: 'ok' } } } } },
      },
      context,
      version: 'v1',
      endpoints: { production: { urls: [{ url: `${demoBackendUrl}/petstore` }] } },
    });
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${imported.body.id}/lifecycle`, { state: 'PUBLISHED' });
    const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${imported.body.id}/revisions`, {});
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${imported.body.id}/deployments`, {
      revisionId: revision.body.id,
      environments: ['production', 'internal'],
    });

    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/apis/${imported.body.id}/reference`);
    await page.waitForSelector('#operations .opblock');
    expect(await page.$('#operations .servers select')).toBeNull();
    expect(await page.$$eval('#try-environment option', (options) => options.map((o) => o.textContent))).toEqual(['Default', 'Internal']);
    expect((await executePets(page)).url).toBe(`${portalUrl}/gateway/production${context}/v1/pets`);
    await page.selectOption('#try-environment', { label: 'Internal' });
    await page.waitForSelector('#operations .opblock');
    const internal = await executePets(page);
    expect(internal.url).toBe(`${portalUrl}/gateway/internal${context}/v1/pets`);
    // The internal gateway's own refusal: it serves this API (an undeployed one would be a 404).
    expect(internal.status).toBe('401');
    await page.context().close();
  });

  it('says an API deployed nowhere cannot be called yet, instead of showing a console', async () => {
    const publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, ['api:create', 'api:publish', 'api:view']);
    const created = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', {
      name: `Undeployed ${stamp}`,
      context: `/undeployed${stamp}`,
      version: 'v1',
      resources: [{ method: 'GET', path: '/things', authType: 'oauth2' }],
      endpoints: { production: { urls: [{ url: 'https://backend.example.com/api' }] } },
    });
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${created.body.id}/lifecycle`, { state: 'PUBLISHED' });
    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/apis/${created.body.id}/reference`);
    await page.waitForSelector('#not-deployed');
    expect(await page.textContent('#api-reference')).toContain('not deployed to any gateway environment');
    expect(await page.$('#operations')).toBeNull();
    expect(await page.$('#try-credentials')).toBeNull();
    await page.context().close();
  });
});
