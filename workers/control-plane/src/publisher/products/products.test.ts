import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  api,
  apiBody,
  deployedSnapshot,
  publishedApi,
  userWithRole,
  type ProblemBody,
  type TestUser,
} from '../../../../../test/workers/control-plane-helpers.ts';
import { subscriptionObjectName } from '../../../../../durable-objects/throttle/types.ts';
import { throttleNamespace } from '../../gateway-sync/bindings.ts';

const object = (appId: string, id: string) => throttleNamespace(env).getByName(subscriptionObjectName(appId, id));

interface Product {
  id: string;
  kind: string;
  lifecycleState: string;
  operations: Array<{ apiId: string; apiName: string; method: string; path: string }>;
}

/** Two deployed APIs of `publisher`, each with GET /items and POST /items. */
async function twoApis(publisher: TestUser): Promise<[string, string]> {
  const resources = [
    { method: 'GET', path: '/items', authType: 'oauth2' },
    { method: 'POST', path: '/items', authType: 'oauth2' },
  ];
  return [await publishedApi(publisher, { resources }), await publishedApi(publisher, { resources })];
}

function productBody(a: string, b: string, overrides: Record<string, unknown> = {}) {
  const { context } = apiBody();
  return {
    name: `Bundle ${context}`,
    context: `/bundle${context}`,
    version: 'v1',
    subscriptionTiers: ['Bronze'],
    operations: [
      { apiId: a, method: 'get', path: '/items' },
      { apiId: b, method: 'GET', path: '/items' },
    ],
    ...overrides,
  };
}

async function publishedProduct(publisher: TestUser, a: string, b: string, overrides: Record<string, unknown> = {}): Promise<Product> {
  const created = await api<Product>('POST', '/api/publisher/v1/products', publisher, productBody(a, b, overrides));
  expect(created.status).toBe(201);
  const published = await api('POST', `/api/publisher/v1/products/${created.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' });
  expect(published.status).toBe(200);
  return created.body;
}

describe('publisher: API products', () => {
  it('creates a product from operations of two APIs, in state CREATED, listed under /products and not among the APIs', async () => {
    const publisher = await userWithRole('publisher');
    const [a, b] = await twoApis(publisher);
    const created = await api<Product>('POST', '/api/publisher/v1/products', publisher, productBody(a, b));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'PRODUCT', lifecycleState: 'CREATED' });
    expect(created.body.id).toMatch(/^prd_/);
    expect(created.body.operations.map((o) => [o.apiId, o.method, o.path])).toEqual([
      [a, 'GET', '/items'],
      [b, 'GET', '/items'],
    ]);
    const list = await api<{ list: Product[] }>('GET', '/api/publisher/v1/products', publisher);
    expect(list.body.list.map((p) => p.id)).toEqual([created.body.id]);
    const apis = await api<{ list: Array<{ id: string }> }>('GET', '/api/publisher/v1/apis?limit=100', publisher);
    expect(apis.body.list.map((x) => x.id).sort()).toEqual([a, b].sort());
    // A product is no API: it has no revisions to deploy.
    expect((await api('POST', `/api/publisher/v1/apis/${created.body.id}/revisions`, publisher, {})).status).toBe(404);
    const other = await userWithRole('publisher');
    expect((await api('GET', `/api/publisher/v1/products/${created.body.id}`, other)).status).toBe(404);
  });

  it("refuses an operation of another publisher's API, of an API that does not exist, of a missing resource, and an unknown tier, naming each field", async () => {
    const publisher = await userWithRole('publisher');
    const stranger = await userWithRole('publisher');
    const [a] = await twoApis(publisher);
    const [theirs] = await twoApis(stranger);
    const bad = await api<ProblemBody>('POST', '/api/publisher/v1/products', publisher, {
      ...productBody(a, theirs),
      subscriptionTiers: ['NoSuchTier'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.pointer)).toEqual(['/subscriptionTiers/0']);
    const ops = await api<ProblemBody>('POST', '/api/publisher/v1/products', publisher, {
      ...productBody(a, theirs),
      operations: [
        { apiId: a, method: 'DELETE', path: '/items' },
        { apiId: theirs, method: 'GET', path: '/items' },
        { apiId: 'api_does_not_exist', method: 'GET', path: '/items' },
        { apiId: a, method: 'GET', path: '/items' },
        { apiId: a, method: 'GET', path: '/items' },
      ],
    });
    expect(ops.status).toBe(400);
    expect(ops.body.errors?.map((e) => e.pointer)).toEqual([
      '/operations/0/path',
      '/operations/1/apiId',
      '/operations/2/apiId',
      '/operations/4',
    ]);
    const ws = await api<{ id: string }>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({ type: 'WS', resources: [{ method: 'GET', path: '/chat' }] }),
    );
    const wsOp = await api<ProblemBody>('POST', '/api/publisher/v1/products', publisher, {
      ...productBody(a, a),
      operations: [{ apiId: ws.body.id, method: 'GET', path: '/chat' }],
    });
    expect(wsOp.body.errors?.map((e) => e.pointer)).toEqual(['/operations/0/apiId']);
    const first = await api<Product>(
      'POST',
      '/api/publisher/v1/products',
      publisher,
      productBody(a, a, { operations: [{ apiId: a, method: 'GET', path: '/items' }] }),
    );
    const taken = await api<ProblemBody>('POST', '/api/publisher/v1/products', publisher, {
      ...productBody(a, a, { operations: [{ apiId: a, method: 'GET', path: '/items' }] }),
      context: (await api<{ context: string }>('GET', `/api/publisher/v1/products/${first.body.id}`, publisher)).body.context,
    });
    expect(taken.status).toBe(409);
  });

  it('puts the product on the snapshot resources of its operations while PUBLISHED or DEPRECATED, and takes it off when RETIRED', async () => {
    const publisher = await userWithRole('publisher');
    const [a, b] = await twoApis(publisher);
    const created = await api<Product>('POST', '/api/publisher/v1/products', publisher, productBody(a, b));
    const productsOn = async (apiId: string) =>
      Object.fromEntries(
        ((await deployedSnapshot()).apis.find((x) => x.id === apiId)?.resources ?? []).map((r) => [
          `${r.method} ${r.pathTemplate}`,
          r.products,
        ]),
      );
    expect(await productsOn(a)).toEqual({ 'GET /items': undefined, 'POST /items': undefined });
    const lifecycle = (state: string) => api('POST', `/api/publisher/v1/products/${created.body.id}/lifecycle`, publisher, { state });
    expect((await lifecycle('RETIRED')).status).toBe(409);
    expect((await lifecycle('PUBLISHED')).status).toBe(200);
    expect(await productsOn(a)).toEqual({ 'GET /items': [created.body.id], 'POST /items': undefined });
    expect((await productsOn(b))['GET /items']).toEqual([created.body.id]);
    // A change of operations reaches the gateways at once.
    const changed = await api('PATCH', `/api/publisher/v1/products/${created.body.id}`, publisher, {
      operations: [{ apiId: a, method: 'POST', path: '/items' }],
    });
    expect(changed.status).toBe(200);
    expect(await productsOn(a)).toEqual({ 'GET /items': undefined, 'POST /items': [created.body.id] });
    expect((await productsOn(b))['GET /items']).toBeUndefined();
    expect((await lifecycle('DEPRECATED')).status).toBe(200);
    expect((await productsOn(a))['POST /items']).toEqual([created.body.id]);
    expect((await lifecycle('RETIRED')).status).toBe(200);
    expect((await productsOn(a))['POST /items']).toBeUndefined();
  });
});

describe('devportal: API products', () => {
  it("shows a PUBLISHED product in the catalog as a product, to anonymous visitors when PUBLIC, with its operations grouped by API and the APIs' gateways", async () => {
    const publisher = await userWithRole('publisher');
    const [a, b] = await twoApis(publisher);
    const product = await publishedProduct(publisher, a, b);
    const hidden = await api<Product>('POST', '/api/publisher/v1/products', publisher, productBody(a, b, { visibility: 'PRIVATE' }));
    await api('POST', `/api/publisher/v1/products/${hidden.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' });
    const catalog = await api<{ list: Array<{ id: string; kind: string }> }>('GET', '/api/devportal/v1/apis?limit=100', null);
    const listed = catalog.body.list.filter((x) => [product.id, hidden.body.id, a].includes(x.id));
    expect(listed.map((x) => [x.id, x.kind]).sort()).toEqual(
      [
        [a, 'API'],
        [product.id, 'PRODUCT'],
      ].sort(),
    );
    const page = await api<{
      kind: string;
      tiers: Array<{ name: string }>;
      apis: Array<{ id: string; environments: Array<{ name: string }>; operations: Array<{ method: string; path: string }> }>;
    }>('GET', `/api/devportal/v1/products/${product.id}`, null);
    expect(page.status).toBe(200);
    expect(page.body.tiers.map((t) => t.name)).toEqual(['Bronze']);
    expect(page.body.apis.map((x) => [x.id, x.environments.map((e) => e.name), x.operations])).toEqual([
      [a, ['production'], [{ method: 'GET', path: '/items' }]],
      [b, ['production'], [{ method: 'GET', path: '/items' }]],
    ]);
    expect((await api('GET', `/api/devportal/v1/products/${hidden.body.id}`, null)).status).toBe(404);
    expect((await api('GET', `/api/devportal/v1/products/${a}`, null)).status).toBe(404);
  });

  it("subscribes an application to a PUBLISHED product on one of its tiers, configuring the (application, product) counter object, which the publisher's block reaches", async () => {
    const publisher = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const [a, b] = await twoApis(publisher);
    const draft = await api<Product>('POST', '/api/publisher/v1/products', publisher, productBody(a, b));
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Product App' });
    const early = await api<ProblemBody>('POST', '/api/devportal/v1/subscriptions', dev, {
      applicationId: app.body.id,
      apiId: draft.body.id,
      tier: 'Bronze',
    });
    expect(early.status).toBe(404);
    await api('POST', `/api/publisher/v1/products/${draft.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' });
    const wrongTier = await api<ProblemBody>('POST', '/api/devportal/v1/subscriptions', dev, {
      applicationId: app.body.id,
      apiId: draft.body.id,
      tier: 'Gold',
    });
    expect(wrongTier.body.errors?.[0]?.pointer).toBe('/tier');
    const sub = await api<{ id: string }>('POST', '/api/devportal/v1/subscriptions', dev, {
      applicationId: app.body.id,
      apiId: draft.body.id,
      tier: 'Bronze',
    });
    expect(sub.status).toBe(201);
    expect((await object(app.body.id, draft.body.id).inspect()).state).toMatchObject({
      apiId: draft.body.id,
      status: 'UNBLOCKED',
      tier: 'Bronze',
      limits: [{ limit: 1000, windowSeconds: 60 }],
    });
    // The API's own object knows nothing of it: the product's object is the one authority.
    expect((await object(app.body.id, a).inspect()).state).toBeNull();
    const subs = await api<{ list: Array<{ id: string }> }>('GET', `/api/publisher/v1/apis/${draft.body.id}/subscriptions`, publisher);
    expect(subs.body.list.map((s) => s.id)).toEqual([sub.body.id]);
    expect((await api('POST', `/api/publisher/v1/subscriptions/${sub.body.id}/block`, publisher, {})).status).toBe(200);
    expect((await object(app.body.id, draft.body.id).inspect()).state?.status).toBe('BLOCKED');
  });

  it("keeps a product's own documents, shown on its catalog page, and holds a subscription to it for approval when subscription approval is on", async () => {
    const publisher = await userWithRole('publisher');
    const admin = await userWithRole('admin');
    const dev = await userWithRole('developer');
    const [a, b] = await twoApis(publisher);
    const product = await publishedProduct(publisher, a, b);
    const doc = await api('POST', `/api/publisher/v1/apis/${product.id}/documents`, publisher, {
      name: 'Getting started',
      content: '# One key, two APIs',
    });
    expect(doc.status).toBe(201);
    const docs = await api<{ list: Array<{ name: string }> }>('GET', `/api/devportal/v1/apis/${product.id}/documents`, null);
    expect(docs.body.list.map((d) => d.name)).toEqual(['Getting started']);
    expect((await api('PATCH', '/api/admin/v1/settings', admin, { workflows: { SUBSCRIPTION_CREATION: true } })).status).toBe(200);
    try {
      const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Held App' });
      const sub = await api<{ id: string; status: string; apiKind: string }>('POST', '/api/devportal/v1/subscriptions', dev, {
        applicationId: app.body.id,
        apiId: product.id,
        tier: 'Bronze',
      });
      expect(sub.body).toMatchObject({ status: 'ON_HOLD', apiKind: 'PRODUCT' });
      expect((await object(app.body.id, product.id).inspect()).state?.status).toBe('ON_HOLD');
    } finally {
      await api('PATCH', '/api/admin/v1/settings', admin, { workflows: { SUBSCRIPTION_CREATION: false } });
    }
  });
});
