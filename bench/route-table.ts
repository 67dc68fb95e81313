/**
 * Route lookup cost against the number of deployed APIs: the gateway's RouteTable, built from
 * snapshots of 10 and 10,000 APIs, timed in this process (no I/O), nanoseconds per lookup.
 */
import type { GatewaySnapshot, SnapshotApi } from '../workers/shared/snapshot.ts';
import { RouteTable } from '../workers/gateway/src/routing/route-table.ts';

function snapshot(apis: number): GatewaySnapshot {
  const list: SnapshotApi[] = [];
  for (let i = 0; i < apis; i++) {
    list.push({
      id: `api_${i}`,
      name: `API ${i}`,
      context: i % 3 === 0 ? `/org${i % 50}/service${i}` : `/service${i}`,
      version: 'v1',
      isDefaultVersion: i % 2 === 0,
      state: 'PUBLISHED',
      revisionId: `rev_${i}`,
      resources: ['/items', '/items/{id}', '/items/{id}/parts', '/search'].flatMap((p) =>
        ['GET', 'POST'].map((method) => ({ method, pathTemplate: p, authType: 'oauth2' as const, scopes: [], limits: [] })),
      ),
      endpoints: {},
      apiKeyHeader: 'apikey',
      cors: null,
      backendJwt: false,
      headerEdits: null,
      limits: [],
    });
  }
  return { version: 1, environment: 'bench', compiledAt: 0, issuer: '', audience: '', jwks: [], allowPrivateBackends: true, apis: list };
}

export function measureRouteLookups(
  apiCounts: number[] = [10, 10_000],
  lookups = 200_000,
): Record<string, { apis: number; nsPerLookup: number; buildMs: number }> {
  const out: Record<string, { apis: number; nsPerLookup: number; buildMs: number }> = {};
  for (const n of apiCounts) {
    const built = performance.now();
    const table = new RouteTable(snapshot(n));
    const buildMs = performance.now() - built;
    const paths = Array.from({ length: 64 }, (_, k) => {
      const i = (k * 7919) % n;
      return i % 3 === 0 ? `/org${i % 50}/service${i}/v1/items/${k}/parts` : `/service${i}/v1/items/${k}`;
    });
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (table.match('GET', paths[i % paths.length] ?? '/') !== null) hits++;
    const started = process.hrtime.bigint();
    for (let i = 0; i < lookups; i++) if (table.match('GET', paths[i % paths.length] ?? '/')?.resource !== null) hits++;
    const ns = Number(process.hrtime.bigint() - started) / lookups;
    if (hits === 0) throw new Error('no route matched');
    out[`route lookup, ${n} APIs`] = { apis: n, nsPerLookup: Math.round(ns), buildMs: Math.round(buildMs) };
  }
  return out;
}
