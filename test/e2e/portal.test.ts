import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';
import { mailedLink } from './support.ts';

/** The portal in Debian's Chromium against the running platform; screenshots for reviewers. */
const { portalUrl, controlPlaneUrl, demoBackendUrl, demo, mailDir } = usePlatform();
const { dialogs, newPage, signIn } = useBrowser(portalUrl);

/**
 * Swagger UI's console for one operation of the reference (#operations): opens the operation, clears
 * an earlier answer, executes it with what its inputs hold, and reads the status and body it shows.
 */
async function execute(page: Page, method: string, path: string): Promise<{ status: string; body: string }> {
  const op = `#operations .opblock-${method.toLowerCase()}:has(.opblock-summary-path[data-path="${path}"])`;
  if ((await page.$(`${op}.is-open`)) === null) await page.click(`${op} .opblock-summary-control`);
  const clear = await page.$(`${op} button.btn-clear`);
  if (clear !== null) await clear.click();
  await page.click(`${op} button.execute`);
  const status = await page.waitForSelector(`${op} .live-responses-table tbody .response-col_status`);
  // An undocumented code reads "401 Undocumented": the status is its first word.
  return {
    status: /\d{3}/.exec((await status.textContent()) ?? '')?.[0] ?? '',
    body: (await page.textContent(`${op} .live-responses-table tbody .response-col_description`)) ?? '',
  };
}

describe('portal', () => {
  it('serves a Content-Security-Policy without inline scripts and refuses framing', async () => {
    const res = await fetch(portalUrl);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('fences the try-it proxy: only the console may use it, and what it serves cannot script the portal', async () => {
    const navigation = await fetch(`${portalUrl}/gateway/production${demo.api.context}/pets`);
    expect(navigation.status).toBe(400);
    const res = await fetch(`${portalUrl}/gateway/production${demo.api.context}/pets`, { headers: { 'x-turnpike-try-it': '1' } });
    // No credential: the gateway's own 401, forwarded, inside a sandboxing CSP.
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).not.toBeNull();
    expect(res.headers.get('content-security-policy')).toContain('sandbox');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('refuses a wrong password with the problem shown inline', async () => {
    const page = await newPage();
    await page.goto(`${portalUrl}/#/signin`);
    await page.fill('#email', demo.users.developer.email);
    await page.fill('#password', 'wrong password');
    await page.click('#login');
    await expect(page.waitForSelector('.error')).resolves.toBeTruthy();
    expect(await page.textContent('.error')).toContain('Wrong email or password');
    await page.context().close();
  });

  it('lets a developer rename themselves and change their password on the account page', async () => {
    const who = { email: `account-${stamp}@example.com`, password: 'the first long password' };
    expect(
      (
        await fetch(`${controlPlaneUrl}/api/devportal/v1/signup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...who, displayName: 'Before' }),
        })
      ).status,
    ).toBe(202);
    // The account opens once the mailed link is followed (decision 0026).
    const token = (await mailedLink(mailDir, who.email, 'verify')).split('/').pop();
    expect(
      (
        await fetch(`${controlPlaneUrl}/api/auth/verify-email`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token }),
        })
      ).status,
    ).toBeLessThan(300);
    const page = await signIn(who);
    await page.click(`header a[href="#/account"]`);
    await page.waitForSelector('#account');
    await page.fill('#account-display-name', 'After');
    await page.click('#account-rename');
    await page.waitForFunction(() => document.querySelector('#account-name')?.textContent === 'After');
    await page.fill('#account-current-password', 'not the password');
    await page.fill('#account-new-password', 'the second long password');
    await page.click('#account-password');
    const error = await page.waitForSelector('#account-current-password ~ .field-error');
    expect(await error.textContent()).toContain('Not your current password');
    await page.fill('#account-current-password', who.password);
    await page.click('#account-password');
    await page.waitForSelector('form[aria-label="Change password"] .ok');
    await page.screenshot({ path: join(shots, 'account.png'), fullPage: true });
    await page.context().close();
    const login = (password: string) =>
      fetch(`${controlPlaneUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: who.email, password }),
      });
    expect((await login(who.password)).status).toBe(401);
    expect((await login('the second long password')).status).toBe(200);
  });

  it('lets the demo developer find the Petstore and see the Demo App subscribed to it', async () => {
    const page = await signIn(demo.users.developer);
    await page.waitForSelector('#catalog .card');
    expect(await page.textContent('#catalog')).toContain('Petstore');
    await page.screenshot({ path: join(shots, 'catalog.png'), fullPage: true });
    await page.click('a[href="#/applications"]');
    await page.waitForSelector('#applications');
    const app = await page.textContent('[data-app="Demo App"]');
    expect(app).toContain('Petstore v1');
    expect(app).toContain(demo.application.clientId);
    // The curl line names the gateway from the portal's GATEWAY_URL (/portal-config), never a placeholder.
    expect(app).toMatch(/curl -u '[^']+:<secret>' -d grant_type=client_credentials https?:\/\/[^ ]+\/oauth2\/token/);
    await page.screenshot({ path: join(shots, 'applications.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: join(shots, 'applications-phone.png'), fullPage: true });
    await page.context().close();
  });

  it('shows the publisher their APIs with only the legal lifecycle transitions', async () => {
    const page = await signIn(demo.users.publisher);
    await page.click('a[href="#/publisher"]');
    await page.waitForSelector('#publisher-apis');
    const row = await page.textContent('#publisher-apis tbody');
    expect(row).toContain('Petstore');
    expect(row).toContain('PUBLISHED');
    expect(row).toContain('→ DEPRECATED');
    expect(row).not.toContain('→ RETIRED');
    await page.screenshot({ path: join(shots, 'publisher.png'), fullPage: true });
    await page.context().close();
  });

  const stamp = Date.now();
  const imported = { id: '', title: `Imported Pets ${stamp}`, context: `/imported-${stamp}`, version: '1.0' };
  const definition = [
    'openapi: 3.0.3',
    'info:',
    `  title: ${imported.title}`,
    `  version: '${imported.version}'`,
    '  description: Pets, imported from a **file**.',
    'paths:',
    '  /pets:',
    '    get:',
    '      summary: List pets',
    '      parameters:',
    '        - { name: limit, in: query, schema: { type: integer } }',
    "      responses: { '200': { description: The pets } }",
    '  /pets/{petId}:',
    '    get:',
    '      summary: One pet',
    '      parameters:',
    '        - { name: petId, in: path, required: true, schema: { type: integer, example: 1 } }',
    "      responses: { '200': { description: The pet } }",
  ].join('\n');

  it('lets a publisher import an OpenAPI file, see its resources, publish it, deploy it and purge its response cache', async () => {
    const page = await signIn(demo.users.publisher);
    await page.click('a[href="#/publisher"]');
    await page.click('a:has-text("Create or import an API")');
    await page.setInputFiles('#import-file', { name: 'pets.yaml', mimeType: 'application/yaml', buffer: Buffer.from(definition) });
    await page.waitForFunction(() => document.querySelectorAll('#import-preview li').length === 2);
    expect(await page.textContent('#import-preview')).toContain('/pets/{petId}');
    await page.fill('#import-context', 'not a context');
    await page.fill('#import-endpoint', `${demoBackendUrl}/petstore`);
    await page.click('#import-submit');
    // The problem's errors[] lands next to the field its pointer names.
    await page.waitForSelector('#import-context[aria-invalid="true"] + .field-error');
    await page.screenshot({ path: join(shots, 'publisher-import.png'), fullPage: true });
    await page.fill('#import-context', imported.context);
    await page.click('#import-submit');
    await page.waitForSelector('#publisher-settings');
    imported.id = decodeURIComponent(/#\/publisher\/apis\/([^/]+)/.exec(page.url())?.[1] ?? '');
    expect(imported.id).not.toBe('');
    await page.click('nav.tabs a:has-text("Lifecycle & deploy")');
    await page.waitForSelector('#lifecycle');
    expect(await page.$('[data-transition="RETIRED"]')).toBeNull();
    await page.click('[data-transition="PUBLISHED"]');
    await page.waitForFunction(() => document.querySelector('#lifecycle')?.textContent?.includes('Now PUBLISHED') === true);
    await page.click('#create-revision');
    await page.waitForSelector('[data-revision="1"]');
    await page.click('[data-deploy="1:production"]');
    await page.waitForFunction(
      () => document.querySelector('[data-environment="production"]')?.textContent?.includes('serves revision 1') === true,
    );
    await page.screenshot({ path: join(shots, 'publisher-deploy.png'), fullPage: true });
    await page.click('#purge-cache');
    await page.waitForFunction(() => document.querySelector('#purge-result')?.textContent?.includes('production') === true);
    await page.context().close();
  });

  it('walks a new developer from sign-up to a try-it call that shows in usage, and fails once an admin blocks the subscription', async () => {
    expect(imported.id).not.toBe('');
    const page = await newPage();
    await page.goto(`${portalUrl}/#/signin`);
    const email = `newdev-${stamp}@example.com`;
    await page.fill('#signup-name', 'New Developer');
    await page.fill('#signup-email', email);
    await page.fill('#signup-password', 'a long enough password');
    await page.click('#signup');
    await page.waitForSelector('#signup-sent');
    await page.goto(await mailedLink(mailDir, email, 'verify'));
    await page.click('#verify-signin');
    await page.fill('#email', email);
    await page.fill('#password', 'a long enough password');
    await page.click('#login');
    await page.waitForSelector('#catalog .card');
    await page.fill('#search', imported.title);
    await page.click(`#catalog h2 a:has-text("${imported.title}")`);
    await page.waitForSelector('#api-overview');
    expect(await page.textContent('#api-overview')).toContain('/pets/{petId}');
    expect(await page.innerHTML('#api-overview')).toContain('<strong>file</strong>');

    await page.click('a[href="#/applications"]');
    await page.fill('#app-name', 'My first app');
    await page.click('form[data-form="create-app"] button[type="submit"]');
    const card = '[data-app="My first app"]';
    await page.waitForSelector(card);
    await page.selectOption(`${card} select[data-field="api"]`, { label: `${imported.title} ${imported.version}` });
    await page.selectOption(`${card} select[data-field="tier"]`, 'Gold');
    await page.click(`${card} form[data-form="subscribe"] button`);
    await page.waitForFunction(({ sel, title }) => document.querySelector(sel)?.textContent?.includes(`${title} ·`) === true, {
      sel: card,
      title: `${imported.title} ${imported.version}`,
    });
    await page.click(`${card} button:has-text("Generate production keys")`);
    await page.waitForSelector('#secret');
    expect(await page.textContent('.warning')).toContain('shown once');
    await page.screenshot({ path: join(shots, 'new-developer.png'), fullPage: true });

    await page.goto(`${portalUrl}/#/apis/${imported.id}/reference`);
    await page.waitForSelector('#operations .opblock');
    await page.click('#try-get-token');
    await page.waitForSelector('#try-credentials .ok');
    const ok = await execute(page, 'GET', '/pets');
    expect(ok.status).toBe('200');
    expect(ok.body).toContain('Rex');
    await page.screenshot({ path: join(shots, 'api-reference-try-it.png'), fullPage: true });

    // Usage reaches D1 through a queue up to about 16 s after the call (decision 0059): poll, with a bound.
    await page.click('a[href="#/usage"]');
    await page.selectOption('#usage-app', { label: 'My first app' });
    let total = 0;
    for (let i = 0; i < 60 && total < 1; i++) {
      await page.click('#usage-refresh');
      await page.waitForTimeout(500);
      total = Number((await page.getAttribute('#usage > [data-total]', 'data-total')) ?? 0);
    }
    expect(total).toBeGreaterThanOrEqual(1);
    expect(await page.$$('#usage svg.chart rect')).not.toHaveLength(0);
    // Readable at a glance: axis labels at body-text size whatever the chart's width, a tooltip per bar and per point.
    for (const height of await page.$$eval('#usage svg.chart text', (ts) => ts.map((t) => t.getBoundingClientRect().height)))
      expect(height).toBeGreaterThanOrEqual(14);
    expect(await page.$$eval('#usage svg.chart rect', (rs) => rs.every((r) => r.querySelector('title') !== null))).toBe(true);
    expect(
      await page.$$eval(
        '#usage svg.chart .point',
        (ps) => ps.length > 0 && ps.every((p) => (p.querySelector('title')?.textContent ?? '') !== ''),
      ),
    ).toBe(true);
    // The remaining quota of the subscription, read from its counter object (exact arithmetic is
    // checked in the control plane's tests; a window may have started again since the call).
    const quotaRow = await page.waitForSelector('#quota tbody tr');
    expect(await quotaRow.textContent()).toContain('Gold');
    const meter = await page.$eval('#quota meter', (m) => ({ value: (m as HTMLMeterElement).value, max: (m as HTMLMeterElement).max }));
    expect(meter.max).toBeGreaterThan(0);
    expect(meter.value).toBeLessThanOrEqual(meter.max);
    await page.screenshot({ path: join(shots, 'usage.png'), fullPage: true });

    const admin = await signIn(demo.users.admin);
    await admin.goto(`${portalUrl}/#/publisher/apis/${imported.id}/subscribers`);
    const row = `#subscribers tr[data-subscriber="${email}"]`;
    await admin.click(`${row} [data-action="block"]`);
    expect(await admin.textContent(`${row} .confirm`)).toContain('refused from the next request on');
    await admin.click(`${row} .confirm [data-action="confirm"]`);
    await admin.waitForFunction((sel) => document.querySelector(sel)?.textContent?.includes('BLOCKED') === true, row);
    await admin.screenshot({ path: join(shots, 'publisher-subscribers.png'), fullPage: true });
    await admin.context().close();

    await page.goto(`${portalUrl}/#/apis/${imported.id}/reference`);
    await page.waitForSelector('#operations .opblock');
    await page.click('#try-get-token');
    await page.waitForSelector('#try-credentials .ok');
    expect((await execute(page, 'GET', '/pets')).status).toBe('403');
    await page.context().close();
  });

  it("calls an API from the console with an application's API key, and shows the gateway's 401 for a wrong one", async () => {
    expect(imported.id).not.toBe('');
    const page = await signIn(demo.users.developer);
    await page.click('a[href="#/applications"]');
    const appName = `Key app ${stamp}`;
    await page.fill('#app-name', appName);
    await page.click('form[data-form="create-app"] button[type="submit"]');
    const card = `[data-app="${appName}"]`;
    await page.waitForSelector(card);
    await page.selectOption(`${card} select[data-field="api"]`, { label: `${imported.title} ${imported.version}` });
    await page.selectOption(`${card} select[data-field="tier"]`, 'Gold');
    await page.click(`${card} form[data-form="subscribe"] button`);
    await page.waitForFunction(({ sel, title }) => document.querySelector(sel)?.textContent?.includes(`${title} ·`) === true, {
      sel: card,
      title: `${imported.title} ${imported.version}`,
    });
    await page.fill(`${card} input[aria-label="API key name"]`, 'console');
    await page.click(`${card} form[data-form="api-key"] button[type="submit"]`);
    const key = ((await (await page.waitForSelector(`${card} #secret`)).textContent()) ?? '').trim();
    expect(key).not.toBe('');

    await page.goto(`${portalUrl}/#/apis/${imported.id}/reference`);
    await page.waitForSelector('#operations .opblock');
    await page.selectOption('#try-mode', 'apikey');
    expect(await page.textContent('#try-where')).toContain('apikey');
    await page.fill('#try-credential', key);
    const ok = await execute(page, 'GET', '/pets/{petId}');
    expect(ok.status).toBe('200');
    expect(ok.body).toContain('Rex');
    await page.screenshot({ path: join(shots, 'api-reference-api-key.png'), fullPage: true });

    await page.fill('#try-credential', `${key.slice(0, -4)}xxxx`);
    const refused = await execute(page, 'GET', '/pets/{petId}');
    expect(refused.status).toBe('401');
    await page.context().close();
  });

  it('lets an admin approve a pending application, add a policy (with inline validation), block an IP and filter the audit log', async () => {
    const page = await signIn(demo.users.admin);
    await page.click('a[href="#/admin"]');
    await page.waitForSelector('#admin-approvals');
    await page.check('#admin-approvals label:has-text("Approve new applications") input');
    await page.waitForSelector('#admin-approvals .ok');
    const developer = await tokenFor(new Client(controlPlaneUrl), demo.users.developer, ['apps:manage']);
    const pending = await developer.expect<{ id: string; status: string }>([201], 'POST', '/api/devportal/v1/applications', {
      name: `Needs approval ${stamp}`,
    });
    expect(pending.body.status).toBe('CREATED');
    await page.reload();
    await page.waitForSelector('#approvals');
    await page.screenshot({ path: join(shots, 'admin-approvals.png'), fullPage: true });
    await page.click(`[data-workflow] :text("${pending.body.id}") >> xpath=.. >> [data-action="approve"]`);
    await page.waitForFunction((id) => !document.body.textContent?.includes(id), pending.body.id);
    await page.uncheck('#admin-approvals label:has-text("Approve new applications") input');
    await page.waitForSelector('#admin-approvals .ok');
    const apps = await developer.expect<{ list: Array<{ id: string; status: string }> }>([200], 'GET', '/api/devportal/v1/applications');
    expect(apps.body.list.find((a) => a.id === pending.body.id)?.status).toBe('APPROVED');

    await page.click('a[href="#/admin/policies"]');
    await page.fill('#policy-form [data-pointer="/name"]', 'not valid!');
    await page.fill('#policy-form [data-pointer="/limit"]', '100');
    await page.click('#policy-form button[type="submit"]');
    await page.waitForSelector('#policy-form [data-pointer="/name"][aria-invalid="true"] + .field-error');
    await page.fill('#policy-form [data-pointer="/name"]', `Tier${stamp}`);
    await page.click('#policy-form button[type="submit"]');
    await page.waitForSelector(`#policies tr[data-policy="Tier${stamp}"]`);
    await page.screenshot({ path: join(shots, 'admin-policies.png'), fullPage: true });

    await page.click('a[href="#/admin/blocking"]');
    await page.selectOption('#condition-form [data-pointer="/conditionType"]', 'IP');
    await page.fill('#condition-form [data-pointer="/conditionValue"]', '203.0.113.77');
    await page.click('#condition-form button[type="submit"]');
    await page.waitForSelector('#conditions :text("203.0.113.77")');
    await page.screenshot({ path: join(shots, 'admin-blocking.png'), fullPage: true });
    await page.click('#conditions tr:has-text("203.0.113.77") button:has-text("Delete")');
    await page.click('#conditions tr:has-text("203.0.113.77") .confirm [data-action="confirm"]');
    await page.waitForFunction(() => !document.querySelector('#admin-blocking')?.textContent?.includes('203.0.113.77'));

    await page.click('a[href="#/admin/environments"]');
    expect(await page.textContent('#environments')).toContain('production');
    await page.click('a[href="#/admin/users"]');
    expect(await page.textContent('#users')).toContain(demo.users.developer.email);
    await page.screenshot({ path: join(shots, 'admin-users.png'), fullPage: true });
    await page.click('a[href="#/admin/audit"]');
    await page.fill('#audit-action', 'policy.create');
    await page.click('#admin-audit form button[type="submit"]');
    await page.waitForFunction(
      (name) =>
        document.querySelector('#audit')?.textContent?.includes(name) === true &&
        !document.querySelector('#audit')?.textContent?.includes('blocking.create'),
      `Tier${stamp}`,
    );
    await page.screenshot({ path: join(shots, 'admin-audit.png'), fullPage: true });
    await page.context().close();
  });

  it('never runs script planted in any publisher-controlled text (stored XSS), on any page that renders it', async () => {
    const payloads = [
      '<img src=x onerror=alert(1)>',
      '<script>alert(2)</script>',
      '"><svg onload=alert(3)>',
      'javascript:alert(4)',
    ] as const;
    const all = payloads.join(' ');
    const markdownBody = [
      `# Guide ${payloads[0]}`,
      '',
      all,
      '',
      '[click me](javascript:alert(5)) [data](data:text/html,<script>alert(6)</script>) [ok](https://example.com)',
      '',
      `![pixel](javascript:alert(7))`,
      '',
      '```',
      payloads[1],
      '```',
      '',
      `> ${payloads[2]}`,
      '',
      `- ${payloads[0]}`,
      '',
      '| a | b |',
      '|---|---|',
      `| ${payloads[1]} | **${payloads[0]}** |`,
    ].join('\n');
    const publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, [
      'api:create',
      'api:publish',
      'api:deploy',
      'api:view',
      'api:subscriptions',
    ]);
    const created = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', {
      name: `XSS ${payloads[0]}`,
      context: `/xss${stamp}`,
      version: 'v1',
      description: `${all}\n\n[x](javascript:alert(8))`,
      tags: payloads,
      subscriptionTiers: ['Gold'],
      endpoints: {
        production: {
          strategy: 'failover',
          urls: [{ url: 'https://example.com/x?<script>alert(11)</script>' }],
          security: { type: 'basic', username: payloads[0], password: 'never shown' },
        },
      },
      headerEdits: {
        request: { set: { 'X-Planted': payloads[1] }, remove: [] },
        response: { set: { 'X-Planted': payloads[2] }, remove: [] },
      },
      resources: [
        { method: 'GET', path: '/x<svg/onload=alert(9)>' },
        { method: 'POST', path: '/items', scopes: ['<img/src=x/onerror=alert(10)>'] },
      ],
      // Hostile text wherever the OpenAPI schema allows text: the import refuses what it does not (a
      // contact email that is no address, a response under a key that is no status code).
      openapi: {
        openapi: '3.0.3',
        info: {
          title: payloads[0],
          version: '1',
          description: markdownBody,
          termsOfService: 'javascript:alert(11)',
          contact: { name: payloads[2], url: 'javascript:alert(12)', email: 'xss@example.com' },
          license: { name: payloads[1], url: 'javascript:alert(13)' },
        },
        externalDocs: { description: payloads[0], url: 'javascript:alert(14)' },
        servers: [{ url: 'javascript:alert(15)', description: payloads[1] }],
        tags: [{ name: payloads[0], description: markdownBody, externalDocs: { url: 'javascript:alert(16)', description: payloads[2] } }],
        components: {
          securitySchemes: {
            oauth2: {
              type: 'oauth2',
              description: payloads[0],
              flows: { implicit: { authorizationUrl: 'javascript:alert(17)', scopes: { [payloads[1]]: payloads[2] } } },
            },
          },
          schemas: {
            Evil: {
              type: 'object',
              title: payloads[0],
              description: markdownBody,
              properties: { [payloads[1]]: { type: 'string', description: payloads[2], example: payloads[0] } },
            },
            Far: { $ref: 'https://example.com/evil.json' },
          },
        },
        security: [{ oauth2: [payloads[1]] }],
        paths: {
          '/x<svg/onload=alert(9)>': {
            get: {
              summary: payloads[1],
              description: all,
              tags: payloads,
              externalDocs: { url: 'javascript:alert(18)', description: payloads[0] },
              servers: [{ url: 'javascript:alert(19)' }],
              parameters: [{ name: payloads[0], in: 'query', description: payloads[2], schema: { type: 'string', enum: payloads } }],
              responses: { default: { description: payloads[1] } },
            },
          },
          '/items': {
            post: {
              summary: payloads[2],
              requestBody: {
                description: markdownBody,
                content: {
                  'application/json': {
                    schema: {
                      type: 'object',
                      properties: { [payloads[0]]: { type: 'string', example: payloads[1] }, evil: { $ref: '#/components/schemas/Evil' } },
                    },
                  },
                },
              },
              responses: {
                200: { description: all, headers: { [payloads[0]]: { description: payloads[1], schema: { type: 'string' } } } },
              },
            },
          },
        },
      },
    });
    const apiId = created.body.id;
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${apiId}/documents`, {
      name: `Doc ${payloads[0]}`,
      type: 'HOWTO',
      sourceType: 'INLINE',
      content: markdownBody,
    });
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${apiId}/documents`, {
      name: `Link ${payloads[1]}`,
      type: 'OTHER',
      sourceType: 'URL',
      url: 'https://example.com/?q=%3Cscript%3E',
    });
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${apiId}/lifecycle`, { state: 'PUBLISHED' });
    // Deployed, so its reference renders the console (an API deployed nowhere shows none).
    const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${apiId}/revisions`, {});
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${apiId}/deployments`, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    const developer = await tokenFor(new Client(controlPlaneUrl), demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    const subscription = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: demo.application.id,
      apiId,
      tier: 'Gold',
    });
    // A collaborator and a rater whose display names, and a comment, carry the payloads.
    const userAdmin = await tokenFor(new Client(controlPlaneUrl), demo.users.admin, ['admin:users']);
    const password = 'a long enough password';
    const collaborator = { email: `xss-collab-${stamp}@example.com`, password };
    await userAdmin.expect([201], 'POST', '/api/admin/v1/users', { ...collaborator, displayName: payloads[1], role: 'publisher' });
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${apiId}/collaborators`, { email: collaborator.email });
    const rater = { email: `xss-rater-${stamp}@example.com`, password };
    await userAdmin.expect([201], 'POST', '/api/admin/v1/users', { ...rater, displayName: payloads[2], role: 'developer' });
    const raterClient = await tokenFor(new Client(controlPlaneUrl), rater, ['subscriptions:manage']);
    await raterClient.expect([200], 'PUT', `/api/devportal/v1/apis/${apiId}/ratings/mine`, {
      rating: 2,
      comment: `${all}\n[x](javascript:alert(12))`,
    });
    // Alert rules, application names and trusted issuers are shown to other users (publishers, admins).
    const webhookUrl = `https://hooks.example.com/${payloads[2]}?q=${payloads[0]}`;
    await publisher.expect([201], 'POST', '/api/publisher/v1/alerts', { scopeId: apiId, metric: 'error_rate', threshold: 50, webhookUrl });
    await developer.expect([201], 'POST', '/api/devportal/v1/alerts', {
      scopeId: subscription.body.id,
      metric: 'quota_use',
      threshold: 80,
      webhookUrl,
    });
    await developer.expect([201], 'POST', '/api/devportal/v1/applications', { name: `XSS app ${payloads[0]}`, description: payloads[1] });
    const adminClient = await tokenFor(new Client(controlPlaneUrl), demo.users.admin, ['admin:settings']);
    const issuer = `xss${stamp}`;
    await adminClient.expect([200], 'PUT', `/api/admin/v1/trusted-issuers/${issuer}`, {
      name: issuer,
      issuer: `https://idp.example/${payloads[1]}`,
      jwks: { keys: [{ kty: 'EC', crv: 'P-256', kid: payloads[0], alg: 'ES256', x: payloads[2], y: payloads[3] }] },
    });

    /** Nothing the payloads could have become: no elements that load or run things (Swagger UI's own aria-hidden icons aside), no handlers, no script URLs. */
    const assertInert = async (page: Page, where: string) => {
      const bad = await page.evaluate(() =>
        [...document.querySelectorAll('main *')]
          .filter(
            (el) =>
              ['IMG', 'SCRIPT', 'IFRAME', 'OBJECT', 'EMBED', 'FRAME'].includes(el.tagName.toUpperCase()) ||
              (el.tagName.toLowerCase() === 'svg' &&
                !el.classList.contains('chart') &&
                !(
                  el.closest('.swagger-ui') !== null &&
                  (el.classList.contains('svg-assets') || el.getAttribute('aria-hidden') === 'true')
                )) ||
              [...el.attributes].some(
                (a) =>
                  a.name.startsWith('on') ||
                  ((a.name === 'href' || a.name === 'src' || a.name === 'action') && /^\s*(javascript|data|vbscript):/i.test(a.value)),
              ),
          )
          .map((el) => el.outerHTML.slice(0, 120)),
      );
      expect(bad, where).toEqual([]);
      expect(dialogs, where).toEqual([]);
    };
    const expandAll = (page: Page) => page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));

    const page = await signIn(demo.users.developer);
    await page.waitForSelector('#catalog .card');
    const text = await page.textContent('#catalog');
    expect(text).toContain(payloads[0]);
    expect(text).toContain(payloads[1]);
    await assertInert(page, 'catalog');
    await page.screenshot({ path: join(shots, 'xss-catalog.png'), fullPage: true });
    await page.goto(`${portalUrl}/#/apis/${apiId}`);
    await page.waitForSelector('#api-overview');
    expect(await page.textContent('#api-overview')).toContain(payloads[2]);
    expect(await page.textContent('#ratings')).toContain(payloads[0]);
    await assertInert(page, 'API overview');
    await page.goto(`${portalUrl}/#/apis/${apiId}/docs`);
    await page.waitForSelector('#documents');
    expect(await page.textContent('#documents')).toContain(payloads[1]);
    expect(await page.$('#documents a[href="https://example.com"]')).not.toBeNull();
    await assertInert(page, 'API documents');
    await page.screenshot({ path: join(shots, 'xss-documents.png'), fullPage: true });
    await page.goto(`${portalUrl}/#/apis/${apiId}/reference`);
    await page.waitForSelector('#operations .opblock');
    // Open every operation and every schema Swagger UI shows collapsed, so all of it is rendered.
    // Swagger UI re-renders after each click; under load a control can still read collapsed for a
    // moment, so the sweep repeats until the last schema (the external reference) is on the page.
    for (let sweep = 0; sweep < 5; sweep++) {
      for (let i = 0; i < 40; i++) {
        const closed = await page.$(
          '#operations .opblock:not(.is-open) .opblock-summary-control, #operations .models-control[aria-expanded="false"], #operations .model-box-control[aria-expanded="false"]',
        );
        if (closed === null) break;
        await closed.click();
      }
      if (((await page.textContent('#operations')) ?? '').includes('External reference')) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(await page.$('#operations .opblock:not(.is-open)')).toBeNull();
    const reference = (await page.textContent('#operations')) ?? '';
    for (const p of payloads) expect(reference).toContain(p);
    expect(reference).toContain('External reference https://example.com/evil.json (not fetched)');
    expect(await page.$('#operations .servers option[value^="javascript"]')).toBeNull();
    expect(await page.$('#operations .authorize, #operations .authorization__btn')).toBeNull();
    await assertInert(page, 'API reference');
    await page.screenshot({ path: join(shots, 'xss-reference.png'), fullPage: true });
    await page.goto(`${portalUrl}/#/applications`);
    await page.waitForSelector('#applications');
    await assertInert(page, 'applications');
    await page.goto(`${portalUrl}/#/usage/alerts`);
    await page.waitForSelector('#alert-rules table');
    expect(await page.textContent('#alert-rules')).toContain(payloads[2]);
    await assertInert(page, 'developer alerts');
    await page.context().close();

    const pub = await signIn(demo.users.publisher);
    const planted: Record<string, string> = {
      '/endpoints': payloads[0],
      '/ratings': payloads[1],
      '/collaborators': payloads[1],
      '/alerts': payloads[2],
    };
    for (const tab of [
      '',
      '/visibility',
      '/endpoints',
      '/headers',
      '/resources',
      '/documents',
      '/deploy',
      '/subscribers',
      '/ratings',
      '/collaborators',
      '/analytics',
      '/alerts',
    ]) {
      await pub.goto(`${portalUrl}/#/publisher/apis/${apiId}${tab}`);
      await pub.waitForSelector(`#publisher-${tab === '' ? 'settings' : tab.slice(1)}`);
      if (tab === '/documents') {
        await pub.click('#document-list li:has-text("Doc") button:has-text("Edit")');
        await pub.waitForFunction(() => document.querySelector('#doc-preview')?.textContent?.includes('alert(2)') === true);
      }
      const text = planted[tab];
      if (text !== undefined) expect(await pub.textContent('main'), tab).toContain(text);
      // Form fields hold planted text as values, never as markup.
      if (tab === '/headers') expect(await pub.inputValue('[data-direction="request"] input[data-key="value"]')).toBe(payloads[1]);
      await assertInert(pub, `publisher ${tab || 'settings'}`);
    }
    await pub.screenshot({ path: join(shots, 'publisher-documents.png'), fullPage: true });
    await pub.goto(`${portalUrl}/#/publisher`);
    await pub.waitForSelector('#publisher-apis');
    await assertInert(pub, 'publisher list');
    await pub.context().close();

    const admin = await signIn(demo.users.admin);
    await admin.goto(`${portalUrl}/#/admin/audit`);
    await admin.waitForSelector('#audit table');
    await expandAll(admin);
    // The newest entries include the planted API, documents, rating and trusted issuer (before/after as JSON text).
    const audit = (await admin.textContent('#audit')) ?? '';
    expect(audit).toContain(payloads[0]);
    expect(audit).toContain(payloads[1]);
    await assertInert(admin, 'audit log');
    for (const [tab, ready] of [
      ['alerts', '#alert-rules table'],
      ['applications', '#admin-app-list table'],
      ['trusted-issuers', '#trusted-issuers'],
    ] as const) {
      await admin.goto(`${portalUrl}/#/admin/${tab}`);
      await admin.waitForSelector(ready);
      expect(await admin.textContent(`#admin-${tab}`), tab).toContain(payloads[0]);
      await assertInert(admin, `admin ${tab}`);
    }
    await adminClient.expect([204], 'DELETE', `/api/admin/v1/trusted-issuers/${issuer}`);
    await admin.context().close();
    expect(dialogs).toEqual([]);
  });

  it('fits a phone: the main pages render at 390 px without horizontal scrolling', async () => {
    const page = await signIn(demo.users.developer);
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [hash, name, ready] of [
      ['#/catalog', 'catalog', '#catalog .card'],
      [`#/apis/${demo.api.id}/reference`, 'api-reference', '#operations .opblock'],
      ['#/applications', 'applications', '#applications'],
      ['#/usage', 'usage', '#usage'],
      ['#/account', 'account', '#account-password'],
    ] as const) {
      await page.goto(`${portalUrl}/${hash}`);
      await page.waitForSelector(ready);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), name).toBeLessThanOrEqual(392);
      await page.screenshot({ path: join(shots, `${name}-phone.png`), fullPage: true });
    }
    await page.context().close();
  });
});
