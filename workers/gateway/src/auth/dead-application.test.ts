import { counterNamespace } from '../../../../durable-objects/throttle/binding.ts';
import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { counterObjectName, subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { api, call, deploy, signingKey, subscribe, token, type SigningKey } from '../test-support.ts';

let key: SigningKey;

beforeAll(async () => {
  key = await signingKey('kd');
  await deploy([api({ id: 'api_dead', context: '/dead' }), api({ id: 'api_never', context: '/never' })], [key]);
});

/** What the control plane does when an application is deleted (removeApplicationSubscriptions). */
async function deleteApplication(applicationId: string, subscribedApis: string[]) {
  for (const apiId of subscribedApis)
    await counterNamespace(env).getByName(subscriptionObjectName(applicationId, apiId)).remove('application');
  await counterNamespace(env).getByName(counterObjectName.application(applicationId)).remove('application');
}

describe('a deleted application', () => {
  it("answers its token with 401 invalid_token, at the APIs it was subscribed to and at the others, while an unsubscribed live application's token still gets 403", async () => {
    const app = 'app_deleted';
    await subscribe(app, 'api_dead');
    const auth = { headers: { authorization: `Bearer ${await token(key, { applicationId: app })}` } };
    expect((await call('/dead/v1/pets', auth)).status).toBe(200);
    await deleteApplication(app, ['api_dead']);
    for (const path of ['/dead/v1/pets', '/never/v1/pets']) {
      const res = await call(path, auth);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toContain('error="invalid_token"');
      expect(((await res.json()) as { code: number }).code).toBe(900901);
    }
    // The control: an application that exists but is not subscribed is told so.
    const live = await call('/never/v1/pets', { headers: { authorization: `Bearer ${await token(key, { applicationId: 'app_alive' })}` } });
    expect(live.status).toBe(403);
    expect(((await live.json()) as { code: number }).code).toBe(900908);
  });

  it('stays dead when an application of the same name is created again (a new id, new objects)', async () => {
    const old = 'app_samename_1';
    await subscribe(old, 'api_dead');
    const oldToken = await token(key, { applicationId: old });
    await deleteApplication(old, ['api_dead']);
    await subscribe('app_samename_2', 'api_dead');
    expect((await call('/dead/v1/pets', { headers: { authorization: `Bearer ${oldToken}` } })).status).toBe(401);
    expect(
      (await call('/dead/v1/pets', { headers: { authorization: `Bearer ${await token(key, { applicationId: 'app_samename_2' })}` } }))
        .status,
    ).toBe(200);
  });
});
