import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';

/** The publisher's policy editor (API › Policies) in Chromium, and what it saves served by the running gateway. */
const { portalUrl, controlPlaneUrl, gatewayUrl, demo } = usePlatform();
const { signIn } = useBrowser(portalUrl);

const stamp = Date.now();
const context = `/policy-editor-${stamp}`;
let apiId = '';
let publisher: Client;

// A prototype: an OpenAPI document with examples and no backend at all.
const document = {
  openapi: '3.1.0',
  info: { title: `Policy editor ${stamp}`, version: 'v1' },
  paths: {
    '/pets': {
      get: { responses: { '200': { description: 'The pets', content: { 'application/json': { example: [{ id: 1, name: 'Rex' }] } } } } },
    },
    '/pets/{id}': {
      get: {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: {
          '200': { description: 'A pet', content: { 'application/json': { example: { id: 1, name: 'Rex' } } } },
          '404': { description: 'No such pet', content: { 'application/json': { example: { title: 'No such pet' } } } },
        },
      },
    },
  },
};

interface Stored {
  policies: Array<{ name: string; config: Record<string, unknown> }>;
  resources: Array<{ path: string; policies: Array<{ name: string; config: Record<string, unknown> }> }>;
}

beforeAll(async () => {
  publisher = await tokenFor(new Client(controlPlaneUrl), demo.users.publisher, ['api:create', 'api:publish', 'api:view', 'api:deploy']);
  const created = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', {
    name: `Policy editor ${stamp}`,
    context,
    version: 'v1',
    subscriptionTiers: ['Gold'],
    openapi: document,
    resources: [
      { method: 'GET', path: '/pets', authType: 'none' },
      { method: 'GET', path: '/pets/{id}', authType: 'none' },
    ],
  });
  apiId = created.body.id;
  await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${apiId}/lifecycle`, { state: 'PUBLISHED' });
});

const cards = (page: Page, list: number) =>
  page.$$eval(`#policy-lists .policy-target:nth-child(${list + 1}) li.policy`, (items) => items.map((i) => i.getAttribute('data-policy')));
const card = (name: string) => `#policy-lists .policy-target:not([hidden]) li[data-policy="${name}"]`;

describe('portal: policy editor', () => {
  it('adds, reorders and removes policies of the API and of an operation with forms generated from their schemas, points a refused field out, and the gateway serves what was saved', async () => {
    const page = await signIn(demo.users.publisher);
    await page.goto(`${portalUrl}/#/publisher/apis/${apiId}/policies`);
    await page.waitForSelector('#policies-form');
    // The catalog comes from the gateway's registry, each entry with its own form.
    const offered = await page.$$eval('#policy-add option', (o) => o.map((x) => (x as HTMLOptionElement).value));
    expect(offered).toEqual(expect.arrayContaining(['header-edits', 'mock', 'request-validation', 'transform']));

    // The whole API: a mock, then header edits, then a transform that is removed again.
    await page.selectOption('#policy-add', 'mock');
    await page.click('#policy-add-button');
    await page.selectOption('#policy-add', 'header-edits');
    await page.click('#policy-add-button');
    await page.click(`${card('header-edits')} [data-rel="/response/set"] + button`);
    await page.fill(`${card('header-edits')} [data-rel="/response/set"] input[data-key="name"]`, 'x-edited');
    await page.fill(`${card('header-edits')} [data-rel="/response/set"] input[data-key="value"]`, 'by-the-editor');
    await page.selectOption('#policy-add', 'transform');
    await page.click('#policy-add-button');
    expect(await cards(page, 0)).toEqual(['mock', 'header-edits', 'transform']);
    await page.click('button[aria-label="Move header-edits up"]');
    await page.click('button[aria-label="Remove transform"]');
    expect(await cards(page, 0)).toEqual(['header-edits', 'mock']);
    // The mock's `prefer` is a boolean with a default: a checkbox, checked.
    expect(await page.isChecked(`${card('mock')} input[data-rel="/prefer"]`)).toBe(true);

    // One operation: its own mock answering with the documented 404; a bad status is refused next to its field.
    await page.selectOption('#policy-target', { label: 'GET /pets/{id}' });
    await page.selectOption('#policy-add', 'mock');
    await page.click('#policy-add-button');
    await page.fill(`${card('mock')} input[data-rel="/status"]`, 'abc');
    await page.click('#policies-form button[type="submit"]');
    await page.waitForSelector(`${card('mock')} input[data-rel="/status"][aria-invalid="true"]`);
    expect(await page.getAttribute(`${card('mock')} input[data-rel="/status"]`, 'data-pointer')).toBe(
      '/resources/1/policies/0/config/status',
    );
    await page.fill(`${card('mock')} input[data-rel="/status"]`, '404');
    await page.click('#policies-form button[type="submit"]');
    await page.waitForSelector('#policies-form .ok');
    await page.screenshot({ path: join(shots, 'publisher-policies.png'), fullPage: true });

    const stored = (await publisher.expect<Stored>([200], 'GET', `/api/publisher/v1/apis/${apiId}`)).body;
    expect(stored.policies.map((p) => p.name)).toEqual(['header-edits', 'mock']);
    expect(stored.policies[0]?.config).toMatchObject({ response: { set: { 'x-edited': 'by-the-editor' } } });
    expect(stored.resources.map((r) => [r.path, r.policies.map((p) => [p.name, p.config.status])])).toEqual([
      ['/pets', []],
      ['/pets/{id}', [['mock', '404']]],
    ]);

    // The saved form reads back: after the reload the lists show what is stored.
    expect(await cards(page, 0)).toEqual(['header-edits', 'mock']);
    await page.context().close();

    // Deployed, the gateway answers from the document with no backend, through the header edits.
    const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${apiId}/revisions`, {});
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${apiId}/deployments`, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    let pets: Response | null = null;
    for (let i = 0; i < 50 && (pets === null || pets.status !== 200); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      pets = await fetch(`${gatewayUrl}${context}/v1/pets`);
    }
    expect(pets?.status).toBe(200);
    expect(pets?.headers.get('x-turnpike-mock')).toBe('example');
    expect(pets?.headers.get('x-edited')).toBe('by-the-editor');
    expect(await pets?.json()).toEqual([{ id: 1, name: 'Rex' }]);
    const one = await fetch(`${gatewayUrl}${context}/v1/pets/7`);
    expect(one.status).toBe(404);
    expect(await one.json()).toEqual({ title: 'No such pet' });
  });
});
