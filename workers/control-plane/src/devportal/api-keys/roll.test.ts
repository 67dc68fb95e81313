import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, db, userWithRole, type TestUser } from '../../../../../test/workers/control-plane-helpers.ts';
import { schema } from '../../db.ts';
import { revokeRolledApiKeys } from './rolled.ts';

interface Key {
  id: string;
  name: string;
  prefix: string;
  expiresAt: number | null;
  allowedIps: string[];
  revokedAt: number | null;
  rolledTo: string | null;
  lastUsedAt: number | null;
  key?: string;
}

let owner: TestUser;
let appId: string;

async function newKey(name: string): Promise<Key> {
  const created = await api<Key>('POST', `/api/devportal/v1/applications/${appId}/api-keys`, owner, {
    name,
    allowedIps: ['192.0.2.0/24'],
    validityPeriod: 86_400,
  });
  expect(created.status).toBe(201);
  return created.body;
}
const roll = (keyId: string, body: Record<string, unknown>, user = owner) =>
  api<{ key: Key; previous: Key; detail?: string }>('POST', `/api/devportal/v1/applications/${appId}/api-keys/${keyId}/roll`, user, body);
const row = async (id: string) => (await db.select().from(schema.apiKeys).where(eq(schema.apiKeys.id, id)))[0];

beforeAll(async () => {
  owner = await userWithRole('developer');
  appId = (await api<{ id: string }>('POST', '/api/devportal/v1/applications', owner, { name: 'Roll app' })).body.id;
});

describe('rolling an API key (Unkey’s rollKey)', () => {
  it('makes a successor with the same settings, shown once, and lets the old key work until the overlap ends, then the cron revokes it', async () => {
    const old = await newKey('ci');
    const before = Date.now();
    const rolled = await roll(old.id, { overlapSeconds: 600 });
    expect(rolled.status).toBe(201);
    const { key, previous } = rolled.body;
    expect(key.key).toMatch(/^tpk_/);
    expect(key).toMatchObject({ name: 'ci', allowedIps: ['192.0.2.0/24'], expiresAt: old.expiresAt, revokedAt: null, rolledTo: null });
    expect(key.prefix).not.toBe(old.prefix);
    expect(previous).toMatchObject({ id: old.id, rolledTo: key.id, revokedAt: null });
    expect(previous.expiresAt).toBeGreaterThanOrEqual(before + 600_000);
    expect(previous.expiresAt).toBeLessThanOrEqual(Date.now() + 600_000);

    const list = await api<{ list: Key[] }>('GET', `/api/devportal/v1/applications/${appId}/api-keys`, owner);
    expect(list.body.list.find((k) => k.id === old.id)).toMatchObject({ rolledTo: key.id });
    expect(list.body.list.find((k) => k.id === key.id)).not.toHaveProperty('key');

    // During the overlap the cron leaves it alone; once it has ended, the key is revoked.
    expect(await revokeRolledApiKeys(env, db, Date.now())).toEqual([]);
    expect(await revokeRolledApiKeys(env, db, (previous.expiresAt ?? 0) + 1)).toEqual([old.id]);
    expect((await row(old.id))?.revokedAt).not.toBeNull();
    expect((await row(key.id))?.revokedAt).toBeNull();
  });

  it('never pushes the old key’s expiry out: an overlap longer than its life keeps its own expiry', async () => {
    const old = await newKey('short');
    const rolled = await roll(old.id, { overlapSeconds: 30 * 86_400 });
    expect(rolled.body.previous.expiresAt).toBe(old.expiresAt);
  });

  it('stops the old key at once with no overlap', async () => {
    const old = await newKey('now');
    const rolled = await roll(old.id, { overlapSeconds: 0 });
    expect(rolled.status).toBe(201);
    expect(rolled.body.previous.revokedAt).not.toBeNull();
    expect((await row(old.id))?.revokedAt).not.toBeNull();
  });

  it('refuses to roll a key twice, a revoked key, or another developer’s key', async () => {
    const old = await newKey('twice');
    expect((await roll(old.id, {})).status).toBe(201);
    const again = await roll(old.id, {});
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('already rolled');
    const revoked = await newKey('revoked');
    expect((await api('DELETE', `/api/devportal/v1/applications/${appId}/api-keys/${revoked.id}`, owner)).status).toBe(204);
    expect((await roll(revoked.id, {})).status).toBe(404);
    const stranger = await newKey('theirs');
    expect((await roll(stranger.id, {}, await userWithRole('developer'))).status).toBe(404);
    expect((await roll(stranger.id, { overlapSeconds: -1 })).status).toBe(400);
  });
});
