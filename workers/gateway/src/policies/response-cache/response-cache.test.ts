import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { flush as flushUsage } from '../../usage/reporter.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SnapshotApi } from '../../../../shared/snapshot.ts';
import { createGatewayApp } from '../../app.ts';
import { api, deploy, resource, signingKey, subscribe, token, type SigningKey } from '../../test-support.ts';

const app = createGatewayApp();

/**
 * One call, its body read, and its background work done: a miss is stored after the answer has
 * gone (waitUntil), so the next call finds it only then — as a real client's next call would.
 */
async function call(path: string, init: RequestInit = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://gateway.test${path}`, init), env, ctx);
  const body = await res.arrayBuffer();
  // Usage folds for USAGE_FOLD_MS (decision 0059): shipped now, so the context's background work ends.
  await flushUsage(env);
  await waitOnExecutionContext(ctx);
  return new Response(body, res);
}

let key: SigningKey;
const APP = 'app_cache';
const OTHER = 'app_cache_other';
const cache = (config: Record<string, unknown> = {}) => [{ name: 'response-cache', config: { ttlSeconds: 60, ...config } }];

function cachedApi(epoch: number): SnapshotApi {
  return api({
    id: 'api_cache',
    context: '/cache',
    cacheEpoch: epoch,
    resources: [
      resource('GET', '/items', { policies: cache({ queryParams: ['page'], headers: ['accept-language'] }) }),
      resource('GET', '/mine', { policies: cache({ private: true }) }),
      resource('GET', '/open', { authType: 'none', policies: cache() }),
      resource('GET', '/counted', { policies: cache() }),
    ],
  });
}

let epoch = 1;
beforeAll(async () => {
  key = await signingKey('k1');
  await deploy([cachedApi(epoch)], [key]);
  await subscribe(APP, 'api_cache');
  await subscribe(OTHER, 'api_cache');
});

const bearer = async (applicationId = APP) => ({ authorization: `Bearer ${await token(key, { applicationId })}` });
const echoId = (res: Response) => res.headers.get('x-echo-id');

describe('response-cache policy', () => {
  it('answers the second call from the cache without the backend, saying so with X-Cache: HIT and Age', async () => {
    const first = await call('/cache/v1/items?page=1', { headers: await bearer() });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('MISS');
    const second = await call('/cache/v1/items?page=1', { headers: await bearer() });
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache')).toBe('HIT');
    expect(echoId(second)).toBe(echoId(first));
    expect(Number(second.headers.get('age'))).toBeGreaterThanOrEqual(0);
    expect(second.headers.get('x-turnpike-stored-at')).toBeNull();
    expect(await second.text()).toBe(await first.clone().text());
  });

  it('still authenticates a call the cache could answer', async () => {
    await call('/cache/v1/items?page=auth', { headers: await bearer() });
    const anonymous = await call('/cache/v1/items?page=auth');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('x-cache')).toBeNull();
  });

  it('counts a hit against the subscription like any call: over the limit, a cached answer is refused 429', async () => {
    await subscribe('app_cache_limited', 'api_cache', [{ policy: 'Two', scope: 'subscription', limit: 2, windowSeconds: 60 }]);
    const headers = await bearer('app_cache_limited');
    expect((await call('/cache/v1/counted', { headers })).headers.get('x-cache')).toBe('MISS');
    const hit = await call('/cache/v1/counted', { headers });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('ratelimit')).not.toBeNull();
    expect((await call('/cache/v1/counted', { headers })).status).toBe(429);
  });

  it('keys by the chosen query parameters and headers only, in any parameter order', async () => {
    const headers = { ...(await bearer()), 'accept-language': 'en' };
    const first = await call('/cache/v1/items?page=2&utm=a', { headers });
    expect(echoId(await call('/cache/v1/items?utm=b&page=2', { headers }))).toBe(echoId(first));
    const otherPage = await call('/cache/v1/items?page=3', { headers });
    expect(otherPage.headers.get('x-cache')).toBe('MISS');
    const otherLanguage = await call('/cache/v1/items?page=2', { headers: { ...headers, 'accept-language': 'de' } });
    expect(otherLanguage.headers.get('x-cache')).toBe('MISS');
  });

  it('keeps one entry per calling application when private', async () => {
    const mine = await call('/cache/v1/mine', { headers: await bearer() });
    expect(echoId(await call('/cache/v1/mine', { headers: await bearer() }))).toBe(echoId(mine));
    const theirs = await call('/cache/v1/mine', { headers: await bearer(OTHER) });
    expect(theirs.headers.get('x-cache')).toBe('MISS');
    expect(echoId(theirs)).not.toBe(echoId(mine));
  });

  it("respects Cache-Control and Vary: the backend's no-store, private and Vary on an unkeyed header keep an answer out; the caller's no-cache skips the lookup", async () => {
    for (const [name, value] of [
      ['cache-control', 'no-store'],
      ['cache-control', 'private, max-age=60'],
      ['vary', 'X-Tenant'],
    ] as const) {
      const headers = { [`x-echo-response-${name}`]: value };
      const path = `/cache/v1/open?case=${encodeURIComponent(value)}`;
      await call(path, { headers });
      const again = await call(path, { headers });
      expect(again.headers.get('x-cache'), `${name}: ${value}`).toBe('MISS');
    }
    await call('/cache/v1/open?case=fresh');
    const revalidated = await call('/cache/v1/open?case=fresh', { headers: { 'cache-control': 'no-cache' } });
    expect(revalidated.headers.get('x-cache')).toBe('BYPASS');
    expect((await call('/cache/v1/open?case=fresh')).headers.get('x-cache')).toBe('HIT');
  }, 30_000);

  it("keeps the backend's own Cache-Control on a hit", async () => {
    const headers = { 'x-echo-response-cache-control': 'public, max-age=30' };
    await call('/cache/v1/open?case=public', { headers });
    const hit = await call('/cache/v1/open?case=public', { headers });
    expect(hit.headers.get('x-cache')).toBe('HIT');
    expect(hit.headers.get('cache-control')).toBe('public, max-age=30');
  });

  it('never serves an entry of before a redeploy or a purge: the epoch is part of the key', async () => {
    const first = await call('/cache/v1/open?case=epoch');
    expect((await call('/cache/v1/open?case=epoch')).headers.get('x-cache')).toBe('HIT');
    epoch += 1;
    await deploy([cachedApi(epoch)], [key]);
    const after = await call('/cache/v1/open?case=epoch');
    expect(after.headers.get('x-cache')).toBe('MISS');
    expect(echoId(after)).not.toBe(echoId(first));
  });
});
