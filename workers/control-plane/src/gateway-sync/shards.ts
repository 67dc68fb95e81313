import type { GatewaySnapshot } from '../../../shared/snapshot.ts';
import { encodeShard, shardObjectKey, splitApis, type SnapshotShards } from '../../../shared/snapshot-shards.ts';

/**
 * How long a shard no head names any more stays in R2: an isolate still holding an older head reads
 * its shards until it revalidates (SNAPSHOT_TTL_SECONDS, or told by notifyGateway); far beyond that.
 */
export const SHARD_GRACE_MS = 60 * 60 * 1000;

/**
 * Writes a compiled snapshot's APIs to R2 as shards and returns the head that names them (what the
 * D1 row holds). A shard the previous head already names has the same bytes under the same key and
 * is not written again: a deploy of one API writes one shard.
 */
export async function storeShards(blobs: R2Bucket, environmentId: string, snapshot: GatewaySnapshot, previous: ReadonlySet<string>): Promise<{ head: GatewaySnapshot; written: number; bytes: number }> {
  const shards = splitApis(snapshot.apis);
  const encoded = await Promise.all(shards.map((apis) => encodeShard(apis)));
  const keys = encoded.map(({ digest }) => shardObjectKey(environmentId, digest));
  let written = 0;
  let bytes = 0;
  await Promise.all(
    encoded.map(async ({ body }, i) => {
      const key = keys[i] ?? '';
      bytes += body.byteLength;
      if (previous.has(key)) return;
      written++;
      await blobs.put(key, body, { httpMetadata: { contentType: 'application/json', contentEncoding: 'gzip' } });
    }),
  );
  const layout: SnapshotShards = { count: shards.length, keys };
  return { head: { ...snapshot, apis: [], shards: layout }, written, bytes };
}

/** Deletes the environment's shards that `current` does not name and that are older than the grace period. */
export async function collectShards(blobs: R2Bucket, environmentId: string, current: ReadonlySet<string>, now = Date.now()): Promise<number> {
  let deleted = 0;
  let cursor: string | undefined;
  do {
    const page = await blobs.list({ prefix: `snapshots/${environmentId}/`, ...(cursor === undefined ? {} : { cursor }) });
    const stale = page.objects.filter((o) => !current.has(o.key) && now - o.uploaded.getTime() > SHARD_GRACE_MS).map((o) => o.key);
    if (stale.length > 0) await blobs.delete(stale);
    deleted += stale.length;
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor !== undefined);
  return deleted;
}
