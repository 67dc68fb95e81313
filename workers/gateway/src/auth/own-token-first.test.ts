import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SnapshotKeyManager } from '../../../shared/snapshot.ts';
import { api, call, deploy, signingKey, subscribe, token } from '../test-support.ts';
import { bearerChecks } from './bearer.ts';

const corp: SnapshotKeyManager = {
  id: 'km_first',
  name: 'corp',
  issuer: 'https://idp.corp.test',
  audience: 'https://api.test',
  jwksUri: 'https://idp.corp.test/jwks',
  introspection: null,
  claims: { clientId: 'client_id', scopes: 'scope', user: 'sub' },
  jwksMaxAgeSeconds: 600,
  jwksCooldownSeconds: 30,
};

describe("Turnpike's own verified-token cache before the external check", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('answers a Turnpike token it verified already from its cache on an API that accepts external key managers, without handing the token to the external check again', async () => {
    const key = await signingKey('own-first');
    await deploy([{ ...api({ id: 'api_own_first', context: '/ownfirst' }), keyManagers: ['corp'] }], [key], { keyManagers: [corp] });
    await subscribe('app_own_first', 'api_own_first');
    const externalCheck = vi.spyOn(bearerChecks, 'external');
    const bearer = { authorization: `Bearer ${await token(key, { applicationId: 'app_own_first' })}` };

    expect((await call('/ownfirst/v1/pets', { headers: bearer })).status).toBe(200);
    // The first call: the external check decodes it, finds Turnpike's issuer and hands it on.
    expect(externalCheck).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 3; i++) expect((await call('/ownfirst/v1/pets', { headers: bearer })).status).toBe(200);
    expect(externalCheck).toHaveBeenCalledTimes(1);
  });

  it('still refuses a forged token and asks the external check about it each time (nothing cached)', async () => {
    const key = await signingKey('own-first-2');
    const forger = await signingKey('own-first-2');
    await deploy([{ ...api({ id: 'api_own_first2', context: '/ownfirst2' }), keyManagers: ['corp'] }], [key], { keyManagers: [corp] });
    await subscribe('app_own_first2', 'api_own_first2');
    const externalCheck = vi.spyOn(bearerChecks, 'external');
    const forged = { authorization: `Bearer ${await token(forger, { applicationId: 'app_own_first2' })}` };
    expect((await call('/ownfirst2/v1/pets', { headers: forged })).status).toBe(401);
    expect((await call('/ownfirst2/v1/pets', { headers: forged })).status).toBe(401);
    expect(externalCheck).toHaveBeenCalledTimes(2);
  });
});
