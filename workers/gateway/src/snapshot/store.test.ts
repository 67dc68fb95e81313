import { describe, expect, it } from 'vitest';
import { api, call, deploy } from '../test-support.ts';

/** Eight calls at once, as a burst that meets the isolate right after a deploy; their statuses. */
async function burst(path: string): Promise<number[]> {
  return Promise.all(
    Array.from({ length: 8 }, async () => {
      const res = await call(path);
      await res.arrayBuffer();
      return res.status;
    }),
  );
}

describe('snapshot reload after a deploy', () => {
  it('serves every call that comes together with the first one from the new snapshot: an API just deployed routes for all of them', async () => {
    await deploy([api({ id: 'api_first', context: '/first' })], []);
    expect((await call('/first/v1/open')).status).toBe(200);
    await deploy([api({ id: 'api_first', context: '/first' }), api({ id: 'api_second', context: '/second' })], []);
    // Before: the first call waited for the reload, the seven beside it were routed by the old snapshot (404).
    expect(await burst('/second/v1/open')).toEqual(Array<number>(8).fill(200));
  });

  it('refuses every call that comes together with the first one once a deploy blocks the API, not only the first', async () => {
    await deploy([api({ id: 'api_soon_blocked', context: '/soon' })], []);
    expect((await call('/soon/v1/open')).status).toBe(200);
    await deploy([api({ id: 'api_soon_blocked', context: '/soon', state: 'BLOCKED' })], []);
    expect(await burst('/soon/v1/open')).toEqual(Array<number>(8).fill(503));
  });
});
