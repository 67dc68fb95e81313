import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GatewaySnapshot } from '../../../shared/snapshot.ts';
import { AUDIENCE, ISSUER, api, call, deploy, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';

const APP = 'app_rotation';
const API = api({ id: 'api_rotation', context: '/rotation' });
let oldKey: SigningKey;
let newKey: SigningKey;

/**
 * A new snapshot version in D1 as the control plane writes it on a key change, without the
 * service-binding notice: the gateway has to find it by itself when its snapshot TTL runs out.
 */
async function writeUnannounced(keys: SigningKey[]): Promise<void> {
  const snapshot: GatewaySnapshot = {
    version: Date.now(),
    environment: 'production',
    compiledAt: Date.now(),
    issuer: ISSUER,
    audience: AUDIENCE,
    jwks: keys.map((k) => k.publicJwk),
    allowPrivateBackends: true,
    apis: [API],
  };
  await env.DB.prepare(`UPDATE gateway_snapshots SET version = ?, body = ? WHERE environment_id = 'env_production'`)
    .bind(snapshot.version, JSON.stringify(snapshot))
    .run();
}

/** The status the gateway answers `bearer` with once it has settled, polled for at most twice the snapshot TTL and a second. */
async function settledStatus(bearer: string, want: number): Promise<number> {
  const deadline = Date.now() + Number(env.SNAPSHOT_TTL_SECONDS) * 2000 + 1000;
  let status = 0;
  while (Date.now() < deadline) {
    status = (await call('/rotation/v1/pets', { headers: { authorization: `Bearer ${bearer}` } })).status;
    if (status === want) return status;
    await new Promise((r) => setTimeout(r, 200));
  }
  return status;
}

beforeAll(async () => {
  oldKey = await signingKey('k-old');
  newKey = await signingKey('k-new');
  await deploy([API], [oldKey]);
  await subscribe(APP, 'api_rotation');
});

describe('the gateway follows the Key Manager’s key rotation through its snapshot', () => {
  it('accepts a newly published kid within the snapshot TTL, without a redeploy or a notice, and keeps accepting the old one', async () => {
    const byOld = await token(oldKey, { applicationId: APP });
    const byNew = await token(newKey, { applicationId: APP });
    expect((await call('/rotation/v1/pets', { headers: { authorization: `Bearer ${byNew}` } })).status).toBe(401);
    await writeUnannounced([oldKey, newKey]);
    expect(await settledStatus(byNew, 200)).toBe(200);
    expect((await call('/rotation/v1/pets', { headers: { authorization: `Bearer ${byOld}` } })).status).toBe(200);
  });

  it('refuses tokens of a retired kid once the snapshot without it arrives, even those it had verified and cached', async () => {
    const byOld = await token(oldKey, { applicationId: APP });
    const byNew = await token(newKey, { applicationId: APP });
    expect((await call('/rotation/v1/pets', { headers: { authorization: `Bearer ${byOld}` } })).status).toBe(200);
    await writeUnannounced([newKey]);
    expect(await settledStatus(byOld, 401)).toBe(401);
    expect((await call('/rotation/v1/pets', { headers: { authorization: `Bearer ${byNew}` } })).status).toBe(200);
  });
});
