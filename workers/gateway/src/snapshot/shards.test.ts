import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { encodeSnapshot } from '../../../shared/snapshot-codec.ts';
import { shardOf, storeShards, type SnapshotShards } from '../../../shared/snapshot-shards.ts';
import type { GatewaySnapshot, SnapshotApi } from '../../../shared/snapshot.ts';

import { api, call, resource } from '../test-support.ts';
import { compile, invalidateSnapshot } from './store.ts';
import type { ShardedRoutes } from './shards.ts';

const ENVIRONMENT = 'env_production';

function environment(count: number, version: number): GatewaySnapshot {
  const apis: SnapshotApi[] = Array.from({ length: count }, (_, i) =>
    api({
      id: `api_s${i}`,
      context: `/svc${i}`,
      resources: [resource('GET', '/items/{id}', { authType: 'none' }), resource('GET', '/open', { authType: 'none' })],
    }),
  );
  return { version, environment: 'production', compiledAt: 0, issuer: 'i', audience: 'a', jwks: [], allowPrivateBackends: true, apis };
}

/** Stores `snapshot` as the control plane does (shards to R2, head to D1) and makes the gateway reload. */
async function publish(snapshot: GatewaySnapshot): Promise<GatewaySnapshot & { shards: SnapshotShards }> {
  const { head } = await storeShards(env.BLOBS, ENVIRONMENT, snapshot, new Set());
  await env.DB.prepare(
    `INSERT INTO gateway_snapshots (environment_id, version, body) VALUES (?, ?, ?) ON CONFLICT(environment_id) DO UPDATE SET version = excluded.version, body = excluded.body`,
  )
    .bind(ENVIRONMENT, snapshot.version, await encodeSnapshot(head))
    .run();
  invalidateSnapshot();
  if (head.shards === undefined) throw new Error('not sharded');
  return head as GatewaySnapshot & { shards: SnapshotShards };
}

/** A bucket that counts the reads made through it. */
function countingBucket(): { bucket: R2Bucket; gets: string[] } {
  const gets: string[] = [];
  const bucket = new Proxy(env.BLOBS, {
    get(target, prop, receiver) {
      if (prop === 'get') return (key: string) => (gets.push(key), target.get(key));
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { bucket, gets };
}

describe('sharded snapshot', () => {
  it('serves a cold isolate its first call with every shard but the one its path routes to absent', async () => {
    const head = await publish(environment(10_000, 5001));
    expect(head.apis).toEqual([]);
    expect(head.shards.count).toBeGreaterThanOrEqual(32);
    const needed = head.shards.keys[shardOf('/svc1234', head.shards.count)];
    const others = head.shards.keys.filter((k) => k !== needed);
    await env.BLOBS.delete(others);

    const res = await call('/svc1234/v1/items/42');
    expect(res.status).toBe(200);
    // Another shard was never read, so its (deleted) object is noticed only when a call needs it.
    const other =
      Array.from({ length: 10_000 }, (_, i) => `/svc${i}`).find((c) => head.shards.keys[shardOf(c, head.shards.count)] !== needed) ?? '';
    const missing = await call(`${other}/v1/open`);
    expect(missing.status).toBe(503);
    expect(missing.headers.get('retry-after')).toBe('1');
  });

  it('reads a shard once and routes later calls to it from memory', async () => {
    const snapshot = environment(2_000, 5002);
    const { head } = await storeShards(env.BLOBS, ENVIRONMENT, snapshot, new Set());
    const { bucket, gets } = countingBucket();
    const compiled = await compile(head, bucket);
    expect(gets).toEqual([]);
    const first = await compiled.routes.match('GET', '/svc7/v1/items/1');
    expect(first?.api.id).toBe('api_s7');
    const again = compiled.routes.match('GET', '/svc7/v1/open');
    expect(again).not.toBeInstanceOf(Promise);
    expect((again as Awaited<typeof again>)?.resource?.pathTemplate).toBe('/open');
    expect(gets).toHaveLength(1);
    expect((compiled.routes as ShardedRoutes).loaded).toBe(1);
    expect(await compiled.routes.match('GET', '/nothing-here/v1/open')).toBeNull();
  });

  it('shares one read between concurrent first calls into a shard', async () => {
    const { head } = await storeShards(env.BLOBS, ENVIRONMENT, environment(1_000, 5003), new Set());
    const { bucket, gets } = countingBucket();
    const compiled = await compile(head, bucket);
    const found = await Promise.all([compiled.routes.match('GET', '/svc3/v1/open'), compiled.routes.match('GET', '/svc3/v1/items/9')]);
    expect(found.map((m) => m?.api.id)).toEqual(['api_s3', 'api_s3']);
    expect(gets).toHaveLength(1);
  });

  it('writes only the shard whose API changed when the environment is published again', async () => {
    const snapshot = environment(3_000, 5004);
    const first = await storeShards(env.BLOBS, ENVIRONMENT, snapshot, new Set());
    expect(first.written).toBe(first.head.shards?.count);
    const changed = { ...snapshot, version: 5005, apis: snapshot.apis.map((a) => (a.id === 'api_s10' ? { ...a, name: 'renamed' } : a)) };
    const second = await storeShards(env.BLOBS, ENVIRONMENT, changed, new Set(first.head.shards?.keys));
    expect(second.written).toBe(1);
    const compiled = await compile(second.head, env.BLOBS);
    expect((await compiled.routes.match('GET', '/svc10/v1/open'))?.api.name).toBe('renamed');
  });

  it('still serves a whole snapshot written inline by an older control plane', async () => {
    const whole = environment(3, 5006);
    await env.DB.prepare(`UPDATE gateway_snapshots SET version = ?, body = ? WHERE environment_id = ?`)
      .bind(whole.version, JSON.stringify(whole), ENVIRONMENT)
      .run();
    invalidateSnapshot();
    expect((await call('/svc2/v1/open')).status).toBe(200);
  });
});
