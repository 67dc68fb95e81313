import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { signUpVerified } from './support.ts';
import { shots, useBrowser } from './browser.ts';

/**
 * The portal for someone who has not signed in: the landing page, the catalog of PUBLIC APIs with
 * their overview, documents and reference; then signing in from an API's page, subscribing there and
 * getting keys; then an approval whose reason the developer reads.
 */
const { portalUrl, controlPlaneUrl, demoBackendUrl, demo, mailDir } = usePlatform();
const { dialogs, newPage, signIn } = useBrowser(portalUrl);
const stamp = Date.now().toString(36);
const anon = new Client(controlPlaneUrl);
const hidden = { privateName: `Private ${stamp}`, restrictedName: `Restricted ${stamp}` };
const ids = { private: '', restricted: '' };

/** Every console error, uncaught exception and failed request of a page, for asserting there are none. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`exception: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  return problems;
}

beforeAll(async () => {
  const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
  for (const [key, name, extra] of [
    ['private', hidden.privateName, { visibility: 'PRIVATE' }],
    ['restricted', hidden.restrictedName, { visibility: 'RESTRICTED', visibleRoles: ['publisher'] }],
  ] as const) {
    const created = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', {
      name: name,
      context: `/${key}-${stamp}`,
      version: 'v1',
      subscriptionTiers: ['Gold'],
      resources: [{ method: 'GET', path: '/things', authType: 'oauth2' }],
      endpoints: { production: { urls: [{ url: `${demoBackendUrl}/petstore` }] } },
      ...extra,
    });
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${created.body.id}/lifecycle`, { state: 'PUBLISHED' });
    ids[key] = created.body.id;
  }
});

afterAll(() => {
  expect(dialogs).toEqual([]);
});

describe('portal: the public catalog', () => {
  it('shows an anonymous visitor the landing page, the PUBLIC catalog and an API’s overview, documents and reference, with no console error and no PRIVATE or RESTRICTED API', async () => {
    const page = await newPage();
    const problems = watchConsole(page);
    await page.goto(portalUrl);
    const landing = await page.waitForSelector('#landing');
    expect(await landing.textContent()).toContain('developer portal');
    expect(await page.textContent('header')).toContain('Sign in');
    await page.screenshot({ path: join(shots, 'public-landing.png'), fullPage: true });

    await page.click('#browse-catalog');
    await page.waitForSelector('#catalog .card');
    const catalog = (await page.textContent('#catalog')) ?? '';
    expect(catalog).toContain(demo.api.name);
    expect(catalog).not.toContain(hidden.privateName);
    expect(catalog).not.toContain(hidden.restrictedName);
    await page.screenshot({ path: join(shots, 'public-catalog.png'), fullPage: true });

    await page.click(`#catalog h2 a:has-text("${demo.api.name}")`);
    await page.waitForSelector('#api-overview #api-tiers');
    expect(await page.textContent('#api-tiers')).toMatch(/— (no limit|[\d,]+ calls per)/);
    expect(await page.textContent('#subscribe')).toContain('Sign in or create a developer account');
    await page.click('nav.tabs a:has-text("Documents")');
    // The demo API's documents and its document's schemas: something real to read.
    const docs = (await (await page.waitForSelector('#api-docs #documents')).textContent()) ?? '';
    expect(docs).toContain('Getting started');
    expect(docs).toContain('Authentication');
    await page.click('nav.tabs a:has-text("Reference")');
    await page.waitForSelector('#operations .opblock');
    expect(await page.textContent('#try-signin')).toContain('Sign in');
    await page.click('#operations .models-control');
    await page.waitForFunction(() => document.querySelector('#operations .models')?.textContent?.includes('NewPet') === true);
    expect(await page.textContent('#operations')).toContain('Add a pet');
    await page.screenshot({ path: join(shots, 'public-reference.png'), fullPage: true });

    expect(problems).toEqual([]);

    // A hidden API is not there for a visitor, whichever way they ask (the one failed request: its 404).
    for (const id of [ids.private, ids.restricted]) {
      await page.goto(`${portalUrl}/#/apis/${id}`);
      await page.waitForSelector('main .error');
      expect(await page.textContent('main')).not.toContain(stamp);
    }
    await page.context().close();
  });

  it('asks for a sign-in when the visitor wants to subscribe and brings them back to the API, where they subscribe a new application on a tier that says what it allows, and get keys with a test token at once', async () => {
    const email = `public-${stamp}@example.com`;
    await signUpVerified(anon, mailDir, { email, password: 'a long enough password', displayName: 'Visitor' });
    const page = await newPage();
    const problems = watchConsole(page);
    await page.goto(`${portalUrl}/#/apis/${demo.api.id}`);
    await page.click('#signin-to-subscribe');
    await page.waitForSelector('#login');
    expect(page.url()).toContain(`next=${encodeURIComponent(`/apis/${demo.api.id}`)}`);
    await page.fill('#email', email);
    await page.fill('#password', 'a long enough password');
    await page.click('#login');
    await page.waitForSelector('#subscribe form[data-form="subscribe-here"]');
    expect(page.url()).toContain(`#/apis/${demo.api.id}`);

    const labels = await page.$$eval('#subscribe-tier option', (os) => os.map((o) => o.textContent ?? ''));
    expect(labels.length).toBeGreaterThan(0);
    for (const label of labels) expect(label).toMatch(/^\S.* — (no limit|[\d,]+ (calls|bytes) per .+)$/);
    expect(await page.textContent('#subscribe')).toContain('Open the API in the catalog and press Subscribe');
    await page.selectOption('#subscribe-app', '__new__');
    await page.fill('#subscribe-new-app', `From the API page ${stamp}`);
    await page.click('#subscribe-submit');
    await page.waitForSelector('#subscribed');
    expect(await page.textContent('#subscribed-apps')).toContain(`From the API page ${stamp}`);
    await page.screenshot({ path: join(shots, 'subscribe-from-api-page.png'), fullPage: true });

    await page.click('#subscribed a[href="#/applications"]');
    const card = `[data-app="From the API page ${stamp}"]`;
    await page.waitForSelector(card);
    expect(await page.textContent(`${card} .subscriptions`)).toContain(demo.api.name);
    await page.click(`${card} [data-key-type="PRODUCTION"] button:has-text("Generate production keys")`);
    // No reload: the secret, the curl line and the test-token form are there at once.
    await page.waitForSelector(`${card} [data-key-type="PRODUCTION"] #secret`);
    await page.click(`${card} [data-action="test-token"]`);
    await page.waitForSelector(`${card} #test-token`);
    expect(await page.textContent(`${card} [data-key-type="PRODUCTION"]`)).toContain(`curl -H "Authorization: Bearer`);
    await page.screenshot({ path: join(shots, 'keys-without-reload.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('asks before revoking an API key, says what happens to calls, and revokes only when confirmed', async () => {
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage']);
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: `Revokes ${stamp}` });
    await developer.expect([201], 'POST', `/api/devportal/v1/applications/${app.body.id}/api-keys`, {
      name: 'doomed',
      keyType: 'PRODUCTION',
      expiresInDays: null,
    });
    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/applications`);
    const keys = `[data-app="Revokes ${stamp}"] .api-keys`;
    await page.click(`${keys} [data-action="revoke-key"]`);
    expect(await page.textContent(`${keys} .confirm`)).toContain('are refused from the next request on');
    await page.click(`${keys} .confirm [data-action="cancel"]`);
    expect(await page.$(`${keys} .confirm`)).toBeNull();
    expect(
      (
        await developer.expect<{ list: Array<{ revokedAt: number | null }> }>(
          [200],
          'GET',
          `/api/devportal/v1/applications/${app.body.id}/api-keys`,
        )
      ).body.list[0]?.revokedAt,
    ).toBeNull();
    await page.click(`${keys} [data-action="revoke-key"]`);
    await page.screenshot({ path: join(shots, 'confirm-revoke.png'), fullPage: true });
    await page.click(`${keys} .confirm [data-action="confirm"]`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('doomed') !== true, keys);
    expect(
      (
        await developer.expect<{ list: Array<{ revokedAt: number | null }> }>(
          [200],
          'GET',
          `/api/devportal/v1/applications/${app.body.id}/api-keys`,
        )
      ).body.list[0]?.revokedAt,
    ).not.toBeNull();
    await page.context().close();
  });

  it('shows the admin who asks for which API on which tier, and the developer the reason of the rejection', async () => {
    const settings = await tokenFor(anon, demo.users.admin, ['admin:settings']);
    // A developer of its own: a rejected subscription of the demo developer would show in other suites' try-it.
    const who = { email: `waits-${stamp}@example.com`, password: 'a long enough password' };
    await signUpVerified(anon, mailDir, { ...who, displayName: 'Waiting Developer' });
    const developer = await tokenFor(anon, who, ['apps:manage', 'subscriptions:manage']);
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: `Waits ${stamp}` });
    await settings.expect([200], 'PATCH', '/api/admin/v1/settings', { workflows: { SUBSCRIPTION_CREATION: true } });
    try {
      const sub = await developer.expect<{ id: string; status: string }>([201], 'POST', '/api/devportal/v1/subscriptions', {
        applicationId: app.body.id,
        apiId: demo.api.id,
        tier: demo.api.tier,
      });
      expect(sub.body.status).toBe('ON_HOLD');
      const admin = await signIn(demo.users.admin);
      await admin.goto(`${portalUrl}/#/admin`);
      const request = `#approvals li:has-text("${sub.body.id}")`;
      await admin.waitForSelector(request);
      expect(await admin.textContent(`${request} [data-field="application"]`)).toBe(`Waits ${stamp}`);
      expect(await admin.textContent(`${request} [data-field="api"]`)).toBe(`${demo.api.name} ${demo.api.version}`);
      expect(await admin.textContent(`${request} [data-field="tier"]`)).toBe(demo.api.tier);
      expect(await admin.textContent(`${request} [data-field="developer"]`)).toBe('Waiting Developer');
      await admin.screenshot({ path: join(shots, 'approval-names.png'), fullPage: true });
      await admin.fill(`${request} [data-field="reason"]`, 'Use the sandbox first');
      await admin.click(`${request} [data-action="reject"]`);
      await admin.waitForFunction((id) => document.querySelector('#admin-approvals')?.textContent?.includes(id) !== true, sub.body.id);
      await admin.context().close();

      const dev = await signIn(who);
      await dev.goto(`${portalUrl}/#/applications`);
      const note = await dev.waitForSelector(`[data-app="Waits ${stamp}"] [data-status-note="REJECTED"]`);
      expect(await note.textContent()).toContain('Use the sandbox first');
      await dev.screenshot({ path: join(shots, 'rejected-with-reason.png'), fullPage: true });
      await dev.context().close();
    } finally {
      await settings.expect([200], 'PATCH', '/api/admin/v1/settings', { workflows: { SUBSCRIPTION_CREATION: false } });
    }
  });
});
