import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { shots, useBrowser } from './browser.ts';
import { clientCredentialsToken } from './support.ts';

/**
 * The publisher's GraphQL tab in Debian's Chromium: field costs, field scopes and the limits edited
 * on the page, saved, deployed and enforced by the gateway.
 */
const { portalUrl, controlPlaneUrl, gatewayUrl, demoBackendUrl, demo } = usePlatform();
const { dialogs, signIn } = useBrowser(portalUrl);

async function graphqlCall(url: string, query: string, bearer: string): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, text: await res.text() };
}

describe('portal: the publisher edits a GraphQL API’s query analysis', () => {
  it('sets field costs, field scopes and the depth limit on the GraphQL tab, and the deployed gateway enforces them', async () => {
    const anon = new Client(controlPlaneUrl);
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
    const introspected = await publisher.expect<{ schema: string }>([200], 'POST', '/api/publisher/v1/graphql/introspection', {
      url: `${demoBackendUrl}/library/graphql`,
    });
    const context = `/shelf${Date.now().toString(36)}`;
    const created = await publisher.expect<{ id: string }>([201], 'POST', '/api/publisher/v1/apis', {
      name: `Shelf ${context}`,
      context,
      version: 'v1',
      type: 'GRAPHQL',
      subscriptionTiers: ['Unlimited'],
      graphql: { schema: introspected.body.schema },
      endpoints: { production: { urls: [{ url: `${demoBackendUrl}/library/graphql`, timeoutMs: 5000 }] } },
    });
    const apiId = created.body.id;

    const page = await signIn(demo.users.publisher);
    // A REST API has no such tab.
    await page.goto(`${portalUrl}/#/publisher/apis/${demo.api.id}`);
    await page.waitForSelector('nav.tabs');
    expect(await page.textContent('nav.tabs')).not.toContain('GraphQL');
    await page.goto(`${portalUrl}/#/publisher/apis/${apiId}/graphql`);
    await page.waitForSelector('#graphql-edit-form');
    // Every field of the schema has a row, the operations marked.
    expect(await page.textContent('#graphql-fields [data-coordinate="Query.books"]')).toContain('(operation)');
    expect(await page.$('#graphql-fields [data-coordinate="Book.price"]')).not.toBeNull();
    await page.fill('#graphql-edit-max-depth', '3');
    await page.fill('#graphql-fields [data-coordinate="Query.books"] .field-cost', '7');
    await page.fill('#graphql-fields [data-coordinate="Book.price"] .field-scopes', 'shelf:prices shelf:admin');
    await page.click('#graphql-edit-save');
    await page.waitForSelector('#graphql-edit-form .ok');
    await page.screenshot({ path: join(shots, 'publisher-graphql-analysis.png'), fullPage: true });
    // The form reads back what the control plane stored.
    expect(await page.inputValue('#graphql-edit-max-depth')).toBe('3');
    const stored = (
      await publisher.expect<{ graphql: { maxDepth: number; fieldCosts: object; fieldScopes: object } }>(
        [200],
        'GET',
        `/api/publisher/v1/apis/${apiId}`,
      )
    ).body.graphql;
    expect(stored.maxDepth).toBe(3);
    expect(stored.fieldCosts).toEqual({ 'Query.books': 7 });
    expect(stored.fieldScopes).toEqual({ 'Book.price': ['shelf:prices', 'shelf:admin'] });

    // Deployed, the gateway enforces what the tab set.
    await publisher.expect([200], 'POST', `/api/publisher/v1/apis/${apiId}/lifecycle`, { state: 'PUBLISHED' });
    const revision = await publisher.expect<{ id: string }>([201], 'POST', `/api/publisher/v1/apis/${apiId}/revisions`, {});
    await publisher.expect([201], 'POST', `/api/publisher/v1/apis/${apiId}/deployments`, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: demo.application.id,
      apiId,
      tier: 'Unlimited',
    });
    const token = await clientCredentialsToken(`${gatewayUrl}/oauth2/token`, demo.application.clientId, demo.application.clientSecret);
    const url = `${gatewayUrl}${context}/v1`;
    const ok = await graphqlCall(url, '{ books(first: 1) { title } }', token);
    expect(ok.status).toBe(200);
    const priced = await graphqlCall(url, '{ books(first: 1) { title price } }', token);
    expect(priced.status).toBe(403);
    expect(priced.text).toContain('Book.price');
    const deep = await graphqlCall(url, '{ books { author { books { title } } } }', token);
    expect(deep.status).toBe(400);
    expect(deep.text).toContain('maxDepth');
    expect(dialogs).toEqual([]);
  });
});
