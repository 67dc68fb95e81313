import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';

/** The publisher's API tabs for visibility, endpoints, headers, collaborators and ratings, in Chromium. */
const { portalUrl, controlPlaneUrl, demoBackendUrl, demo } = usePlatform();
const { dialogs, signIn } = useBrowser(portalUrl);

const stamp = Date.now();
const name = `Settings Pets ${stamp}`;
let apiId = '';
let publisher: Client;
let developer: Client;

interface ApiBody {
  visibility: string;
  visibleRoles: string[];
  headerEdits: unknown;
  endpoints: {
    production?: { strategy: string; urls: Array<{ url: string; timeoutMs: number }>; suspendSeconds: number; security: unknown };
  };
}

beforeAll(async () => {
  publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, ['api:create', 'api:publish', 'api:view']);
  developer = await tokenFor(new Client(controlPlaneUrl), demo.users.developer, ['subscriptions:manage']);
  const created = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', {
    name,
    context: `/settings-${stamp}`,
    version: 'v1',
    subscriptionTiers: ['Gold'],
    resources: [{ method: 'GET', path: '/pets' }],
    endpoints: { production: { urls: [{ url: `${demoBackendUrl}/petstore` }] } },
  });
  apiId = created.body.id;
  await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${apiId}/lifecycle`, { state: 'PUBLISHED' });
});

const tab = (page: Page, t: string) => page.goto(`${portalUrl}/#/publisher/apis/${apiId}/${t}`);
const saved = async (page: Page, form: string) => {
  await page.click(`${form} button[type="submit"]`);
  await page.waitForSelector(`${form} .ok`);
};
const stored = async () => (await publisher.expect<ApiBody>([200], 'GET', `/api/publisher/v1/apis/${apiId}`)).body;
const developerSees = async () => {
  const listed = (
    await developer.expect<{ list: Array<{ id: string }> }>([200], 'GET', `/api/devportal/v1/apis?query=${encodeURIComponent(name)}`)
  ).body.list.some((a) => a.id === apiId);
  const detail = (await developer.call('GET', `/api/devportal/v1/apis/${apiId}`)).status;
  return { listed, detail };
};

describe('portal: publisher settings', () => {
  it('restricts an API to a role, with the missing role shown inline, and the catalog follows', async () => {
    expect(await developerSees()).toEqual({ listed: true, detail: 200 });
    const page = await signIn(demo.users.publisher);
    await tab(page, 'visibility');
    await page.waitForSelector('#visibility-form');
    expect(await page.isDisabled('#visible-roles input[value="publisher"]')).toBe(true);
    await page.check('#visibility-form input[name="visibility"][value="RESTRICTED"]');
    await page.click('#visibility-form button[type="submit"]');
    await page.waitForSelector('#visible-roles[aria-invalid="true"] + .field-error');
    expect(await page.textContent('#visible-roles + .field-error')).toContain('at least one role');
    await page.check('#visible-roles input[value="publisher"]');
    await saved(page, '#visibility-form');
    expect(await page.isChecked('#visibility-form input[value="RESTRICTED"]')).toBe(true);
    await page.screenshot({ path: join(shots, 'publisher-visibility.png'), fullPage: true });
    expect(await stored()).toMatchObject({ visibility: 'RESTRICTED', visibleRoles: ['publisher'] });
    expect(await developerSees()).toEqual({ listed: false, detail: 404 });

    // Back to PUBLIC: the roles go with it, and developers find the API again.
    await page.check('#visibility-form input[name="visibility"][value="PUBLIC"]');
    await saved(page, '#visibility-form');
    expect(await stored()).toMatchObject({ visibility: 'PUBLIC', visibleRoles: [] });
    expect(await developerSees()).toEqual({ listed: true, detail: 200 });
    await page.context().close();
  });

  it('sets a failover strategy over two URLs and a Basic credential that is never shown again', async () => {
    const secret = `backend-secret-${stamp}`;
    const page = await signIn(demo.users.publisher);
    await tab(page, 'endpoints');
    const prod = '[data-endpoint="production"]';
    await page.waitForSelector(`${prod} [data-security-now="none"]`);
    await page.click(`${prod} button:has-text("Add URL")`);
    await page.fill(`#production-urls .row:nth-child(2) input[data-key="url"]`, `${demoBackendUrl}/petstore-replica`);
    await page.fill(`#production-urls .row:nth-child(2) input[data-key="timeoutMs"]`, '5000');
    await page.selectOption(`${prod} select[data-field="strategy"]`, 'failover');
    await page.fill(`${prod} input[data-field="suspendSeconds"]`, '10');
    await page.selectOption(`${prod} select[data-field="security"]`, 'basic');
    // A Basic user name with a colon is refused by the control plane, next to the field.
    await page.fill(`${prod} input[data-field="username"]`, 'backend:user');
    await page.fill(`${prod} input[data-field="password"]`, secret);
    await page.click('#endpoints-form button[type="submit"]');
    await page.waitForSelector(`${prod} input[data-field="username"][aria-invalid="true"] + .field-error`);
    await page.fill(`${prod} input[data-field="username"]`, 'backend-user');
    await saved(page, '#endpoints-form');

    const api = await stored();
    expect(api.endpoints.production).toEqual({
      strategy: 'failover',
      urls: [
        { url: `${demoBackendUrl}/petstore`, timeoutMs: 30_000 },
        { url: `${demoBackendUrl}/petstore-replica`, timeoutMs: 5000 },
      ],
      suspendSeconds: 10,
      security: { type: 'basic', username: 'backend-user' },
    });
    expect(JSON.stringify(api)).not.toContain(secret);
    // The page says a credential is set, and nowhere (markup, field values) holds the secret.
    expect(await page.textContent(`${prod} [data-security-now="basic"]`)).toContain('backend-user');
    const everything = await page.evaluate(
      () =>
        document.documentElement.outerHTML +
        [...document.querySelectorAll('input, textarea, select')].map((e) => (e as HTMLInputElement).value).join('\n'),
    );
    expect(everything).not.toContain(secret);
    await page.screenshot({ path: join(shots, 'publisher-endpoints.png'), fullPage: true });

    // A change that keeps the credential need not resend it; removing it is explicit.
    await page.selectOption(`${prod} select[data-field="strategy"]`, 'load_balance');
    await saved(page, '#endpoints-form');
    expect((await stored()).endpoints.production).toMatchObject({
      strategy: 'load_balance',
      security: { type: 'basic', username: 'backend-user' },
    });
    await page.selectOption(`${prod} select[data-field="security"]`, 'remove');
    await saved(page, '#endpoints-form');
    expect((await stored()).endpoints.production).toMatchObject({ strategy: 'load_balance', security: null });
    await page.waitForSelector(`${prod} [data-security-now="none"]`);
    await page.context().close();
  });

  it('sets and removes headers on the way to the backend and back', async () => {
    const page = await signIn(demo.users.publisher);
    await tab(page, 'headers');
    await page.waitForSelector('#headers-form');
    await page.click('[data-direction="request"] button:has-text("Add header")');
    // A name the gateway could not send is refused next to its row.
    await page.fill('#request-set .row input[data-key="name"]', 'X Env');
    await page.fill('#request-set .row input[data-key="value"]', 'portal-test');
    await page.click('#headers-form button[type="submit"]');
    await page.waitForSelector('#request-set .row input[data-key="name"][aria-invalid="true"] + .field-error');
    await page.fill('#request-set .row input[data-key="name"]', 'X-Env');
    await page.fill('[data-direction="request"] input[data-field="remove"]', 'Cookie, X-Debug');
    await page.fill('[data-direction="response"] input[data-field="remove"]', 'Server');
    await saved(page, '#headers-form');
    expect((await stored()).headerEdits).toEqual({
      request: { set: { 'X-Env': 'portal-test' }, remove: ['Cookie', 'X-Debug'] },
      response: { set: {}, remove: ['Server'] },
    });
    await page.screenshot({ path: join(shots, 'publisher-headers.png'), fullPage: true });
    await page.click('#request-set .row button:has-text("Remove")');
    await page.fill('[data-direction="request"] input[data-field="remove"]', '');
    await page.fill('[data-direction="response"] input[data-field="remove"]', '');
    await saved(page, '#headers-form');
    expect((await stored()).headerEdits).toBeNull();
    await page.context().close();
  });

  it('shares the API with another publisher and stops sharing it', async () => {
    const admin = await tokenFor(new Client(controlPlaneUrl), demo.users.admin, ['admin:users']);
    const colleague = { email: `colleague-${stamp}@example.com`, password: 'a long enough password' };
    await admin.expect([201], 'POST', '/api/admin/v1/users', { ...colleague, displayName: 'Colleague Publisher', role: 'publisher' });
    const asColleague = await tokenFor(new Client(controlPlaneUrl), colleague, ['api:view']);
    expect((await asColleague.call('GET', `/api/publisher/v1/apis/${apiId}`)).status).toBe(404);

    const page = await signIn(demo.users.publisher);
    await tab(page, 'collaborators');
    await page.waitForSelector('#collaborator-form');
    expect(await page.textContent('#publisher-collaborators .empty')).toContain('Only you manage this API');
    // A developer is not a publisher: the control plane says so next to the field.
    await page.fill('#collaborator-email', demo.users.developer.email);
    await page.click('#collaborator-form button[type="submit"]');
    await page.waitForSelector('#collaborator-email[aria-invalid="true"] + .field-error');
    await page.fill('#collaborator-email', colleague.email);
    await page.click('#collaborator-form button[type="submit"]');
    const row = `#collaborators tr[data-collaborator="${colleague.email}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain('Colleague Publisher');
    await page.screenshot({ path: join(shots, 'publisher-collaborators.png'), fullPage: true });
    expect(
      (
        await publisher.expect<{ list: Array<{ email: string }> }>([200], 'GET', `/api/publisher/v1/apis/${apiId}/collaborators`)
      ).body.list.map((c) => c.email),
    ).toEqual([colleague.email]);
    expect((await asColleague.call('GET', `/api/publisher/v1/apis/${apiId}`)).status).toBe(200);

    await page.click(`${row} [data-action="remove"]`);
    await page.waitForSelector('#publisher-collaborators .empty');
    expect((await publisher.expect<{ list: unknown[] }>([200], 'GET', `/api/publisher/v1/apis/${apiId}/collaborators`)).body.list).toEqual(
      [],
    );
    expect((await asColleague.call('GET', `/api/publisher/v1/apis/${apiId}`)).status).toBe(404);
    await page.context().close();
  });

  it('lets a developer rate and comment, and the publisher hide the comment from the portal', async () => {
    const comment = `Solid pets API ${stamp}`;
    const dev = await signIn(demo.users.developer);
    await dev.goto(`${portalUrl}/#/apis/${apiId}`);
    await dev.waitForSelector('#rate-form');
    expect(await dev.textContent('#ratings')).toContain('Not rated yet');
    await dev.selectOption('#rate-value', '4');
    await dev.fill('#rate-comment', comment);
    await dev.click('#rate-save');
    await dev.waitForSelector(`#rating-list li:has-text("${comment}")`);
    expect(await dev.textContent('#ratings .rating-summary')).toContain('4 of 5 from 1 rating');
    await dev.screenshot({ path: join(shots, 'api-ratings.png'), fullPage: true });

    const page = await signIn(demo.users.publisher);
    await tab(page, 'ratings');
    const item = `#ratings li[data-author="${demo.users.developer.email}"]`;
    await page.waitForSelector(item);
    expect(await page.textContent(item)).toContain(comment);
    await page.click(`${item} [data-action="hide"]`);
    await page.waitForSelector(`${item} .badge.hidden`);
    await page.screenshot({ path: join(shots, 'publisher-ratings.png'), fullPage: true });
    const visible = (
      await developer.expect<{ count: number; list: Array<{ comment: string }> }>([200], 'GET', `/api/devportal/v1/apis/${apiId}/ratings`)
    ).body;
    expect(visible.count).toBe(0);
    expect(JSON.stringify(visible.list)).not.toContain(comment);
    await dev.reload();
    await dev.waitForSelector('#ratings');
    expect(await dev.textContent('#ratings')).not.toContain(comment);

    await page.click(`${item} [data-action="show"]`);
    await page.waitForSelector(`${item} [data-action="hide"]`);
    expect((await developer.expect<{ count: number }>([200], 'GET', `/api/devportal/v1/apis/${apiId}/ratings`)).body.count).toBe(1);
    await page.context().close();
    await dev.context().close();
  });

  it('fits a phone: the new tabs render at 390 px without horizontal scrolling', async () => {
    const page = await signIn(demo.users.publisher);
    await page.setViewportSize({ width: 390, height: 844 });
    for (const t of ['visibility', 'endpoints', 'headers', 'collaborators', 'ratings']) {
      await tab(page, t);
      await page.waitForSelector(`#publisher-${t}`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), t).toBeLessThanOrEqual(392);
      await page.screenshot({ path: join(shots, `publisher-${t}-phone.png`), fullPage: true });
    }
    await page.context().close();
    expect(dialogs).toEqual([]);
  });
});
