import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { largeOpenApi } from '../support/large-openapi.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';

/**
 * The API reference with a medium-sized real description (180 operations over 12 tags, with schemas
 * and examples): every operation is rendered, reachable by scrolling and by its tag, and the first
 * view opens at the top of the page.
 */
const { portalUrl, controlPlaneUrl, demoBackendUrl, demo } = usePlatform();
const { newPage } = useBrowser(portalUrl);
const stamp = Date.now().toString(36);

describe('portal: a large API reference', () => {
  it('renders all 180 operations of a 12-tag description, each reachable by scrolling and from its tag, opening at the top', async () => {
    const spec = largeOpenApi({ title: `Large ${stamp}`, version: 'v1' });
    const publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, [
      'api:create',
      'api:publish',
      'api:deploy',
      'api:view',
    ]);
    const created = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis/import', {
      definition: spec.doc,
      context: `/large-${stamp}`,
      endpoints: { production: { urls: [{ url: `${demoBackendUrl}/petstore` }] } },
    });
    const id = created.body.id;
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${id}/lifecycle`, { state: 'PUBLISHED' });
    const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${id}/revisions`, {});
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${id}/deployments`, {
      revisionId: revision.body.id,
      environments: ['production'],
    });

    const page = await newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Come from a long page scrolled down, as a reader of the catalog would.
    await page.goto(`${portalUrl}/#/catalog`);
    await page.waitForSelector('#catalog');
    await page.goto(`${portalUrl}/#/apis/${id}/reference`);
    await page.waitForSelector('#operations .opblock');
    // The first view is the top of the page: the API's heading, not somewhere in the middle.
    expect(await page.evaluate(() => window.scrollY)).toBe(0);
    expect(
      await page.$eval('main h1', (h) => h.getBoundingClientRect().top >= 0 && h.getBoundingClientRect().bottom <= window.innerHeight),
    ).toBe(true);
    await page.screenshot({ path: join(shots, 'reference-large-top.png') });

    // By scrolling the page from top to bottom: every operation passes through the viewport, where
    // it is what the reader sees (hit-tested), not an empty slot of Swagger UI's virtualised list.
    const reached = new Set<string>();
    for (let step = 0; step < 1000; step++) {
      const seen = await page.evaluate(() =>
        Array.from(document.querySelectorAll<HTMLElement>('#operations .opblock')).flatMap((op) => {
          const summary = op.querySelector<HTMLElement>('.opblock-summary') ?? op;
          const r = summary.getBoundingClientRect();
          if (r.height === 0 || r.top < 0 || r.bottom > window.innerHeight) return [];
          const hit = document.elementFromPoint(r.left + Math.min(40, r.width / 2), r.top + r.height / 2);
          return hit !== null && summary.contains(hit)
            ? [/\(([^)]+)\)$/.exec(op.querySelector('.opblock-summary-description')?.textContent ?? '')?.[1] ?? '']
            : [];
        }),
      );
      for (const id of seen) reached.add(id);
      const atBottom = await page.evaluate(() => {
        const before = window.scrollY;
        window.scrollBy(0, Math.round(window.innerHeight * 0.6));
        return window.scrollY === before;
      });
      if (atBottom) break;
      // Let the virtualiser render the rows the scroll brought near.
      await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    }
    expect([...reached].sort()).toEqual(spec.operations.map((o) => o.operationId).sort());

    // By tag: the reference's tag index shows that tag's operations, all of them, from the top.
    for (const tag of spec.tags) {
      await page.click(`#reference-tags button[data-tag="${tag}"]`);
      await page.waitForFunction(
        (t) => Array.from(document.querySelectorAll('#operations .opblock')).every((op) => op.id.startsWith(`operations-${t}-`)),
        tag,
      );
      const shown = await page.$$eval('#operations .opblock .opblock-summary-description', (els) =>
        els.map((e) => /\(([^)]+)\)$/.exec(e.textContent ?? '')?.[1] ?? ''),
      );
      expect(shown.sort(), tag).toEqual(
        spec.operations
          .filter((o) => o.tag === tag)
          .map((o) => o.operationId)
          .sort(),
      );
      expect(await page.$eval('#operations', (el) => Math.abs(el.getBoundingClientRect().top) < 5)).toBe(true);
    }
    await page.click('#reference-tags button[data-tag=""]');
    await page.waitForFunction(() => document.querySelector('#operations .opblock[id^="operations-Accounts-"]') !== null);
    await page.screenshot({ path: join(shots, 'reference-large-tag.png') });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
