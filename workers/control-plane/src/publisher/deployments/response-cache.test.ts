import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { schema } from '../../db.ts';
import {
  api,
  apiBody,
  db,
  deployedSnapshot,
  publishedApi,
  userWithRole,
  type ProblemBody,
} from '../../../../../test/workers/control-plane-helpers.ts';

const cached = { name: 'response-cache', config: { ttlSeconds: 120, queryParams: ['page'] } };
const epochOf = async (apiId: string) => (await deployedSnapshot()).apis.find((a) => a.id === apiId)?.cacheEpoch;

describe('publisher: response cache', () => {
  it('attaches the response-cache policy to an operation and serves it in the snapshot with the deployment as its cache epoch', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher, { resources: [{ method: 'GET', path: '/items', authType: 'none', policies: [cached] }] });
    const served = (await deployedSnapshot()).apis.find((a) => a.id === apiId);
    expect(served?.resources[0]?.policies).toEqual([cached]);
    const [deployment] = (
      await api<{ list: Array<{ deployedAt: number }> }>('GET', `/api/publisher/v1/apis/${apiId}/deployments`, publisher)
    ).body.list;
    expect(served?.cacheEpoch).toBe(deployment?.deployedAt);
  });

  it('refuses a response-cache config the gateway could not run, naming the field', async () => {
    const publisher = await userWithRole('publisher');
    const res = await api<ProblemBody>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({
        resources: [{ method: 'GET', path: '/items', authType: 'none', policies: [{ name: 'response-cache', config: { ttlSeconds: 0 } }] }],
      }),
    );
    expect(res.status).toBe(400);
    expect(res.body.errors?.map((e) => e.pointer)).toEqual(['/resources/0/policies/0/config/ttlSeconds']);
  });

  it('purges on demand: the epoch of every environment serving the API moves on to the purge, and the purge is audited', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher, { resources: [{ method: 'GET', path: '/items', authType: 'none', policies: [cached] }] });
    const before = await epochOf(apiId);
    const purged = await api<{ environments: string[]; purgedAt: number }>(
      'POST',
      `/api/publisher/v1/apis/${apiId}/response-cache/purge`,
      publisher,
    );
    expect(purged.status).toBe(200);
    expect(purged.body.environments).toEqual(['production']);
    expect(purged.body.purgedAt).toBeGreaterThanOrEqual(before ?? Infinity);
    expect(await epochOf(apiId)).toBe(purged.body.purgedAt);
    const audit = await db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, apiId));
    expect(audit.map((a) => a.action)).toContain('api.cache.purge');
    expect((await api('POST', `/api/publisher/v1/apis/${apiId}/response-cache/purge`, await userWithRole('publisher'))).status).toBe(404);
    expect((await api('POST', `/api/publisher/v1/apis/${apiId}/response-cache/purge`, await userWithRole('developer'))).status).toBe(403);
  });
});
