import { SELF, env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { hashPassword } from '../../../shared/crypto.ts';
import { createDb, schema } from '../db.ts';

const ORIGIN = 'http://cp.test';
const db = createDb(env.DB);
const PASSWORD = 'correct horse battery staple';

async function user(email: string, role: 'admin' | 'publisher' | 'developer') {
  const id = `usr_${email.split('@')[0]}`;
  await db.insert(schema.users).values({ id, email, displayName: email, passwordHash: await hashPassword(PASSWORD, 1000), role });
  const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  return { id, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
}

const minute = Math.floor(Date.now() / 60_000) * 60_000 - 120_000;
const rollup = (apiId: string, applicationId: string, statusClass: string, requests: number, histogram: number[]) => ({
  granularity: 'minute' as const,
  bucketStart: minute,
  apiId,
  applicationId,
  keyType: 'PRODUCTION',
  statusClass,
  requests,
  throttled: statusClass === '4xx' ? requests : 0,
  requestBytes: 0,
  responseBytes: 100 * requests,
  latencyMsSum: 10 * requests,
  latencyMsMax: 40,
  latencyHistogram: histogram,
});

describe('usage API', () => {
  it('shows developers only their own applications, with status classes and percentiles, as JSON and CSV', async () => {
    const alice = await user('alice-usage@example.com', 'developer');
    const bob = await user('bob-usage@example.com', 'developer');
    await db.insert(schema.applications).values([
      { id: 'app_alice_u', name: 'A', ownerId: alice.id },
      { id: 'app_bob_u', name: 'B', ownerId: bob.id },
    ]);
    await db
      .insert(schema.usageRollups)
      .values([
        rollup('api_u1', 'app_alice_u', '2xx', 8, [0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        rollup('api_u1', 'app_alice_u', '4xx', 2, [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        rollup('api_u1', 'app_bob_u', '2xx', 5, [5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      ]);
    const res = await SELF.fetch(`${ORIGIN}/api/devportal/v1/usage?granularity=hour`, { headers: { cookie: alice.cookie } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      list: Array<{
        applicationId: string;
        requests: number;
        statusClasses: Record<string, number>;
        throttled: number;
        latencyMs: { p50: number; p99: number };
      }>;
    };
    expect(body.list).toHaveLength(1);
    expect(body.list[0]).toMatchObject({
      applicationId: 'app_alice_u',
      requests: 10,
      statusClasses: { '2xx': 8, '4xx': 2 },
      throttled: 2,
      latencyMs: { p50: 10, p99: 10 },
    });

    const other = await SELF.fetch(`${ORIGIN}/api/devportal/v1/usage?applicationId=app_bob_u`, { headers: { cookie: alice.cookie } });
    expect(((await other.json()) as { list: unknown[] }).list).toEqual([]);

    const csv = await SELF.fetch(`${ORIGIN}/api/devportal/v1/usage?format=csv`, { headers: { cookie: alice.cookie } });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\n');
    expect(lines[0]).toContain('bucket_start,api_id,application_id,requests,2xx');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('app_alice_u,10,8,0,2,0,2');
  });

  it('ranks top consumers for an admin', async () => {
    const admin = await user('admin-usage@example.com', 'admin');
    const top = await SELF.fetch(`${ORIGIN}/api/admin/v1/usage/top-consumers?apiId=api_u1`, { headers: { cookie: admin.cookie } });
    expect(top.status).toBe(200);
    expect(((await top.json()) as { list: Array<{ applicationId: string; requests: number; errors: number }> }).list).toEqual([
      { applicationId: 'app_alice_u', requests: 10, throttled: 2, errors: 2 },
      { applicationId: 'app_bob_u', requests: 5, throttled: 0, errors: 0 },
    ]);
  });

  it('refuses anonymous callers and developers on the admin view', async () => {
    expect((await SELF.fetch(`${ORIGIN}/api/devportal/v1/usage`)).status).toBe(401);
    const carol = await user('carol-usage@example.com', 'developer');
    expect((await SELF.fetch(`${ORIGIN}/api/admin/v1/usage`, { headers: { cookie: carol.cookie } })).status).toBe(403);
    expect((await SELF.fetch(`${ORIGIN}/api/publisher/v1/usage`, { headers: { cookie: carol.cookie } })).status).toBe(403);
  });
});
