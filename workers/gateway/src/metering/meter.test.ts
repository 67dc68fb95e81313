import { createExecutionContext, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { createGatewayApp } from '../app.ts';
import { api, call, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';
import { meter } from './meter.ts';

let key: SigningKey;
const APP = 'app_metering';

beforeAll(async () => {
  key = await signingKey('k1');
  await deploy(
    [
      api({
        id: 'api_metered',
        context: '/metered',
        resources: [resource('GET', '/pets'), resource('GET', '/keyed', { authType: 'oauth2_or_api_key' })],
      }),
    ],
    [key],
  );
  // Limits this small stay strict (LEASE_MIN_LIMIT 100): one counter RPC per call.
  await subscribe(APP, 'api_metered', [{ policy: 'Tier', scope: 'subscription', limit: 50, windowSeconds: 60 }]);
});

describe('gateway metering', () => {
  it('counts each request, and one counter-object RPC per strict call', async () => {
    const bearer = { authorization: `Bearer ${await token(key, { applicationId: APP })}` };
    expect((await call('/metered/v1/pets', { headers: bearer })).status).toBe(200);
    const before = { ...meter };
    for (let i = 0; i < 3; i++) expect((await call('/metered/v1/pets', { headers: bearer })).status).toBe(200);
    expect(meter.requests - before.requests).toBe(3);
    expect(meter.counterRpcs - before.counterRpcs).toBe(3);
  });

  it('counts the rows D1 reports for the API-key lookup it makes on a cache miss', async () => {
    const before = { ...meter };
    // An unknown key of a plausible length: one D1 lookup, which reads no matching row but is a query.
    const res = await call('/metered/v1/keyed', { headers: { apikey: 'x'.repeat(32) } });
    expect(res.status).toBe(401);
    expect(meter.d1Queries - before.d1Queries).toBeGreaterThanOrEqual(1);
  });

  it('answers /_turnpike/metering only where METERING is on', async () => {
    const app = createGatewayApp();
    const off = await app.fetch(new Request('http://gateway.test/_turnpike/metering'), env, createExecutionContext());
    expect(off.status).toBe(404);
    const on = await app.fetch(new Request('http://gateway.test/_turnpike/metering'), { ...env, METERING: 'on' }, createExecutionContext());
    expect(on.status).toBe(200);
    const body = (await on.json()) as { gateway: { requests: number }; counters: { rowsWritten: number; objectsStarted: number } };
    expect(body.gateway.requests).toBeGreaterThan(0);
    expect(body.counters.objectsStarted).toBeGreaterThan(0);
  });
});
