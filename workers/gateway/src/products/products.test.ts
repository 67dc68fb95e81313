import { beforeAll, describe, expect, it } from 'vitest';
import { meter } from '../metering/meter.ts';
import { api, call, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';

let key: SigningKey;
const five = { policy: 'Five', scope: 'subscription' as const, limit: 5, windowSeconds: 60 };
const hundred = { policy: 'Hundred', scope: 'subscription' as const, limit: 100, windowSeconds: 60 };
const inProduct = (method: string, path: string, products = ['prd_bundle']) => resource(method, path, { products });

async function codeOf(res: Response): Promise<number | undefined> {
  return ((await res.json()) as { code?: number }).code;
}

const bearer = async (applicationId: string) => ({ authorization: `Bearer ${await token(key, { applicationId })}` });

beforeAll(async () => {
  key = await signingKey('kprod');
  // One product (prd_bundle) bundles GET /pets of /shop and GET /orders of /billing; POST /pets is in no product.
  await deploy(
    [
      api({ id: 'api_shop', context: '/shop', resources: [inProduct('GET', '/pets'), resource('POST', '/pets')] }),
      api({ id: 'api_billing', context: '/billing', resources: [inProduct('GET', '/orders'), resource('GET', '/invoices')] }),
      api({ id: 'api_plain', context: '/plain', resources: [resource('GET', '/pets')] }),
    ],
    [key],
  );
});

describe('API products at the gateway', () => {
  it("admits exactly the product's quota across operations of two APIs, then refuses with 429 on either", async () => {
    const app = 'app_product_quota';
    await subscribe(app, 'prd_bundle', [five]);
    const headers = await bearer(app);
    const paths = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? '/shop/v1/pets' : '/billing/v1/orders'));
    const answers = await Promise.all(paths.map((p) => call(p, { headers })));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(5);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(7);
    for (const p of ['/shop/v1/pets', '/billing/v1/orders']) {
      const over = await call(p, { headers });
      expect(over.status, p).toBe(429);
      expect(await codeOf(over)).toBe(900804);
    }
  });

  it('refuses with 403 an operation outside the product when the application has no subscription to its API', async () => {
    const app = 'app_product_outside';
    await subscribe(app, 'prd_bundle', [hundred]);
    const headers = await bearer(app);
    expect((await call('/shop/v1/pets', { headers })).status).toBe(200);
    const outside = await call('/shop/v1/pets', { method: 'POST', headers });
    expect(outside.status).toBe(403);
    expect(await codeOf(outside)).toBe(900908);
    expect((await call('/billing/v1/invoices', { headers })).status).toBe(403);
  });

  it('refuses with 403 every operation of a blocked product subscription, from the next call on', async () => {
    const app = 'app_product_blocked';
    await subscribe(app, 'prd_bundle', [hundred]);
    const headers = await bearer(app);
    expect((await call('/billing/v1/orders', { headers })).status).toBe(200);
    await subscribe(app, 'prd_bundle', [hundred], { status: 'BLOCKED' });
    for (const p of ['/billing/v1/orders', '/shop/v1/pets']) {
      const blocked = await call(p, { headers });
      expect(blocked.status, p).toBe(403);
      expect(await codeOf(blocked)).toBe(900909);
    }
  });

  it("admits a direct API subscriber of a bundled operation by the API's own subscription, not the product's", async () => {
    const app = 'app_product_direct';
    await subscribe(app, 'api_shop', [five]);
    const headers = await bearer(app);
    const first = await call('/shop/v1/pets', { headers });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe('"subscription:Five";q=5;w=60');
    expect((await call('/billing/v1/orders', { headers })).status).toBe(403);
  });

  it('costs a product subscriber one counter round trip per call once the isolate knows the product, and an API in no product one, as before', async () => {
    const app = 'app_product_rtt';
    await subscribe(app, 'prd_bundle', [hundred]);
    await subscribe(app, 'api_plain', [hundred]);
    const headers = await bearer(app);
    expect((await call('/shop/v1/pets', { headers })).status).toBe(200);
    let before = meter.counterRpcs;
    expect((await call('/shop/v1/pets', { headers })).status).toBe(200);
    expect(meter.counterRpcs - before).toBe(1);
    before = meter.counterRpcs;
    expect((await call('/plain/v1/pets', { headers })).status).toBe(200);
    expect(meter.counterRpcs - before).toBe(1);
  });

  it('costs a product subscriber whose every call is refused one counter round trip per call once the isolate knows its product', async () => {
    const app = 'app_product_rtt_refused';
    await subscribe(app, 'prd_bundle', [hundred], { status: 'BLOCKED' });
    const headers = await bearer(app);
    expect((await call('/billing/v1/orders', { headers })).status).toBe(403);
    const before = meter.counterRpcs;
    expect((await call('/billing/v1/orders', { headers })).status).toBe(403);
    expect(meter.counterRpcs - before).toBe(1);
  });
});
