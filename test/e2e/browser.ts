import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { ROOT } from '../support/platform.ts';

/** Where browser tests keep screenshots for reviewers. */
export const shots = join(ROOT, 'test-results/screenshots');

/**
 * Debian's Chromium for one test file's portal tests (never a downloaded browser). Every page's
 * dialogs (alert, confirm…) are recorded in `dialogs`: script planted in data must never open one.
 */
export function useBrowser(portalUrl: string) {
  let browser: Browser;
  const dialogs: string[] = [];
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser.close();
  });

  /** A fresh browser context, so each page has its own session cookie. */
  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
    const page = await context.newPage();
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    return page;
  }

  async function signIn(who: { email: string; password: string }): Promise<Page> {
    const page = await newPage();
    await page.goto(`${portalUrl}/#/signin`);
    await page.fill('#email', who.email);
    await page.fill('#password', who.password);
    await page.click('#login');
    await page.waitForSelector('#catalog');
    return page;
  }

  return { dialogs, newPage, signIn };
}
