import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decodeSnapshot } from '../../../shared/snapshot-codec.ts';
import { decodeShard, shardCount, shardOf } from '../../../shared/snapshot-shards.ts';
import { db, publishedApi, userWithRole } from '../../../../test/workers/control-plane-helpers.ts';
import { publishSnapshot } from './snapshot.ts';

const BULK = 100_000;

/**
 * Copies the rows of one deployed API `count` times (contexts /bulk<n>) in three INSERT … SELECT
 * statements over a recursive sequence: what 100,000 deploys would leave in D1, in seconds.
 */
async function cloneDeployedApi(apiId: string, count: number): Promise<void> {
  const columns = async (table: string) =>
    (await env.DB.prepare(`PRAGMA table_info(${table})`).all<{ name: string }>()).results.map((c) => c.name);
  const copy = async (table: string, replaced: Record<string, string>, where: string) => {
    const names = await columns(table);
    const select = names.map((c) => replaced[c] ?? c).join(', ');
    await env.DB.prepare(
      `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?) INSERT INTO ${table} (${names.join(', ')}) SELECT ${select} FROM seq, ${table} WHERE ${where}`,
    )
      .bind(count, apiId)
      .run();
  };
  await copy('apis', { id: `'api_bulk' || n`, name: `'Bulk ' || n`, context: `'/bulk' || n` }, 'id = ?');
  await copy(
    'revisions',
    {
      id: `'rev_bulk' || n`,
      api_id: `'api_bulk' || n`,
      definition: `json_set(definition, '$.context', '/bulk' || n, '$.name', 'Bulk ' || n)`,
    },
    'api_id = ?',
  );
  await copy('deployments', { id: `'dep_bulk' || n`, api_id: `'api_bulk' || n`, revision_id: `'rev_bulk' || n` }, 'api_id = ?');
}

describe('publishing a snapshot beyond one row', () => {
  it(
    "deploys 100,000 APIs with a head of a few kilobytes in D1 and puts any of them in a shard of a few hundred named by the first segment of a call's path",
    { timeout: 300_000 },
    async () => {
      const publisher = await userWithRole('publisher');
      const apiId = await publishedApi(publisher, { resources: [{ method: 'GET', path: '/items/{id}', authType: 'none' }] });
      await cloneDeployedApi(apiId, BULK);

      await publishSnapshot(env, db, 'env_production');

      const row = await env.DB.prepare(`SELECT body FROM gateway_snapshots WHERE environment_id = 'env_production'`).first<{
        body: string;
      }>();
      const head = await decodeSnapshot(row?.body ?? '');
      expect(head.apis).toEqual([]);
      expect(head.shards?.count).toBe(shardCount(BULK + 1));
      // Far below D1's 2,000,000-byte row: the head grows by one key per 256 APIs.
      expect(row?.body.length).toBeLessThan(100_000);
      // What a cold gateway isolate reads for a call to /bulk77777/…: the head, then this one shard.
      const key = head.shards?.keys[shardOf('/bulk77777/v1/items/5', head.shards.count)] ?? '';
      const shard = await decodeShard(await ((await env.BLOBS.get(key))?.arrayBuffer() ?? Promise.reject(new Error('no shard'))));
      expect(shard.length).toBeLessThan(400);
      const found = shard.find((a) => a.context === '/bulk77777');
      expect(found?.id).toBe('api_bulk77777');
      expect(found?.resources.map((r) => `${r.method} ${r.pathTemplate}`)).toEqual(['GET /items/{id}']);
    },
  );
});
