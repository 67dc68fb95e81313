import { decodeSnapshot } from '../../../shared/snapshot-codec.ts';
import { gatewayConfig } from '../config.ts';
import { importJWK, type CryptoKey as JoseKey } from 'jose';
import { withBusyRetry } from '../../../shared/d1-retry.ts';
import { meteredD1 } from '../metering/meter.ts';
import type { GatewaySnapshot } from '../../../shared/snapshot.ts';
import { RouteTable } from '../routing/route-table.ts';
import { compilePlan, type CallPlan, type GrowingPlan } from '../plan.ts';
import { isSharded } from '../../../shared/snapshot-shards.ts';
import { ShardedRoutes, type Routes } from './shards.ts';
import { outliveCaller } from '../shared-work.ts';

/** A snapshot with everything built once per version that a request would otherwise rebuild. */
export interface CompiledSnapshot {
  readonly snapshot: GatewaySnapshot;
  /** A whole snapshot's one table, or a sharded snapshot's tables read on demand (decision 0034). */
  readonly routes: Routes;
  /** Verification keys by `kid`, each pinned to the one algorithm it was published for. */
  readonly keys: ReadonlyMap<string, { readonly alg: string; readonly key: JoseKey | Uint8Array }>;
  /** Each API's and resource's steps, built once per version (plan.ts); a shard adds its own when read. */
  readonly plan: CallPlan;
}

interface Held {
  compiled: CompiledSnapshot;
  checkedAt: number;
}

// One snapshot per isolate (one environment per deployment): bounded by construction.
let held: Held | null = null;
let invalidated = false;
let revalidating: Promise<void> | null = null;
/** The reload in flight: every call that arrives meanwhile waits for it (see `reloadShared`). */
let reloading: Promise<void> | null = null;

/** Called by the control plane (service binding) after a deploy: the next request reloads. */
export function invalidateSnapshot(): void {
  invalidated = true;
}

/**
 * The current compiled snapshot. Steady state this returns from memory; once the TTL has passed it
 * revalidates in the background (one indexed D1 read of the version), and it reloads before
 * answering when told a deploy happened, when the version read found a newer one, or when it holds
 * nothing yet — and then every call waits for that reload, not only the first one.
 */
export async function currentSnapshot(
  env: Env,
  waitUntil: (p: Promise<unknown>) => void,
  now = Date.now(),
): Promise<CompiledSnapshot | null> {
  if (held === null || invalidated || reloading !== null) {
    await reloadShared(env, now);
    return held?.compiled ?? null;
  }
  if (now - held.checkedAt > gatewayConfig(env).snapshotTtlMs && revalidating === null) {
    held.checkedAt = now;
    revalidating = revalidate(env, now).finally(() => {
      revalidating = null;
    });
    waitUntil(revalidating);
  }
  return held.compiled;
}

/**
 * One reload for every call that needs it. Calls that arrive while it runs wait for it too: served
 * from the old snapshot, they answered 404 for an API just deployed, and passed a blocking condition
 * or a retirement the new one carries — the calls that came together with the first after a deploy
 * (found by the API products e2e test in CI's file order). Told of another change meanwhile, it
 * reloads once more. A failed reload fails the call that made it, as before; the calls that joined
 * it are served what is held, unless nothing is.
 */
async function reloadShared(env: Env, now: number): Promise<void> {
  do {
    if (reloading === null) {
      invalidated = false;
      // Every call that arrives meanwhile waits for it: it must not end with this request (shared-work.ts).
      reloading = outliveCaller(
        reload(env, now).finally(() => {
          reloading = null;
        }),
      );
      await reloading;
    } else {
      await reloading.catch((err: unknown) => {
        if (held === null) throw err;
      });
    }
  } while (invalidated);
}

async function revalidate(env: Env, now: number): Promise<void> {
  const row = await withBusyRetry(meteredD1(env.DB))
    .prepare(`SELECT s.version AS version FROM gateway_snapshots s JOIN gateway_environments e ON e.id = s.environment_id WHERE e.name = ?`)
    .bind(env.GATEWAY_ENVIRONMENT)
    .first<{ version: number }>();
  if (row !== null && row.version !== held?.compiled.snapshot.version) {
    invalidated = true;
    await reloadShared(env, now);
  }
}

async function reload(env: Env, now: number): Promise<void> {
  const row = await withBusyRetry(meteredD1(env.DB))
    .prepare(`SELECT s.body AS body FROM gateway_snapshots s JOIN gateway_environments e ON e.id = s.environment_id WHERE e.name = ?`)
    .bind(env.GATEWAY_ENVIRONMENT)
    .first<{ body: string }>();
  if (row === null) {
    held = null;
    return;
  }
  const snapshot = await decodeSnapshot(row.body);
  if (held !== null && held.compiled.snapshot.version === snapshot.version) {
    held.checkedAt = now;
    return;
  }
  held = { compiled: await compile(snapshot, env.BLOBS), checkedAt: now };
}

/**
 * A whole snapshot is compiled at once; a head (APIs in R2 shards) only its keys, its shards when a
 * call first needs them — so a cold isolate's first call costs one shard, not the environment.
 */
export async function compile(snapshot: GatewaySnapshot, blobs?: R2Bucket): Promise<CompiledSnapshot> {
  const keys = new Map<string, { alg: string; key: JoseKey | Uint8Array }>();
  for (const jwk of snapshot.jwks) {
    keys.set(jwk.kid, { alg: jwk.alg, key: await importJWK(jwk, jwk.alg) });
  }
  // A whole snapshot's plan is complete at once; a sharded one's starts empty and grows per shard.
  const plan: GrowingPlan = compilePlan(snapshot);
  if (!isSharded(snapshot)) return { snapshot, routes: new RouteTable(snapshot), keys, plan };
  if (blobs === undefined) throw new Error('a sharded snapshot needs the BLOBS bucket');
  return { snapshot, routes: new ShardedRoutes(snapshot, blobs, plan, invalidateSnapshot), keys, plan };
}
