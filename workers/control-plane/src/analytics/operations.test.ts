import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, apiBody, db, ORIGIN, userWithRole as user } from '../../../../test/workers/control-plane-helpers.ts';
import { schema } from '../db.ts';

// Two minutes in the middle of the previous hour: rows a few minutes old straddle an hour boundary
// when the test runs just after one, and the hourly sum then reads as two buckets.
const minute = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 30 * 60_000;
const row = (apiId: string, applicationId: string, operation: string, requests: number, errors: number, bucketStart = minute) => ({
  granularity: 'minute' as const,
  bucketStart,
  apiId,
  applicationId,
  operation,
  requests,
  errors,
  latencyMsSum: requests * 4,
});

type OperationList = {
  list: Array<{ apiId: string; applicationId: string; operation: string; requests: number; errors: number; latencyMsAvg: number | null }>;
};

describe('usage by operation API', () => {
  it("sums calls per operation over the bucket, for the publisher's own APIs only, as JSON and CSV", async () => {
    const publisher = await user('publisher');
    const stranger = await user('publisher');
    const own = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody());
    expect(own.status).toBe(201);
    const apiId = own.body.id;
    await db
      .insert(schema.usageOperations)
      .values([
        row(apiId, 'app_x', 'Shelf', 3, 1),
        row(apiId, 'app_x', 'Shelf', 2, 0, minute - 60_000),
        row(apiId, 'app_x', 'Query.secret', 1, 0),
        row(`api_else_${apiId}`, 'app_x', 'Shelf', 9, 0),
      ]);
    const hourly = await api<OperationList>('GET', `/api/publisher/v1/usage/operations?granularity=hour&apiId=${apiId}`, publisher);
    expect(hourly.status).toBe(200);
    expect(
      hourly.body.list
        .map(({ operation, requests, errors, latencyMsAvg }) => ({ operation, requests, errors, latencyMsAvg }))
        .sort((a, b) => a.operation.localeCompare(b.operation)),
    ).toEqual([
      { operation: 'Query.secret', requests: 1, errors: 0, latencyMsAvg: 4 },
      { operation: 'Shelf', requests: 5, errors: 1, latencyMsAvg: 4 },
    ]);
    // Another publisher's API reads as no data.
    expect((await api<OperationList>('GET', `/api/publisher/v1/usage/operations?apiId=${apiId}`, stranger)).body.list).toEqual([]);
    const csv = await SELF.fetch(`${ORIGIN}/api/publisher/v1/usage/operations?granularity=hour&apiId=${apiId}&format=csv`, {
      headers: { cookie: publisher.cookie },
    });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toBe('bucket_start,api_id,application_id,operation,requests,errors,latency_ms_avg');
    expect(lines.some((l) => l.endsWith(`,${apiId},app_x,Shelf,5,1,4`))).toBe(true);
  });
});
