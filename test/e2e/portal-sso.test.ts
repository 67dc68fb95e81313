import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { AUDIENCE, startProvider, walkLogin, type TestProvider } from '../support/oidc-provider.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';
import { join } from 'node:path';

/**
 * Portal sign-in with an external OpenID Provider (decision 0051): panva's oidc-provider, started
 * here, registered as a key manager, with the portal as its confidential client. A user signs in
 * on the provider's own login and consent pages and lands in the portal with the role its
 * `groups` claim maps to.
 */
const { controlPlaneUrl, portalUrl, demo } = usePlatform();
const { newPage, signIn } = useBrowser(portalUrl);
// One past the port external-key-managers.test.ts gives its provider.
const IDP_PORT = Number(process.env.TURNPIKE_E2E_PORT_BASE ?? 28787) + 101;
const stamp = Date.now().toString(36);
const kmName = `sso-${stamp}`;
const redirectUri = `${portalUrl}/api/auth/sso/${kmName}/callback`;
const people = {
  [`alice-${stamp}`]: {
    email: `alice-${stamp}@corp.test`,
    email_verified: true,
    name: 'Alice Publisher',
    groups: ['staff', 'api-publishers'],
  },
  [`bob-${stamp}`]: { email: `bob-${stamp}@corp.test`, email_verified: true, name: 'Bob', groups: ['staff'] },
  [`carol-${stamp}`]: { email: `carol-${stamp}@corp.test`, email_verified: true, name: 'Carol', groups: ['developers'] },
};
const [alice, bob, carol] = Object.keys(people) as [string, string, string];

let idp: TestProvider;
let admin: Client;

beforeAll(async () => {
  idp = await startProvider(
    IDP_PORT,
    [
      {
        client_id: `portal-${stamp}`,
        client_secret: 'portal-sso-secret-0123456789',
        grant_types: ['authorization_code'],
        redirect_uris: [redirectUri],
        response_types: ['code'],
      },
    ],
    { accounts: people },
  );
  admin = await tokenFor(new Client(controlPlaneUrl), demo.users.admin, ['admin:settings']);
  const km = await admin.expect<{ id: string }>([201], 'POST', '/api/admin/v1/key-managers', {
    name: kmName,
    displayName: 'Corp IdP',
    discoveryUrl: idp.discoveryUrl,
    audience: AUDIENCE,
  });
  const sso = await admin.expect<{ redirectUri: string }>([200], 'PUT', `/api/admin/v1/key-managers/${km.body.id}/sso`, {
    clientId: `portal-${stamp}`,
    clientSecret: 'portal-sso-secret-0123456789',
    scopes: 'openid email profile groups',
    rolesClaim: 'groups',
    roleMapping: [
      { value: 'api-publishers', role: 'publisher' },
      { value: 'developers', role: 'developer' },
    ],
  });
  expect(sso.body.redirectUri).toBe(redirectUri);
});

afterAll(async () => {
  await idp?.close();
});

/** In the page: the provider's development login form, then its consent page. */
async function loginAtProvider(page: Page, user: string): Promise<void> {
  await page.waitForURL((url) => url.origin === idp.issuer);
  await page.fill('input[name=login]', user);
  await page.fill('input[name=password]', 'any');
  await page.click('button[type=submit]');
  await page.waitForSelector('button[type=submit]');
  await page.click('button[type=submit]');
}

describe('portal sign-in with an external OpenID Provider (Chromium)', () => {
  it('signs a publisher in on the provider’s own pages and lands back on the publisher screens with that role', async () => {
    const page = await newPage();
    const callbacks: string[] = [];
    page.on('request', (req) => {
      if (req.url().startsWith(redirectUri)) callbacks.push(req.url());
    });
    await page.goto(`${portalUrl}/#/publisher`);
    const button = page.locator(`#sso-providers a[data-sso="${kmName}"]`);
    await button.waitFor();
    expect(await button.textContent()).toBe('Sign in with Corp IdP');
    await button.click();
    await loginAtProvider(page, alice);
    // A new publisher owns no API yet: the publisher screen offers to create one (a developer has no such link).
    await page.waitForSelector('a[href="#/publisher/new"]');
    expect(new URL(page.url()).hash).toBe('#/publisher');
    expect(await page.textContent('h1')).toBe('Your APIs');
    const session = await page.evaluate(async () => (await fetch('/api/auth/session')).json());
    expect(session).toMatchObject({ user: { email: people[alice]?.email, role: 'publisher', displayName: 'Alice Publisher' } });
    await page.screenshot({ path: join(shots, 'portal-sso-publisher.png') });

    // The provider's redirect, replayed in the same browser: its state was used once.
    expect(callbacks).toHaveLength(1);
    const replay = await page.goto(callbacks[0] ?? '');
    expect(replay?.status()).toBe(401);
    expect(await page.textContent('#sso-error')).toContain('already used');
    await page.context().close();
  });

  it('signs a developer in with the role their group maps to', async () => {
    const page = await newPage();
    await page.goto(`${portalUrl}/#/signin?next=/applications`);
    await page.click(`#sso-providers a[data-sso="${kmName}"]`);
    await loginAtProvider(page, carol);
    await page.waitForURL((url) => url.hash === '#/applications');
    const session = await page.evaluate(async () => (await fetch('/api/auth/session')).json());
    expect(session).toMatchObject({ user: { email: people[carol]?.email, role: 'developer' } });
    await page.context().close();
  });

  it('refuses a user whose groups map to no role, on a page that says why and creates no session', async () => {
    const page = await newPage();
    await page.goto(`${portalUrl}/#/signin`);
    await page.click(`#sso-providers a[data-sso="${kmName}"]`);
    await loginAtProvider(page, bob);
    await page.waitForSelector('#sso-error');
    expect(await page.textContent('#sso-error')).toContain('no group that grants a role');
    await page.screenshot({ path: join(shots, 'portal-sso-refused.png') });
    await page.click('text=Back to sign-in');
    await page.waitForSelector('#login');
    const session = await page.evaluate(async () => (await fetch('/api/auth/session')).json());
    expect(session).toMatchObject({ user: null });
    await page.context().close();
  });

  it('refuses a callback whose state was tampered with, then accepts the real one once', async () => {
    const start = await fetch(`${portalUrl}/api/auth/sso/${kmName}/start?returnTo=/catalog`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const binding = (start.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const back = await walkLogin(start.headers.get('location') ?? '', carol);
    expect(back.origin + back.pathname).toBe(redirectUri);
    const tampered = new URL(back);
    tampered.searchParams.set('state', `${back.searchParams.get('state')}A`);
    const call = (url: URL) => fetch(url, { redirect: 'manual', headers: { cookie: binding } });
    const refused = await call(tampered);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(refused.headers.getSetCookie().some((c) => c.startsWith('tp_session='))).toBe(false);
    const accepted = await call(back);
    expect(accepted.status).toBe(303);
    expect(accepted.headers.get('location')).toBe(`${portalUrl}/#/catalog`);
    expect((await call(back)).status).toBe(401);
  });

  it('lets an admin see the redirect URI to register and change the mapping on the Portal sign-in screen', async () => {
    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/sso`);
    const row = page.locator(`tr[data-sso-provider="${kmName}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(redirectUri);
    await page.selectOption('#sso-key-manager', { label: 'Corp IdP' });
    await page.fill('#sso-client-id', `portal-${stamp}`);
    await page.fill('#sso-scopes', 'openid email profile groups');
    await page.fill('#sso-mapping', 'api-publishers = publisher\ndevelopers = Developer');
    await page.selectOption('#sso-default-role', 'developer');
    await page.click('#sso-save');
    await page.waitForSelector(`tr[data-sso-provider="${kmName}"] >> text=Otherwise: Developer`);
    await page.screenshot({ path: join(shots, 'portal-sso-admin.png') });
    const listed = await admin.expect<{
      list: Array<{ keyManager: string; defaultRole: string | null; hasClientSecret: boolean; roleMapping: unknown }>;
    }>([200], 'GET', '/api/admin/v1/sso-providers');
    expect(listed.body.list.find((p) => p.keyManager === kmName)).toMatchObject({
      defaultRole: 'developer',
      hasClientSecret: true,
      roleMapping: [
        { value: 'api-publishers', role: 'publisher' },
        { value: 'developers', role: 'developer' },
      ],
    });
    await page.context().close();
  });
});
