/**
 * A snapshot beyond one D1 row (decision 0034). The `gateway_snapshots` row keeps the version and a
 * small head — everything of the environment except its APIs, plus the keys of its shards — and the
 * APIs sit in R2, grouped into shards by the first segment of their context. A cold isolate reads
 * the head and the one shard a call's path can route to; a warm one routes from memory as before.
 *
 * Shards are content-addressed (the key is the SHA-256 of the body), so a deploy that changes one
 * API writes one shard, and an isolate still holding an older head keeps reading the shards it names.
 */
import type { GatewaySnapshot, SnapshotApi } from './snapshot.ts';

/** APIs per shard the control plane aims for: 256 of about 700 bytes is ~20 kB gzipped per cold read. */
export const APIS_PER_SHARD = 256;

export interface SnapshotShards {
  /** How many shards there are (a power of two); an API is in shard `shardOf(context, count)`. */
  readonly count: number;
  /** R2 object key of each shard, by shard number. */
  readonly keys: readonly string[];
}

/** The number of shards for `apis` APIs: a power of two, so the hash only needs a mask. */
export function shardCount(apis: number): number {
  let count = 1;
  while (count * APIS_PER_SHARD < apis) count *= 2;
  return count;
}

/**
 * The shard of a context, or of a request path: both start with the same first segment (a context
 * is `/seg[/seg…]`, a call `/seg/…`), so every API a path could route to is in the one shard.
 * FNV-1a: cheap, stable across runtimes, and spread well enough for names like `/api123`.
 */
export function shardOf(pathOrContext: string, count: number): number {
  const end = pathOrContext.indexOf('/', 1);
  const first = end === -1 ? pathOrContext : pathOrContext.slice(0, end);
  let hash = 0x811c9dc5;
  for (let i = 0; i < first.length; i++) {
    hash ^= first.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) & (count - 1);
}

/** Groups an environment's APIs into its shards (empty shards included: every number has a key). */
export function splitApis(apis: readonly SnapshotApi[]): SnapshotApi[][] {
  const count = shardCount(apis.length);
  const shards: SnapshotApi[][] = Array.from({ length: count }, () => []);
  for (const api of apis) shards[shardOf(api.context, count)]?.push(api);
  return shards;
}

export function shardObjectKey(environment: string, digest: string): string {
  return `snapshots/${environment}/${digest}.json.gz`;
}

async function pipe(bytes: Uint8Array, transform: CompressionStream | DecompressionStream): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform)).arrayBuffer());
}

/** A shard as stored in R2: gzipped JSON of its APIs, with the hex SHA-256 of that body. */
export async function encodeShard(apis: readonly SnapshotApi[]): Promise<{ body: Uint8Array<ArrayBuffer>; digest: string }> {
  const body = await pipe(new TextEncoder().encode(JSON.stringify(apis)), new CompressionStream('gzip'));
  const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', body))].map((b) => b.toString(16).padStart(2, '0')).join('');
  return { body, digest };
}

export async function decodeShard(body: ArrayBuffer): Promise<SnapshotApi[]> {
  return JSON.parse(new TextDecoder().decode(await pipe(new Uint8Array(body), new DecompressionStream('gzip')))) as SnapshotApi[];
}

/** A head is a snapshot whose APIs are in shards; an older (or test-written) row holds them inline. */
export function isSharded(snapshot: GatewaySnapshot): snapshot is GatewaySnapshot & { readonly shards: SnapshotShards } {
  return snapshot.shards !== undefined;
}

/** The whole snapshot a head stands for, every shard read (tools and tests; a gateway reads one at a time). */
export async function wholeSnapshot(
  snapshot: GatewaySnapshot,
  read: (key: string) => Promise<ArrayBuffer | null>,
): Promise<GatewaySnapshot> {
  if (!isSharded(snapshot)) return snapshot;
  const parts = await Promise.all(
    snapshot.shards.keys.map(async (key) => {
      const body = await read(key);
      if (body === null) throw new Error(`snapshot shard ${key} is missing`);
      return decodeShard(body);
    }),
  );
  const { shards: _shards, ...rest } = snapshot;
  return { ...rest, apis: parts.flat() };
}

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
export async function storeShards(
  blobs: R2Bucket,
  environmentId: string,
  snapshot: GatewaySnapshot,
  previous: ReadonlySet<string>,
): Promise<{ head: GatewaySnapshot; written: number; bytes: number }> {
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
export async function collectShards(
  blobs: R2Bucket,
  environmentId: string,
  current: ReadonlySet<string>,
  now = Date.now(),
): Promise<number> {
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
