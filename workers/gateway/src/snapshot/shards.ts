import { ApiError } from '../../../shared/problem.ts';
import type { GatewaySnapshot } from '../../../shared/snapshot.ts';
import { decodeShard, shardOf, type SnapshotShards } from '../../../shared/snapshot-shards.ts';
import { addToPlan, type GrowingPlan } from '../plan.ts';
import { RouteTable, type RouteMatch } from '../routing/route-table.ts';
import { outliveCaller } from '../shared-work.ts';

/** How a call is routed: from memory, or — for a shard this isolate has not read yet — after one R2 read. */
export interface Routes {
  match(method: string, path: string): RouteMatch | null | Promise<RouteMatch | null>;
}

/**
 * The routes of a sharded snapshot (decision 0034): one RouteTable per shard, built the first time
 * a call's path falls into it. Concurrent first calls share one read. Every shard of the version
 * this isolate holds is kept (at most the whole environment, as a whole snapshot would be): one
 * snapshot per isolate, so bounded by construction.
 */
export class ShardedRoutes implements Routes {
  readonly #head: GatewaySnapshot & { readonly shards: SnapshotShards };
  readonly #blobs: R2Bucket;
  readonly #plan: GrowingPlan;
  readonly #onMissing: () => void;
  readonly #tables: Array<RouteTable | Promise<RouteTable> | undefined>;

  constructor(head: GatewaySnapshot & { readonly shards: SnapshotShards }, blobs: R2Bucket, plan: GrowingPlan, onMissing: () => void) {
    this.#head = head;
    this.#blobs = blobs;
    this.#plan = plan;
    this.#onMissing = onMissing;
    this.#tables = new Array<undefined>(head.shards.count);
  }

  /** How many shards this isolate has read (for tests and the bench). */
  get loaded(): number {
    return this.#tables.filter((t) => t instanceof RouteTable).length;
  }

  match(method: string, path: string): RouteMatch | null | Promise<RouteMatch | null> {
    const n = shardOf(path, this.#head.shards.count);
    const table = this.#tables[n];
    if (table instanceof RouteTable) return table.match(method, path);
    return (table ?? this.#load(n)).then((t) => t.match(method, path));
  }

  #load(n: number): Promise<RouteTable> {
    // Concurrent first calls to the shard share this read: it must not end with this request (shared-work.ts).
    const loading = outliveCaller(this.#read(n)).then(
      (table) => (this.#tables[n] = table),
      (err: unknown) => {
        // Not cached: the next call to this shard tries again.
        this.#tables[n] = undefined;
        throw err;
      },
    );
    this.#tables[n] = loading;
    return loading;
  }

  async #read(n: number): Promise<RouteTable> {
    const key = this.#head.shards.keys[n];
    const object = key === undefined ? null : await this.#blobs.get(key);
    if (object === null) {
      // A newer snapshot replaced this one and its unreferenced shards were collected: reload the head.
      this.#onMissing();
      console.error(JSON.stringify({ message: 'snapshot shard missing', version: this.#head.version, shard: n, key }));
      throw new ApiError('service-unavailable', {
        detail: 'The gateway is loading a new configuration; retry',
        headers: { 'retry-after': '1' },
      });
    }
    const apis = await decodeShard(await object.arrayBuffer());
    const part: GatewaySnapshot = { ...this.#head, apis };
    addToPlan(this.#plan, part);
    return new RouteTable(part);
  }
}
