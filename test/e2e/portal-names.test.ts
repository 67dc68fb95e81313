import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { signUpVerified } from './support.ts';
import { shots, useBrowser } from './browser.ts';

/** Names instead of ids and advice where it is needed: pickers, the audit log, API keys, import, role names. */
const { portalUrl, controlPlaneUrl, demoBackendUrl, demo, mailDir } = usePlatform();
const { dialogs, signIn } = useBrowser(portalUrl);

afterAll(() => {
  expect(dialogs).toEqual([]);
});

describe('portal: names, not ids', () => {
  it('lets an admin pick the application or user to block by searching its name, and shows names beside ids in the audit log and role names as "Developer"', async () => {
    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/blocking`);
    await page.selectOption('#condition-form [data-pointer="/conditionType"]', 'APPLICATION');
    await page.fill('#condition-value', demo.application.name.slice(0, 4));
    await page.click(`#condition-form .picker-options button[data-value="${demo.application.id}"]`);
    expect(await page.inputValue('#condition-value')).toBe(demo.application.id);
    expect(await page.textContent('#condition-form .picker-chosen')).toContain(demo.application.name);
    await page.selectOption('#condition-form [data-pointer="/conditionType"]', 'USER');
    await page.fill('#condition-value', demo.users.developer.email.slice(0, 6));
    const user = await page.waitForSelector(`#condition-form .picker-options button:has-text("${demo.users.developer.email}")`);
    await user.click();
    expect(await page.inputValue('#condition-value')).toMatch(/^usr_/);
    await page.screenshot({ path: join(shots, 'blocking-picker.png'), fullPage: true });

    await page.goto(`${portalUrl}/#/admin/audit`);
    await page.fill('input[aria-label="Entity id"]', demo.api.id);
    await page.click('button:has-text("Filter")');
    await page.waitForSelector(`#audit td[data-entity="${demo.api.id}"] .entity-name`);
    expect(await page.textContent(`#audit td[data-entity="${demo.api.id}"] .entity-name`)).toBe(`${demo.api.name} ${demo.api.version}`);

    await page.goto(`${portalUrl}/#/admin/users`);
    const users = (await (await page.waitForSelector('#users')).textContent()) ?? '';
    expect(users).toContain('Developer');
    expect(users).not.toContain('subscriber');
    await page.context().close();
  });

  it('warns before an API key is created for an application whose APIs take OAuth2 tokens only, naming them', async () => {
    // A developer of its own, so what other suites subscribe the demo developer to does not count.
    const who = { email: `keys-${Date.now().toString(36)}@example.com`, password: 'a long enough password' };
    const anon = new Client(controlPlaneUrl);
    await signUpVerified(anon, mailDir, { ...who, displayName: 'Keys' });
    const developer = await tokenFor(anon, who, ['apps:manage', 'subscriptions:manage']);
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: 'OAuth only' });
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: app.body.id,
      apiId: demo.api.id,
      tier: demo.api.tier,
    });
    const page = await signIn(who);
    await page.goto(`${portalUrl}/#/applications`);
    const advice = await page.waitForSelector('[data-app="OAuth only"] .api-keys [data-advice]');
    // The demo Petstore's resources take OAuth2 tokens only.
    expect(await advice.getAttribute('data-advice')).toBe('oauth-only');
    expect(await advice.textContent()).toContain(`${demo.api.name} ${demo.api.version}`);
    await page.screenshot({ path: join(shots, 'api-key-advice.png'), fullPage: true });
    await page.context().close();
  });

  it("offers the OpenAPI document's servers URL as the production endpoint of an import", async () => {
    const page = await signIn(demo.users.publisher);
    await page.goto(`${portalUrl}/#/publisher/new`);
    await page.fill(
      '#import-definition',
      [
        'openapi: 3.0.3',
        'info: { title: Served, version: "1" }',
        'servers:',
        '  - url: https://{region}.backend.example.com/v2',
        '    variables: { region: { default: eu } }',
        '  - url: /relative',
        'paths:',
        '  /a: { get: { responses: { "200": { description: ok } } } }',
      ].join('\n'),
    );
    await page.waitForFunction(() => (document.querySelector('#import-endpoint') as HTMLInputElement | null)?.value !== '');
    expect(await page.inputValue('#import-endpoint')).toBe('https://eu.backend.example.com/v2');
    expect(await page.textContent('#import-endpoint-offer')).toContain("From the document's servers");
    await page.context().close();
  });

  it('tells the publisher that the API differs from the revision a gateway serves ("2 changes not deployed") and shows the diff', async () => {
    const stamp = Date.now().toString(36);
    const publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, [
      'api:create',
      'api:publish',
      'api:deploy',
      'api:view',
    ]);
    const created = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', {
      name: `Drifting ${stamp}`,
      context: `/drift-${stamp}`,
      version: 'v1',
      resources: [{ method: 'GET', path: '/things', authType: 'oauth2' }],
      endpoints: { production: { urls: [{ url: `${demoBackendUrl}/petstore` }] } },
    });
    const id = created.body.id;
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${id}/lifecycle`, { state: 'PUBLISHED' });
    const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${id}/revisions`, {});
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${id}/deployments`, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    const page = await signIn(demo.users.publisher);
    await page.goto(`${portalUrl}/#/publisher/apis/${id}/deploy`);
    await page.waitForSelector('[data-environment="production"] [data-drift="0"]');
    await publisher.expect([200], 'PATCH', `/api/publisher/v1/apis/${id}`, {
      apiKeyHeader: 'X-Key',
      resources: [
        { method: 'GET', path: '/things', authType: 'oauth2' },
        { method: 'POST', path: '/things', authType: 'oauth2' },
      ],
    });
    await page.reload();
    const drift = await page.waitForSelector('[data-environment="production"] [data-drift="2"]');
    expect(await drift.textContent()).toContain('2 changes not deployed');
    await page.click('[data-environment="production"] [data-drift] summary');
    expect(await page.textContent('[data-environment="production"] [data-drift] pre')).toBe(
      '~ apiKeyHeader: apikey -> x-key\n+ resource POST /things: {"authType":"oauth2","scopes":[],"throttlingPolicy":null}',
    );
    await page.screenshot({ path: join(shots, 'publisher-undeployed-changes.png'), fullPage: true });
    await page.context().close();
  });
});
