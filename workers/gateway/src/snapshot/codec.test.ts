import { describe, expect, it } from 'vitest';
import { MAX_SNAPSHOT_BYTES, decodeSnapshot, encodeSnapshot } from '../../../shared/snapshot-codec.ts';
import type { GatewaySnapshot } from '../../../shared/snapshot.ts';
import { api, resource } from '../test-support.ts';

describe('snapshot codec', () => {
  it('fits 10,000 APIs in one D1 row and reads back exactly what was written', async () => {
    const apis = Array.from({ length: 10_000 }, (_, i) =>
      api({
        id: `api_${i.toString(36).padStart(8, '0')}`,
        context: `/api${i}`,
        resources: [resource('GET', '/items'), resource('POST', '/items', { scopes: ['write'] }), resource('GET', '/items/{id}')],
      }),
    );
    const snapshot: GatewaySnapshot = {
      version: 1,
      environment: 'production',
      compiledAt: 0,
      issuer: 'i',
      audience: 'a',
      jwks: [],
      allowPrivateBackends: false,
      apis,
    };
    const body = await encodeSnapshot(snapshot);
    expect(JSON.stringify(snapshot).length).toBeGreaterThan(2_000_000);
    expect(body.length).toBeLessThan(MAX_SNAPSHOT_BYTES);
    expect(await decodeSnapshot(body)).toEqual(snapshot);
  });

  it('still reads a plain JSON row', async () => {
    const snapshot = {
      version: 2,
      environment: 'production',
      compiledAt: 0,
      issuer: 'i',
      audience: 'a',
      jwks: [],
      allowPrivateBackends: false,
      apis: [],
    };
    expect(await decodeSnapshot(JSON.stringify(snapshot))).toEqual(snapshot);
  });
});
