import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, call, deploy, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';
import { counterObjectName } from './admit.ts';

let key: SigningKey;

async function codeOf(res: Response): Promise<number | undefined> {
  return ((await res.json()) as { code?: number }).code;
}

beforeAll(async () => {
  key = await signingKey('kb');
  await deploy(
    [
      api({ id: 'api_bw', context: '/bw' }),
      api({
        id: 'api_bw_shared',
        context: '/bwshared',
        limits: [{ policy: 'ApiBw', scope: 'api', limit: 600, windowSeconds: 60, unit: 'bytes' }],
      }),
    ],
    [key],
  );
});

async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('condition not reached');
}

describe('bandwidth quotas', () => {
  it("admits calls while the subscription's byte quota has bytes left and charges each response's bytes", async () => {
    const app = 'app_bw';
    const stub = await subscribe(app, 'api_bw', [{ policy: 'Bw1K', scope: 'subscription', limit: 1000, windowSeconds: 60, unit: 'bytes' }]);
    const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
    const sizes: number[] = [];
    let refused: Response | undefined;
    for (let i = 0; i < 10 && refused === undefined; i++) {
      const res = await call('/bw/v1/pets', { headers: auth });
      if (res.status === 429) refused = res;
      else {
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit-policy')).toBe('"subscription:Bw1K";q=1000;w=60;qu="content-bytes"');
        sizes.push((await res.arrayBuffer()).byteLength);
        const used = sizes.reduce((a, b) => a + b, 0);
        await until(async () => (await stub.inspect()).limits[0]?.remaining === Math.max(0, 1000 - used));
      }
    }
    const total = sizes.reduce((a, b) => a + b, 0);
    expect(refused?.status).toBe(429);
    expect(await codeOf(refused as Response)).toBe(900804);
    // Every admitted call found bytes left; the last one crossed the line.
    expect(total).toBeGreaterThanOrEqual(1000);
    expect(total - (sizes.at(-1) ?? 0)).toBeLessThan(1000);
  });

  it('charges an API-level byte quota shared by every caller, with requests still counted by the subscription', async () => {
    const statuses: number[] = [];
    // The bytes the API's shared counter has been charged: its true count in memory (SQLite holds a
    // ceiling of it, decision 0058). A counter is keyed by scope, window and unit, not by its limit:
    // read through a limit it cannot reach, `remaining` tells the whole count, past 600 too.
    const apiCounter = counterNamespace(env).getByName(counterObjectName.api('api_bw_shared'));
    const whole = { policy: 'ApiBw', scope: 'api', limit: Number.MAX_SAFE_INTEGER, windowSeconds: 60, unit: 'bytes' } as const;
    const charged = async () => Number.MAX_SAFE_INTEGER - ((await apiCounter.inspect(undefined, [whole])).limits[0]?.remaining ?? 0);
    let served = 0;
    for (const app of ['app_bw_1', 'app_bw_2']) {
      await subscribe(app, 'api_bw_shared', [{ policy: 'Sub1000', scope: 'subscription', limit: 1000, windowSeconds: 60 }]);
      const auth = { authorization: `Bearer ${await token(key, { applicationId: app })}` };
      for (let i = 0; i < 4; i++) {
        const res = await call('/bwshared/v1/pets', { headers: auth });
        statuses.push(res.status);
        const bytes = (await res.arrayBuffer()).byteLength;
        // A refused call is charged nothing; an admitted one its response's bytes, after the
        // response: wait for them to reach the counter before the next call.
        if (res.status === 200) served += bytes;
        await until(async () => (await charged()) === served);
      }
    }
    expect(statuses[0]).toBe(200);
    expect(statuses).toContain(429);
    // Once refused, refused for everyone until the window ends.
    expect(statuses.slice(statuses.indexOf(429)).every((s) => s === 429)).toBe(true);
  });
});
