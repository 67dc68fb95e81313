import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { ROOT, usePlatform } from '../support/platform.ts';

/** Debian's Chromium for the portal tests, never a downloaded one; screenshots go to test-results for reviewers. */
export const shots = join(ROOT, 'test-results/screenshots');
/** Every dialog any page opened (alert, confirm…): script planted in data must never open one. */
export const dialogs: string[] = [];
let browser: Browser | undefined;

/** Launches Chromium before the file's tests and closes it after them. */
export function useChromium(): void {
  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
  });
}

export function chromiumBrowser(): Browser {
  if (browser === undefined) throw new Error('useChromium() first');
  return browser;
}

/** A fresh browser context whose dialogs are recorded. */
export async function newPage(): Promise<Page> {
  const context = await chromiumBrowser().newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return page;
}

export async function signIn(who: { email: string; password: string }): Promise<Page> {
  const page = await newPage();
  await page.goto(usePlatform().portalUrl);
  await page.fill('#email', who.email);
  await page.fill('#password', who.password);
  await page.click('#login');
  await page.waitForSelector('#catalog');
  return page;
}
