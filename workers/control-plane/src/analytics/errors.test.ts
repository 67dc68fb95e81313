import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, apiBody, db, ORIGIN, userWithRole as user, type ProblemBody } from '../../../../test/workers/control-plane-helpers.ts';
import { schema } from '../db.ts';

// In the middle of the previous hour: two adjacent minutes never straddle an hour boundary.
const minute = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 30 * 60_000;
const errorRow = (apiId: string, applicationId: string, errorCode: number, count: number, bucketStart = minute) => ({
  granularity: 'minute' as const,
  bucketStart,
  apiId,
  applicationId,
  keyType: 'PRODUCTION',
  errorCode,
  count,
});

type ErrorList = { list: Array<{ apiId: string; applicationId: string; code: number; count: number; bucketStart: number }> };

describe('errors by code API', () => {
  it('scopes counts by role (developers: own applications, publishers: own APIs, admins: all) and filters', async () => {
    const alice = await user('developer');
    const bob = await user('developer');
    const publisher = await user('publisher');
    const admin = await user('admin');
    const own = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody());
    expect(own.status).toBe(201);
    const apiId = own.body.id;
    const [appA, appB] = [`app_alice_${apiId}`, `app_bob_${apiId}`];
    await db.insert(schema.applications).values([
      { id: appA, name: 'A', ownerId: alice.id },
      { id: appB, name: 'B', ownerId: bob.id },
    ]);
    const other = `api_other_${apiId}`;
    await db
      .insert(schema.usageErrors)
      .values([
        errorRow(apiId, appA, 900804, 3),
        errorRow(apiId, appA, 900804, 2, minute - 60_000),
        errorRow(apiId, appA, 503, 1),
        errorRow(apiId, appB, 900901, 2),
        errorRow(other, appA, 900901, 5),
      ]);

    const mine = await api<ErrorList>('GET', '/api/devportal/v1/usage/errors?granularity=hour', alice);
    expect(mine.status).toBe(200);
    expect(mine.body.list.map(({ apiId: a, applicationId, code, count }) => ({ a, applicationId, code, count }))).toEqual(
      expect.arrayContaining([
        { a: apiId, applicationId: appA, code: 503, count: 1 },
        { a: apiId, applicationId: appA, code: 900804, count: 5 },
        { a: other, applicationId: appA, code: 900901, count: 5 },
      ]),
    );
    expect(mine.body.list.every((p) => p.applicationId === appA)).toBe(true);
    expect(mine.body.list.reduce((n, p) => n + p.count, 0)).toBe(11);
    const perMinute = await api<ErrorList>('GET', `/api/devportal/v1/usage/errors?granularity=minute&code=900804`, alice);
    expect(perMinute.body.list.map((p) => [p.bucketStart, p.count])).toEqual([
      [minute - 60_000, 2],
      [minute, 3],
    ]);
    expect((await api<ErrorList>('GET', `/api/devportal/v1/usage/errors?applicationId=${appB}`, alice)).body.list).toEqual([]);

    const theirs = await api<ErrorList>('GET', '/api/publisher/v1/usage/errors?granularity=day', publisher);
    expect(theirs.body.list.map((p) => [p.applicationId, p.code, p.count]).sort()).toEqual([
      [appA, 503, 1],
      [appA, 900804, 5],
      [appB, 900901, 2],
    ]);
    expect((await api<ErrorList>('GET', `/api/publisher/v1/usage/errors?apiId=${other}`, publisher)).body.list).toEqual([]);

    const all = await api<ErrorList>('GET', `/api/admin/v1/usage/errors?applicationId=${appA}&granularity=day`, admin);
    expect(all.body.list.reduce((n, p) => n + p.count, 0)).toBe(11);
  });

  it('answers CSV with one line per bucket, API, application and code', async () => {
    const carol = await user('developer');
    const appC = `app_carol_${carol.id}`;
    await db.insert(schema.applications).values({ id: appC, name: 'C', ownerId: carol.id });
    await db.insert(schema.usageErrors).values([errorRow('api_csv', appC, 900901, 4), errorRow('api_csv', appC, 502, 1)]);
    const res = await SELF.fetch(`${ORIGIN}/api/devportal/v1/usage/errors?format=csv`, { headers: { cookie: carol.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/csv');
    const lines = (await res.text()).trim().split('\n');
    expect(lines[0]).toBe('bucket_start,api_id,application_id,code,count');
    expect(lines.slice(1).map((l) => l.split(',').slice(1))).toEqual([
      ['api_csv', appC, '502', '1'],
      ['api_csv', appC, '900901', '4'],
    ]);
  });

  it('names the query field at fault and refuses the wrong audiences', async () => {
    const dave = await user('developer');
    const bad = await api<ProblemBody>('GET', '/api/devportal/v1/usage/errors?granularity=week&code=abc', dave);
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(bad.body.errors?.map((e) => e.pointer).sort()).toEqual(['#query/code', '#query/granularity']);
    expect((await api('GET', '/api/devportal/v1/usage/errors', null)).status).toBe(401);
    expect((await api('GET', '/api/publisher/v1/usage/errors', dave)).status).toBe(403);
    expect((await api('GET', '/api/admin/v1/usage/errors', dave)).status).toBe(403);
  });
});
