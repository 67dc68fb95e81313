import { decodeSnapshot } from '../../../shared/snapshot-codec.ts';
import { gatewayConfig } from '../config.ts';
import { importJWK, type CryptoKey as JoseKey } from 'jose';
import { withBusyRetry } from '../../../shared/d1-retry.ts';
import { meteredD1 } from '../metering/meter.ts';
import type { GatewaySnapshot } from '../../../shared/snapshot.ts';
import { RouteTable } from '../routing/route-table.ts';
import { compilePlan, type CallPlan } from '../plan.ts';

/** A snapshot with everything built once per version that a request would otherwise rebuild. */
export interface CompiledSnapshot {
  readonly snapshot: GatewaySnapshot;
  readonly routes: RouteTable;
  /** Verification keys by `kid`, each pinned to the one algorithm it was published for. */
  readonly keys: ReadonlyMap<string, { readonly alg: string; readonly key: JoseKey | Uint8Array }>;
  /** Each API's and resource's steps, built once per version (plan.ts). */
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

/** Called by the control plane (service binding) after a deploy: the next request reloads. */
export function invalidateSnapshot(): void {
  invalidated = true;
}

/**
 * The current compiled snapshot. Steady state this returns from memory; once the TTL has passed it
 * revalidates in the background (one indexed D1 read of the version), and it reloads before
 * answering only when told a deploy happened or when it holds nothing yet.
 */
export async function currentSnapshot(env: Env, waitUntil: (p: Promise<unknown>) => void, now = Date.now()): Promise<CompiledSnapshot | null> {
  if (held === null || invalidated) {
    invalidated = false;
    await reload(env, now);
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

async function revalidate(env: Env, now: number): Promise<void> {
  const row = await withBusyRetry(meteredD1(env.DB)).prepare(
    `SELECT s.version AS version FROM gateway_snapshots s JOIN gateway_environments e ON e.id = s.environment_id WHERE e.name = ?`,
  )
    .bind(env.GATEWAY_ENVIRONMENT)
    .first<{ version: number }>();
  if (row !== null && row.version !== held?.compiled.snapshot.version) await reload(env, now);
}

async function reload(env: Env, now: number): Promise<void> {
  const row = await withBusyRetry(meteredD1(env.DB)).prepare(
    `SELECT s.body AS body FROM gateway_snapshots s JOIN gateway_environments e ON e.id = s.environment_id WHERE e.name = ?`,
  )
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
  held = { compiled: await compile(snapshot), checkedAt: now };
}

export async function compile(snapshot: GatewaySnapshot): Promise<CompiledSnapshot> {
  const keys = new Map<string, { alg: string; key: JoseKey | Uint8Array }>();
  for (const jwk of snapshot.jwks) {
    keys.set(jwk.kid, { alg: jwk.alg, key: await importJWK(jwk, jwk.alg) });
  }
  return { snapshot, routes: new RouteTable(snapshot), keys, plan: compilePlan(snapshot) };
}
