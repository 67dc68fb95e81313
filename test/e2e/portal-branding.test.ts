import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';

/** Branding set by an admin in the portal applies to every visitor's next page load, without a rebuild. */
const { portalUrl, controlPlaneUrl, demo } = usePlatform();
const { dialogs, newPage, signIn } = useBrowser(portalUrl);
const logo = '<svg xmlns="http://www.w3.org/2000/svg" width="32" height="32"><rect width="32" height="32" fill="#aa3300"/></svg>';

afterAll(async () => {
  expect(dialogs).toEqual([]);
  // The other suites see the portal as it ships.
  const admin = await tokenFor(new Client(controlPlaneUrl), demo.users.admin, ['admin:settings']);
  await admin.expect([200], 'PUT', '/api/admin/v1/branding', {
    portalName: 'Turnpike',
    logo: null,
    primaryColor: '#0b63ce',
    headerColor: '#ffffff',
    landingMarkdown: '',
  });
});

describe('portal: branding', () => {
  it("lets an admin set the portal's name, logo, colours and Markdown landing page, and a visitor's next page load shows them", async () => {
    const admin = await signIn(demo.users.admin);
    await admin.goto(`${portalUrl}/#/admin/branding`);
    await admin.fill('#branding-name', 'Acme APIs');
    await admin.fill('#branding-primary', '#aa3300');
    await admin.fill('#branding-header', '#102030');
    await admin.setInputFiles('#branding-logo', { name: 'logo.svg', mimeType: 'image/svg+xml', buffer: Buffer.from(logo) });
    await admin.waitForSelector('#branding-logo-preview img');
    await admin.fill('#branding-landing', '# Welcome to Acme\n\nOur **payments** and *shipping* APIs, for partners.');
    expect(await admin.textContent('#branding-preview')).toContain('Welcome to Acme');
    await admin.click('#branding-save');
    await admin.waitForSelector('#branding-saved');
    // This page follows at once.
    expect(await admin.textContent('#brand')).toBe('Acme APIs');
    await admin.screenshot({ path: join(shots, 'admin-branding.png'), fullPage: true });
    await admin.context().close();

    const visitor = await newPage();
    await visitor.goto(portalUrl);
    await visitor.waitForSelector('#landing-text');
    // Markdown headings start at h2: the page's h1 is its title.
    expect(await visitor.textContent('#landing-text h2')).toBe('Welcome to Acme');
    expect(await visitor.innerHTML('#landing-text')).toContain('<strong>payments</strong>');
    expect(await visitor.textContent('#brand')).toBe('Acme APIs');
    expect(await visitor.getAttribute('#brand img.logo', 'src')).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(await visitor.title()).toBe('Acme APIs');
    const colours = await visitor.evaluate(() => ({
      brand: getComputedStyle(document.documentElement).getPropertyValue('--brand').trim(),
      header: getComputedStyle(document.querySelector('header') as HTMLElement).backgroundColor,
      button: getComputedStyle(document.querySelector('#browse-catalog') as HTMLElement).backgroundColor,
    }));
    expect(colours).toEqual({ brand: '#aa3300', header: 'rgb(16, 32, 48)', button: 'rgb(170, 51, 0)' });
    await visitor.screenshot({ path: join(shots, 'branded-landing.png'), fullPage: true });
    await visitor.context().close();
  });
});
