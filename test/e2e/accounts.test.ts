import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';
import { mailedLink } from './support.ts';

/** Sign-up and password reset in the portal, with the mails `wrangler dev` writes and the launcher keeps. */
const { portalUrl, mailDir } = usePlatform();
const { newPage } = useBrowser(portalUrl);

const linkFor = (to: string, view: 'verify' | 'reset') => mailedLink(mailDir, to, view);

describe('accounts in the portal', () => {
  it('signs a developer up, mails the verification link, and lets them in once it is followed', async () => {
    const email = `newdev-${Date.now()}@example.com`;
    const page = await newPage();
    await page.goto(`${portalUrl}/#/signin`);
    await page.fill('#signup-name', 'New Developer');
    await page.fill('#signup-email', email);
    await page.fill('#signup-password', 'a long new password');
    await page.click('#signup');
    expect(await (await page.waitForSelector('#signup-sent')).textContent()).toMatch(/Check your inbox/);
    await page.fill('#email', email);
    await page.fill('#password', 'a long new password');
    await page.click('#login');
    await page.waitForSelector('text=Confirm your email address first');

    const link = await linkFor(email, 'verify');
    expect(link.startsWith(`${portalUrl}/#/verify/`)).toBe(true);
    await page.goto(link);
    await page.waitForSelector('#verify-signin');
    await page.screenshot({ path: join(shots, 'accounts-verified.png') });
    await page.click('#verify-signin');
    await page.fill('#email', email);
    await page.fill('#password', 'a long new password');
    await page.click('#login');
    await page.waitForSelector('#catalog');
    await page.context().close();
  });

  it('resets a forgotten password from the mailed link, signs out the old session and signs in with the new one', async () => {
    const email = `resetdev-${Date.now()}@example.com`;
    const signup = await fetch(`${portalUrl}/api/devportal/v1/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: portalUrl },
      body: JSON.stringify({ email, password: 'the first long password', displayName: 'Reset Me' }),
    });
    expect(signup.status).toBe(202);
    const verify = await fetch(`${portalUrl}/api/auth/verify-email`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: portalUrl },
      body: JSON.stringify({ token: (await linkFor(email, 'verify')).split('/').pop() }),
    });
    expect(verify.status).toBe(200);
    const old = await newPage();
    await old.goto(`${portalUrl}/#/signin`);
    await old.fill('#email', email);
    await old.fill('#password', 'the first long password');
    await old.click('#login');
    await old.waitForSelector('#catalog');

    const page = await newPage();
    await page.goto(`${portalUrl}/#/signin`);
    await page.click('#forgot-link');
    await page.fill('#forgot-email', email);
    await page.click('#forgot-submit');
    await page.waitForSelector('#forgot-sent');
    await page.goto(await linkFor(email, 'reset'));
    await page.fill('#reset-password', 'the second long password');
    await page.click('#reset-submit');
    await page.waitForSelector('#reset-done');
    await page.screenshot({ path: join(shots, 'accounts-reset.png') });
    await page.click('#reset-signin');
    await page.fill('#email', email);
    await page.fill('#password', 'the second long password');
    await page.click('#login');
    await page.waitForSelector('#catalog');
    // The session from before the reset is over.
    expect(await old.evaluate(async () => (await fetch('/api/auth/me')).status)).toBe(401);
    await page.context().close();
    await old.context().close();
  });
});
