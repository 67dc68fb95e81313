import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCAL_SIGNING_KEY_PUBLISH_SECONDS } from '../../scripts/lib/platform.ts';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';

/** The Key Manager's portal screens in Chromium: the admin's signing keys, the developer's key roll. */
const { portalUrl, controlPlaneUrl, demo } = usePlatform();
const { signIn } = useBrowser(portalUrl);
const anon = new Client(controlPlaneUrl);

describe('portal: signing keys and API key roll', () => {
  it('adds a signing key that is published before it may sign, then activates it, and the key it replaces says when it retires', async () => {
    const page = await signIn(demo.users.admin);
    await page.goto(`${portalUrl}/#/admin/signing-keys`);
    await page.waitForSelector('#signing-keys tr[data-status="ACTIVE"]');
    const signing = (await page.locator('#signing-keys tr[data-status="ACTIVE"]').getAttribute('data-kid')) ?? '';
    const before = await page.locator('#signing-keys tr[data-status="PUBLISHED"]').count();
    await page.click('[data-action="add-signing-key"]');
    await page.waitForFunction((n) => document.querySelectorAll('#signing-keys tr[data-status="PUBLISHED"]').length === n + 1, before);
    const kid = (await page.locator('#signing-keys tr[data-status="PUBLISHED"]').first().getAttribute('data-kid')) ?? '';
    // Too early to activate (the publish delay): the row says so instead of offering the button.
    expect(await page.textContent(`#signing-keys tr[data-kid="${kid}"]`)).toContain('publishing');
    const jwks = (await (await fetch(`${controlPlaneUrl}/oauth2/jwks`)).json()) as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((k) => k.kid)).toContain(kid);
    // Once the publish delay has passed, the admin activates it; the old key verifies until it retires.
    await new Promise((r) => setTimeout(r, LOCAL_SIGNING_KEY_PUBLISH_SECONDS * 1000 + 500));
    await page.reload();
    await page.click(`#signing-keys tr[data-kid="${kid}"] [data-action="activate-signing-key"]`);
    await page.waitForSelector(`#signing-keys tr[data-kid="${kid}"][data-status="ACTIVE"]`);
    expect(await page.getAttribute(`#signing-keys tr[data-kid="${signing}"]`, 'data-status')).toBe('PREVIOUS');
    expect(await page.textContent(`#signing-keys tr[data-kid="${signing}"]`)).toContain('verifying until its tokens expire');
    await page.screenshot({ path: join(shots, 'admin-signing-keys.png'), fullPage: true });
    await page.context().close();
  });

  it('rolls an API key with an overlap: the new key is shown once and the old one says until when it works', async () => {
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage']);
    const name = `rolled-${Date.now().toString(36)}`;
    const created = await developer.expect<{ id: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${demo.application.id}/api-keys`,
      { name },
    );
    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/applications`);
    const row = `[data-app="${demo.application.name}"] .api-keys li[data-key="${created.body.id}"]`;
    await page.waitForSelector(row);
    await page.selectOption(`${row} [data-pointer="/overlapSeconds"]`, '86400');
    await page.click(`${row} [data-action="roll-key"]`);
    await page.waitForSelector(`[data-app="${demo.application.name}"] .api-keys .secret-box [data-overlap]`);
    expect(await page.textContent(`[data-app="${demo.application.name}"] .api-keys .secret-box`)).toMatch(/keeps working until/);
    expect(await page.textContent(`[data-app="${demo.application.name}"] .api-keys .secret-box code`)).toMatch(/^tpk_/);
    expect(await page.textContent(`${row} [data-overlap]`)).toContain('rolled; works until');
    // Rolled once: the old key offers no second roll.
    expect(await page.locator(`${row} [data-action="roll-key"]`).count()).toBe(0);
    await page.screenshot({ path: join(shots, 'api-key-roll.png'), fullPage: true });
    await page.context().close();
  });
});
