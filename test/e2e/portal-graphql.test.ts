import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';

/** The portal's GraphQL reference in Debian's Chromium: the schema, and the console through the try-it proxy. */
const { portalUrl, demo, demoBackendUrl } = usePlatform();
const { dialogs, signIn } = useBrowser(portalUrl);

describe('portal: a GraphQL API', () => {
  it("shows the schema with its limits and runs queries through the try-it proxy, the gateway's refusals included", async () => {
    const page = await signIn(demo.users.developer);
    await page.goto(`${portalUrl}/#/apis/${demo.graphql.id}`);
    expect(await page.textContent('#api-type')).toBe('GraphQL');
    expect(await page.textContent('nav.tabs')).toContain('Schema & console');
    await page.goto(`${portalUrl}/#/apis/${demo.graphql.id}/reference`);
    await page.waitForSelector('#graphql-schema');
    expect(await page.textContent('#graphql-schema')).toContain('type Book {');
    expect(await page.textContent('#graphql-max-depth')).toBe(`${demo.graphql.maxDepth} levels`);
    expect(await page.textContent('#graphql-field-scopes')).toContain(`Book.price: ${demo.graphql.priceScope}`);
    // The console starts with a query read from the schema: the first root field, its unscoped scalars.
    expect(await page.inputValue('#graphql-query')).toMatch(/books \{\s+id\s+title\s+year\s+\}/);

    await page.click('#try-get-token');
    await page.waitForSelector('#try-credentials .ok');
    await page.click('#graphql-run');
    await page.waitForSelector('#graphql-status [data-status]');
    expect(await page.getAttribute('#graphql-status [data-status]', 'data-status')).toBe('200');
    expect(await page.textContent('#graphql-status')).toContain('graphql-points');
    expect(await page.textContent('#graphql-response')).toContain('A Wizard of Earthsea');
    await page.screenshot({ path: join(shots, 'graphql-console.png'), fullPage: true });

    // A field behind a scope the test token lacks: the gateway's 403 names it.
    await page.fill('#graphql-query', '{ books(first: 1) { title price } }');
    await page.click('#graphql-run');
    await page.waitForSelector('#graphql-status [data-status="403"]');
    expect(await page.textContent('#graphql-response')).toContain('Book.price');
    // Too deep: 400 naming the limit.
    await page.fill('#graphql-query', '{ books { author { books { author { books { title } } } } } }');
    await page.click('#graphql-run');
    await page.waitForSelector('#graphql-status [data-status="400"]');
    expect(await page.textContent('#graphql-response')).toContain('maxDepth');
    expect(dialogs).toEqual([]);
  });

  it('creates a GraphQL API from the portal by introspecting its backend, with its limits', async () => {
    const page = await signIn(demo.users.publisher);
    await page.goto(`${portalUrl}/#/publisher/new`);
    await page.waitForSelector('#graphql-form');
    const context = `/portal-books${Date.now().toString(36)}`;
    await page.fill('#graphql-name', 'Portal Books');
    await page.fill('#graphql-context', context);
    await page.fill('#graphql-endpoint', `${demoBackendUrl}/library/graphql`);
    await page.click('#graphql-introspect');
    await page.waitForSelector('#graphql-introspected .ok');
    expect(await page.inputValue('#graphql-sdl')).toContain('type Book {');
    await page.fill('#graphql-max-depth-input', '3');
    await page.click('#graphql-submit');
    await page.waitForURL(/#\/publisher\/apis\/api_/);
    const apiId = /#\/publisher\/apis\/([^/]+)/.exec(page.url())?.[1] ?? '';
    const created = (await page.evaluate(async (id) => (await fetch(`/api/publisher/v1/apis/${id}`)).json(), apiId)) as {
      type: string;
      graphql: { maxDepth: number; schema: string };
      resources: Array<{ method: string; path: string }>;
    };
    expect(created.type).toBe('GRAPHQL');
    expect(created.graphql.maxDepth).toBe(3);
    expect(created.graphql.schema).toContain('addBook');
    expect(created.resources.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /', 'GET /']);
    await page.screenshot({ path: join(shots, 'graphql-created.png'), fullPage: true });
  });
});
