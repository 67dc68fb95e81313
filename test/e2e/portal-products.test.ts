import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, DEMO_TIER, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';
import { publishApi } from './support.ts';

/** API products in the portal (decision 0049), in Chromium: the publisher builds one, a visitor finds it, a developer subscribes. */
const { portalUrl, controlPlaneUrl, demo } = usePlatform();
const { signIn, newPage, dialogs } = useBrowser(portalUrl);
const stamp = Date.now().toString(36);
const productName = `Portal bundle ${stamp}`;
const apiNames = [`Bundled shop ${stamp}`, `Bundled billing ${stamp}`];
let publisher: Client;

beforeAll(async () => {
  publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
  for (const [i, name] of apiNames.entries())
    await publishApi(publisher, {
      name,
      context: `/bundled${i}-${stamp}`,
      version: 'v1',
      subscriptionTiers: [DEMO_TIER.name],
      resources: [
        { method: 'GET', path: '/items', authType: 'oauth2' },
        { method: 'POST', path: '/items', authType: 'oauth2' },
      ],
      endpoints: { production: { urls: [{ url: 'http://127.0.0.1:9/unused' }] } },
    });
});

describe('portal: API products', () => {
  it('lets a publisher bundle operations of two APIs into a product with a tier and publish it; a visitor finds it in the catalog marked Product, with its operations by API; a developer subscribes on its tier', async () => {
    const page = await signIn(demo.users.publisher);
    await page.goto(`${portalUrl}/#/publisher`);
    await page.click('#products-link');
    await page.click('#new-product');
    await page.waitForSelector('#product-form');
    await page.fill('#product-name', productName);
    await page.fill('#product-context', `/portal-bundle-${stamp}`);
    await page.fill('#product-description', 'Shop and billing, **one** quota.');
    for (const box of await page.$$('input[name="product-tiers"]:checked')) await box.uncheck();
    await page.check(`input[name="product-tiers"][value="${DEMO_TIER.name}"]`);
    await page.check(`.product-pick[data-api="${apiNames[0]}"] input[data-op="GET /items"]`);
    await page.check(`.product-pick[data-api="${apiNames[1]}"] input[data-op="GET /items"]`);
    await page.click('#product-submit');
    const row = `#publisher-products tr[data-product="${productName}"]`;
    await page.waitForSelector(row);
    expect(await page.textContent(`${row} td[data-label="Operations"]`)).toBe('2');
    await page.click(`${row} [data-transition="PUBLISHED"]`);
    await page.waitForSelector(`${row} .badge.published`);

    const visitor = await newPage();
    await visitor.goto(`${portalUrl}/#/catalog`);
    const card = visitor.locator('#catalog article', { hasText: productName });
    await card.waitFor();
    expect(await card.locator('.badge.product').textContent()).toBe('Product');
    await card.locator('h2 a').click();
    await visitor.waitForSelector('#product-operations');
    expect(await visitor.textContent('#product-badge')).toBe('Product');
    const groups = await visitor.$$eval('#product-operations .product-api', (sections) =>
      sections.map((s) => [s.querySelector('h3 a')?.textContent ?? '', [...s.querySelectorAll('tbody code')].map((c) => c.textContent)]),
    );
    // One section per API, each with the operation picked from it (in the picker's order, newest API first).
    expect(Object.fromEntries(groups)).toEqual({
      [apiNames[0] ?? '']: [`/bundled0-${stamp}/v1/items`],
      [apiNames[1] ?? '']: [`/bundled1-${stamp}/v1/items`],
    });
    expect(groups).toHaveLength(2);
    expect(await visitor.locator('#product-operations .gateway-url').count()).toBe(2);
    expect(await visitor.textContent('#subscribe')).toContain('Sign in');
    await visitor.screenshot({ path: join(shots, 'product-page.png'), fullPage: true });

    const developer = await signIn(demo.users.developer);
    await developer.goto(`${portalUrl}/#/catalog`);
    await developer.locator('#catalog article', { hasText: productName }).locator('h2 a').click();
    await developer.waitForSelector('#subscribe-tier');
    expect(await developer.$$eval('#subscribe-tier option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual([DEMO_TIER.name]);
    await developer.selectOption('#subscribe-app', '__new__');
    await developer.fill('#subscribe-new-app', `Product app ${stamp}`);
    await developer.click('#subscribe-submit');
    await developer.waitForSelector('#subscribed');
    expect(await developer.textContent('#subscribed-apps')).toContain(`Product app ${stamp}`);
    expect(dialogs).toEqual([]);
  });
});
