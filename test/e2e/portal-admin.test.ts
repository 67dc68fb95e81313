import { createHmac, generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';
import { clientCredentialsToken, publishApi, webhookReceiver } from './support.ts';

/** Admin screens (policies, trusted issuers, password grant) and alerts, in Chromium against the running platform. */
const { portalUrl, controlPlaneUrl, gatewayUrl, demoBackendUrl, demo } = usePlatform();
const { signIn } = useBrowser(portalUrl);
const stamp = Date.now();
const anon = new Client(controlPlaneUrl);

interface StoredPolicy {
  id: string;
  name: string;
  kind: string;
  quotaType: string;
  limit: number | null;
  unitTime: number;
  timeUnit: string;
  burstLimit: number | null;
  burstTimeUnit: string | null;
  failMode: string;
  keyTemplate: string | null;
  conditionalGroups: unknown[];
}

/** A webhook receiver on loopback: what the control plane POSTs when an alert fires. */
let hook: Awaited<ReturnType<typeof webhookReceiver>>;
let hookUrl = '';
beforeAll(async () => {
  hook = await webhookReceiver('/turnpike-alerts');
  hookUrl = hook.url;
});
afterAll(async () => {
  await hook.close();
});

const pointer = (form: string, p: string) => `${form} [data-pointer="${p}"]`;

describe('portal: admin screens and alerts', () => {
  it('creates an advanced policy with a conditional group and a custom bandwidth policy, edits and deletes them, all stored as entered', async () => {
    const admin = await tokenFor(anon, demo.users.admin, ['admin:policies']);
    const stored = async (kind: string, name: string) =>
      (await admin.expect<{ list: StoredPolicy[] }>([200], 'GET', `/api/admin/v1/throttling-policies?kind=${kind}`)).body.list.find(
        (p) => p.name === name,
      );
    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/policies`);
    const form = '#policy-form';
    await page.waitForSelector(form);

    const advanced = `Adv${stamp}`;
    await page.selectOption(pointer(form, '/kind'), 'advanced');
    // Only what the kind has is shown: no key template, no overage switch for an advanced policy.
    expect(await page.isVisible(pointer(form, '/keyTemplate'))).toBe(false);
    expect(await page.isVisible(pointer(form, '/stopOnQuotaReach'))).toBe(false);
    await page.fill(pointer(form, '/name'), advanced);
    await page.fill(pointer(form, '/displayName'), 'Partner-aware API limit');
    await page.fill(pointer(form, '/limit'), '1000');
    await page.selectOption(pointer(form, '/timeUnit'), 'min');
    await page.fill(pointer(form, '/burstLimit'), '20');
    await page.selectOption(pointer(form, '/burstTimeUnit'), 'sec');
    await page.selectOption(pointer(form, '/failMode'), 'closed');
    await page.click('[data-action="add-group"]');
    await page.fill(pointer(form, '/conditionalGroups/0/description'), 'partners');
    await page.fill(pointer(form, '/conditionalGroups/0/conditions/0/name'), 'x-partner');
    await page.fill(pointer(form, '/conditionalGroups/0/conditions/0/value'), 'acme');
    await page.click('#conditional-groups [data-action="add-condition"]');
    await page.selectOption(pointer(form, '/conditionalGroups/0/conditions/1/type'), 'ip');
    // The key input follows its type: /name became /cidr.
    await page.fill(pointer(form, '/conditionalGroups/0/conditions/1/cidr'), '203.0.113.0/24');
    await page.check(pointer(form, '/conditionalGroups/0/conditions/1/invert'));
    await page.fill(pointer(form, '/conditionalGroups/0/limit/limit'), '50');
    await page.screenshot({ path: join(shots, 'admin-policy-conditional.png'), fullPage: true });
    await page.click(`${form} button[type="submit"]`);
    await page.waitForSelector(`#policies tr[data-policy="${advanced}"]`);
    expect(await stored('advanced', advanced)).toMatchObject({
      limit: 1000,
      quotaType: 'requestCount',
      unitTime: 1,
      timeUnit: 'min',
      burstLimit: 20,
      burstTimeUnit: 'sec',
      failMode: 'closed',
      keyTemplate: null,
      conditionalGroups: [
        {
          description: 'partners',
          conditions: [
            { type: 'header', name: 'x-partner', value: 'acme', invert: false },
            { type: 'ip', cidr: '203.0.113.0/24', invert: true },
          ],
          limit: { limit: 50, quotaType: 'requestCount', unitTime: 1, timeUnit: 'min' },
        },
      ],
    });

    const custom = `PerUser${stamp}`;
    await page.selectOption(pointer(form, '/kind'), 'custom');
    await page.fill(pointer(form, '/name'), custom);
    await page.fill(pointer(form, '/limit'), '5000000');
    await page.selectOption(pointer(form, '/quotaType'), 'bandwidth');
    await page.selectOption(pointer(form, '/timeUnit'), 'day');
    await page.fill(pointer(form, '/keyTemplate'), '$userId:$apiContext');
    await page.click(`${form} button[type="submit"]`);
    const row = `#policies tr[data-policy="${custom}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain('5000000 bytes / 1 day');
    expect(await stored('custom', custom)).toMatchObject({
      quotaType: 'bandwidth',
      limit: 5000000,
      timeUnit: 'day',
      keyTemplate: '$userId:$apiContext',
      failMode: 'open',
      conditionalGroups: [],
    });
    await page.screenshot({ path: join(shots, 'admin-policies-all-kinds.png'), fullPage: true });

    // Edit: the form comes back filled; kind and name stay.
    await page.click(`${row} [data-action="edit-policy"]`);
    await page.waitForSelector(`${form}[data-editing="${custom}"]`);
    expect(await page.inputValue(pointer(form, '/keyTemplate'))).toBe('$userId:$apiContext');
    await page.fill(pointer(form, '/limit'), '6000000');
    await page.selectOption(pointer(form, '/failMode'), 'closed');
    await page.click(`${form} button[type="submit"]`);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('6000000 bytes') === true, row);
    expect(await stored('custom', custom)).toMatchObject({
      limit: 6000000,
      failMode: 'closed',
      keyTemplate: '$userId:$apiContext',
      quotaType: 'bandwidth',
    });

    // A custom policy applies to every call on every gateway: take it off again.
    await page.click(`${row} [data-action="delete-policy"]`);
    await page.waitForFunction((sel) => document.querySelector(sel) === null, row);
    expect(await stored('custom', custom)).toBeUndefined();
    await page.context().close();
  });

  it('shows what is wrong with a conditional group next to the exact input', async () => {
    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/policies`);
    const form = '#policy-form';
    await page.waitForSelector(form);
    await page.selectOption(pointer(form, '/kind'), 'advanced');
    await page.fill(pointer(form, '/name'), `Bad${stamp}`);
    await page.fill(pointer(form, '/limit'), '10');
    await page.click('[data-action="add-group"]');
    await page.fill(pointer(form, '/conditionalGroups/0/conditions/0/name'), 'x-fine');
    await page.fill(pointer(form, '/conditionalGroups/0/conditions/0/value'), 'fine');
    await page.click('#conditional-groups [data-action="add-condition"]');
    await page.fill(pointer(form, '/conditionalGroups/0/conditions/1/name'), 'x-long');
    await page.fill(pointer(form, '/conditionalGroups/0/conditions/1/value'), 'v'.repeat(600));
    await page.fill(pointer(form, '/conditionalGroups/0/limit/limit'), '0');
    await page.click(`${form} button[type="submit"]`);
    await page.waitForSelector(`${pointer(form, '/conditionalGroups/0/conditions/1/value')}[aria-invalid="true"] + .field-error`);
    await page.waitForSelector(`${pointer(form, '/conditionalGroups/0/limit/limit')}[aria-invalid="true"] + .field-error`);
    expect(await page.getAttribute(pointer(form, '/conditionalGroups/0/conditions/0/value'), 'aria-invalid')).toBeNull();
    expect(await page.getAttribute(pointer(form, '/conditionalGroups/0/conditions/1/name'), 'aria-invalid')).toBeNull();
    await page.screenshot({ path: join(shots, 'admin-policy-group-error.png'), fullPage: true });

    // Removing the first condition renumbers the rest: the long value is condition 0 now.
    await page.click('#conditional-groups .condition:first-child [data-action="remove-condition"]');
    expect(await page.inputValue(pointer(form, '/conditionalGroups/0/conditions/0/value'))).toHaveLength(600);
    await page.context().close();
  });

  it('adds a trusted issuer from a pasted JWKS (refusing a private key inline) and deletes it', async () => {
    const admin = await tokenFor(anon, demo.users.admin, ['admin:settings']);
    const names = async () =>
      (await admin.expect<{ list: Array<{ name: string; issuer: string }> }>([200], 'GET', '/api/admin/v1/trusted-issuers')).body.list.map(
        (t) => t.name,
      );
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = (key: typeof publicKey) => ({ ...key.export({ format: 'jwk' }), kid: `idp-${stamp}`, alg: 'ES256' });
    const name = `idp${stamp}`;
    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/trusted-issuers`);
    const form = '#issuer-form';
    await page.waitForSelector(form);
    await page.fill(pointer(form, '/name'), name);
    await page.fill(pointer(form, '/issuer'), `https://idp-${stamp}.example.com`);
    await page.fill(pointer(form, '/jwks'), JSON.stringify({ keys: [jwk(privateKey)] }));
    await page.click(`${form} button[type="submit"]`);
    await page.waitForSelector(`${pointer(form, '/jwks')}[aria-invalid="true"] + .field-error`);
    expect(await page.textContent(`${form} .field-error`)).toContain('Public keys only');
    expect(await names()).not.toContain(name);

    await page.fill(pointer(form, '/jwks'), JSON.stringify({ keys: [jwk(publicKey)] }, null, 2));
    await page.click(`${form} button[type="submit"]`);
    const row = `#trusted-issuers tr[data-issuer="${name}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain(`idp-${stamp} ES256`);
    expect(await names()).toContain(name);
    await page.screenshot({ path: join(shots, 'admin-trusted-issuers.png'), fullPage: true });
    await page.click(`${row} [data-action="delete-issuer"]`);
    await page.waitForFunction((sel) => document.querySelector(sel) === null, row);
    expect(await names()).not.toContain(name);
    await page.context().close();
  });

  it("turns the password grant on and off for one application's client, and the token endpoint follows", async () => {
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage']);
    const appName = `Legacy ${stamp}`;
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: appName });
    const keys = await developer.expect<{ consumerKey: string; consumerSecret: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      { keyType: 'PRODUCTION' },
    );
    const passwordToken = () =>
      fetch(`${gatewayUrl}/oauth2/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${keys.body.consumerKey}:${keys.body.consumerSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          grant_type: 'password',
          username: demo.users.developer.email,
          password: demo.users.developer.password,
        }),
      });
    expect((await passwordToken()).status).toBe(400);

    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/applications`);
    await page.waitForSelector('#admin-app-list');
    await page.fill('#admin-app-search', appName);
    await page.press('#admin-app-search', 'Enter');
    // The search's own rows, not the first page's that it replaces (a switch flipped there is lost).
    await page.waitForSelector(`#admin-app-list[data-query="${appName}"]:not([aria-busy])`);
    const row = `tr[data-admin-app="${app.body.id}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain(demo.users.developer.email);
    const box = `${row} [data-password-grant="PRODUCTION"]`;
    await page.check(box);
    await page.waitForSelector(`${row} .ok`);
    expect(await page.textContent(row)).toContain('password');
    await page.screenshot({ path: join(shots, 'admin-applications.png'), fullPage: true });
    expect((await passwordToken()).status).toBe(200);

    await page.uncheck(box);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('Password grant off') === true, row);
    const denied = await passwordToken();
    expect(denied.status).toBe(400);
    expect(((await denied.json()) as { error: string }).error).toBe('unauthorized_client');
    await page.context().close();
  });

  it("makes one application's client a resource server, and introspection follows: any token, then only its own again", async () => {
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage']);
    const appName = `Resource server ${stamp}`;
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', { name: appName });
    const keys = await developer.expect<{ consumerKey: string; consumerSecret: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      { keyType: 'PRODUCTION' },
    );
    const demoToken = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
    const introspect = async () =>
      (await (
        await fetch(`${controlPlaneUrl}/oauth2/introspect`, {
          method: 'POST',
          headers: {
            authorization: `Basic ${Buffer.from(`${keys.body.consumerKey}:${keys.body.consumerSecret}`).toString('base64')}`,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams({ token: demoToken }),
        })
      ).json()) as Record<string, unknown>;
    expect(await introspect()).toEqual({ active: false });

    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/applications`);
    await page.waitForSelector('#admin-app-list');
    await page.fill('#admin-app-search', appName);
    await page.press('#admin-app-search', 'Enter');
    // The search's own rows, not the first page's that it replaces (a switch flipped there is lost).
    await page.waitForSelector(`#admin-app-list[data-query="${appName}"]:not([aria-busy])`);
    const row = `tr[data-admin-app="${app.body.id}"]`;
    const box = `${row} [data-introspection="PRODUCTION"]`;
    await page.waitForSelector(box);
    await page.check(box);
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('May introspect any token') === true, row);
    expect(await introspect()).toMatchObject({ active: true, client_id: demo.application.clientId });

    await page.uncheck(box);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.textContent?.includes('Introspects only its own tokens') === true,
      row,
    );
    expect(await introspect()).toEqual({ active: false });
    await page.context().close();
  });

  it('lets a publisher add an alert rule on an API, edit it, and see it fire (signed webhook) once the API errors', async () => {
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
    const context = `/alerting${stamp}`;
    const apiId = await publishApi(publisher, {
      name: `Alerting ${stamp}`,
      context,
      version: 'v1',
      subscriptionTiers: ['Gold'],
      resources: [{ method: 'GET', path: '/pets', authType: 'oauth2' }],
      endpoints: { production: { urls: [{ url: `${demoBackendUrl}/petstore` }] } },
    });

    const page = await signIn(demo.users.publisher);
    await page.goto(`${portalUrl}/#/publisher/apis/${apiId}/alerts`);
    await page.waitForSelector('#publisher-alerts #alert-form');
    await page.selectOption('#alert-metric', 'error_rate');
    await page.fill('#alert-threshold', '90');
    await page.fill('#alert-webhook', hookUrl);
    await page.click('#alert-submit');
    await page.waitForSelector('#publisher-alerts #secret');
    const secret = (await page.textContent('#secret')) ?? '';
    expect(secret).toMatch(/^whsec_/);
    // The demo publisher may have other rules (other tests): find this one by its webhook.
    const mineRow = `#alert-rules tr[data-alert]:has-text("${hookUrl}")`;
    await page.waitForSelector(mineRow);
    const ruleId = (await page.getAttribute(mineRow, 'data-alert')) ?? '';
    await page.screenshot({ path: join(shots, 'publisher-alerts-created.png'), fullPage: true });

    await page.click(`tr[data-alert="${ruleId}"] [data-action="edit-alert"]`);
    await page.fill('form[data-form="edit-alert"] [data-pointer="/threshold"]', '150');
    await page.click('form[data-form="edit-alert"] button[type="submit"]');
    await page.waitForSelector('form[data-form="edit-alert"] [data-pointer="/threshold"][aria-invalid="true"] + .field-error');
    await page.fill('form[data-form="edit-alert"] [data-pointer="/threshold"]', '50');
    await page.click('form[data-form="edit-alert"] button[type="submit"]');
    await page.waitForFunction((id) => document.querySelector(`tr[data-alert="${id}"]`)?.textContent?.includes('≥ 50 %') === true, ruleId);
    const rules = await publisher.expect<{ list: Array<{ id: string; threshold: number; webhookUrl: string; metric: string }> }>(
      [200],
      'GET',
      '/api/publisher/v1/alerts',
    );
    expect(rules.body.list.find((r) => r.id === ruleId)).toMatchObject({ threshold: 50, metric: 'error_rate', webhookUrl: hookUrl });

    // Six calls without a credential: 401s, an error rate of 100 %. Usage reaches D1 through a queue: poll.
    for (let i = 0; i < 6; i++) expect((await fetch(`${gatewayUrl}${context}/v1/pets`)).status).toBe(401);
    let requests = 0;
    for (let i = 0; i < 60 && requests < 6; i++) {
      const usage = await publisher.expect<{ list: Array<{ requests: number }> }>(
        [200],
        'GET',
        `/api/publisher/v1/usage?apiId=${apiId}&granularity=minute&from=${stamp - 60_000}`,
      );
      requests = usage.body.list.reduce((n, p) => n + p.requests, 0);
      if (requests < 6) await new Promise((r) => setTimeout(r, 500));
    }
    expect(requests).toBe(6);

    // The control plane's cron: the launcher runs it every 3 s in this suite (wrangler dev runs no crons); triggered here too, so the test need not wait.
    const mine = () => hook.received.filter((r) => r.body.includes(ruleId));
    for (let attempt = 0; attempt < 3 && mine().length === 0; attempt++) {
      expect((await fetch(`${controlPlaneUrl}/cdn-cgi/local/scheduled`)).ok).toBe(true);
      for (let i = 0; i < 20 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 500));
    }
    const [delivery] = mine();
    expect(delivery).toBeDefined();
    const payload = JSON.parse(delivery?.body ?? '{}') as { alertId: string; metric: string; value: number; threshold: number };
    expect(payload).toMatchObject({ alertId: ruleId, metric: 'error_rate', value: 100, threshold: 50 });
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(delivery?.headers['turnpike-signature'])) ?? [];
    expect(v1).toBe(createHmac('sha256', secret).update(`${t}.${delivery?.body}`).digest('hex'));

    await page.click('#alert-events-refresh');
    const eventRow = `#alert-events tr[data-alert-event]:has-text("Alerting ${stamp}")`;
    await page.waitForSelector(eventRow);
    const event = (await page.textContent(eventRow)) ?? '';
    expect(event).toContain('100 %');
    expect(event).toContain('HTTP 204');
    expect(await page.textContent(`tr[data-alert="${ruleId}"]`)).not.toContain('never');
    await page.screenshot({ path: join(shots, 'publisher-alerts-fired.png'), fullPage: true });
    await page.context().close();
  });

  it('lets a developer add and delete an alert rule on a subscription, and an admin see every rule', async () => {
    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/usage`);
    await page.click('#usage-alerts');
    await page.waitForSelector('#alert-form');
    await page.selectOption('#alert-target', { label: `${demo.application.name} → ${demo.api.name} ${demo.api.version}` });
    await page.selectOption('#alert-metric', 'quota_use');
    await page.fill('#alert-threshold', '80');
    await page.fill('#alert-webhook', `https://hooks.example.com/dev-${stamp}`);
    await page.click('#alert-submit');
    await page.waitForSelector('#secret');
    const row = `#alert-rules tr:has-text("dev-${stamp}")`;
    await page.waitForSelector(row);
    expect(await page.textContent(row)).toContain('Quota used ≥ 80 %');
    await page.screenshot({ path: join(shots, 'developer-alerts.png'), fullPage: true });

    const admin = await signIn(demo.users.admin);
    await admin.goto(`${portalUrl}/#/admin/alerts`);
    await admin.waitForSelector('#alert-rules table');
    expect(await admin.textContent('#alert-rules')).toContain(`dev-${stamp}`);
    await admin.screenshot({ path: join(shots, 'admin-alerts.png'), fullPage: true });
    await admin.context().close();

    await page.click(`${row} [data-action="delete-alert"]`);
    await page.waitForFunction((text) => !document.querySelector('#alert-rules')?.textContent?.includes(text), `dev-${stamp}`);
    await page.context().close();
  });

  it('fits a phone: the new screens render at 390 px without horizontal scrolling', async () => {
    const check = async (page: Page, pages: ReadonlyArray<readonly [string, string, string]>) => {
      await page.setViewportSize({ width: 390, height: 844 });
      for (const [hash, name, ready] of pages) {
        await page.goto(`${portalUrl}/${hash}`);
        await page.waitForSelector(ready);
        if (name === 'admin-policies') {
          await page.selectOption('#policy-form [data-pointer="/kind"]', 'advanced');
          await page.click('[data-action="add-group"]');
        }
        expect(await page.evaluate(() => document.documentElement.scrollWidth), name).toBeLessThanOrEqual(392);
        await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
      }
      await page.context().close();
    };
    await check(await signIn(demo.users.admin), [
      ['#/admin/policies', 'admin-policies', '#policy-form'],
      ['#/admin/trusted-issuers', 'admin-trusted-issuers', '#issuer-form'],
      ['#/admin/applications', 'admin-applications', '#admin-app-list table'],
      ['#/admin/alerts', 'admin-alerts', '#alert-form'],
    ]);
    await check(await signIn(demo.users.publisher), [[`#/publisher/apis/${demo.api.id}/alerts`, 'publisher-alerts', '#alert-form']]);
    await check(await signIn(demo.users.developer), [['#/usage/alerts', 'developer-alerts', '#alert-form']]);
  });
});
