import { env } from 'cloudflare:test';
import { decodeJwt } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { api, publishedApi, userWithRole } from '../../../../test/workers/control-plane-helpers.ts';
import { basic, oauthClient, postForm, tokenRequest, userGrant, type OAuthClient } from '../../../../test/workers/oauth-helpers.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';

let client: OAuthClient;
let apiId: string;

beforeAll(async () => {
  client = await oauthClient('Racing app');
  apiId = await publishedApi(await userWithRole('publisher'));
  await api('POST', '/api/devportal/v1/subscriptions', client.owner, { applicationId: client.appId, apiId, tier: 'Gold' });
});

const refresh = (token: string) => tokenRequest(client, { grant_type: 'refresh_token', refresh_token: token });

describe('refresh token rotation (RFC 9700 §4.14.2), decision 0018', () => {
  it('of 10 concurrent refreshes with one token exactly one wins, and every time the reuse revokes the whole grant, the winner’s new tokens included', async () => {
    for (let trial = 0; trial < 5; trial++) {
      const grant = await userGrant(client);
      const racers = await Promise.all(Array.from({ length: 10 }, () => refresh(grant.refresh)));
      const winners = racers.filter((r) => r.status === 200);
      expect(winners, `trial ${trial}`).toHaveLength(1);
      expect(
        racers.filter((r) => r.status === 400 && r.body?.['error'] === 'invalid_grant'),
        `trial ${trial}`,
      ).toHaveLength(9);
      const won = winners[0]?.body ?? {};
      const newRefresh = String(won['refresh_token']);
      const newAccess = String(won['access_token']);
      expect(newRefresh).not.toBe(grant.refresh);
      // The same outcome every trial: the grant is revoked, so the winner's refresh token is dead too…
      expect((await refresh(newRefresh)).body, `trial ${trial}`).toMatchObject({ error: 'invalid_grant' });
      for (const token of [newAccess, grant.access, newRefresh])
        expect((await postForm('/oauth2/introspect', { token }, { authorization: basic(client) })).body, `trial ${trial}`).toEqual({
          active: false,
        });
      // …and so is its access token at the gateway, on its next call.
      const claims = decodeJwt(newAccess);
      const admitted = await throttleNamespace(env)
        .getByName(subscriptionObjectName(client.appId, apiId))
        .admit({ keyType: 'PRODUCTION', credentialId: String(claims.jti), issuedAt: Date.now(), grantId: String(claims['grant_id']) });
      expect(admitted, `trial ${trial}`).toEqual({ ok: false, error: { kind: 'revoked' } });
    }
  }, 30_000);

  it('one refresh at a time rotates: each new refresh token works once, the previous one no longer', async () => {
    const grant = await userGrant(client);
    const second = await refresh(grant.refresh);
    expect(second.status).toBe(200);
    const third = await refresh(String(second.body?.['refresh_token']));
    expect(third.status).toBe(200);
    expect(
      (await postForm('/oauth2/introspect', { token: String(third.body?.['access_token']) }, { authorization: basic(client) })).body,
    ).toMatchObject({ active: true });
  });
});
