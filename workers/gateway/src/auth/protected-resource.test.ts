import { describe, expect, it } from 'vitest';
import type { SnapshotKeyManager } from '../../../shared/snapshot.ts';
import { ISSUER, api, call, deploy, resource, signingKey } from '../test-support.ts';

const external: SnapshotKeyManager = {
  id: 'km_1',
  name: 'corp',
  issuer: 'https://idp.corp.test',
  audience: 'https://api.test',
  jwksUri: 'https://idp.corp.test/jwks',
  introspection: null,
  claims: { clientId: 'client_id', scopes: 'scope', user: 'sub' },
  jwksMaxAgeSeconds: 600,
  jwksCooldownSeconds: 30,
};
const other: SnapshotKeyManager = { ...external, id: 'km_2', name: 'other', issuer: 'https://idp.other.test' };

describe('RFC 9728 protected resource metadata at the gateway', () => {
  it('names Turnpike’s issuer and the external key managers an API accepts, with the scopes its resources require', async () => {
    const key = await signingKey('prm');
    await deploy(
      [
        {
          ...api({
            id: 'api_prm',
            context: '/prm',
            resources: [resource('GET', '/a', { scopes: ['b:read'] }), resource('GET', '/b', { scopes: ['a:write', 'b:read'] })],
          }),
          keyManagers: ['corp'],
        },
        api({ id: 'api_plain', context: '/plain' }),
      ],
      [key],
      { keyManagers: [external, other] },
    );

    const res = await call('/.well-known/oauth-protected-resource/prm/v1');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      resource: 'http://gateway.test/prm/v1',
      authorization_servers: [ISSUER, 'https://idp.corp.test'],
      scopes_supported: ['a:write', 'b:read'],
      bearer_methods_supported: ['header'],
      resource_name: 'api_prm v1',
    });
    const plain = (await (await call('/.well-known/oauth-protected-resource/plain/v1')).json()) as {
      authorization_servers: string[];
      scopes_supported?: string[];
    };
    expect(plain.authorization_servers).toEqual([ISSUER]);
    expect(plain.scopes_supported).toBeUndefined();
    const root = (await (await call('/.well-known/oauth-protected-resource')).json()) as {
      resource: string;
      authorization_servers: string[];
    };
    expect(root).toMatchObject({
      resource: 'http://gateway.test',
      authorization_servers: [ISSUER, 'https://idp.corp.test', 'https://idp.other.test'],
    });
    expect((await call('/.well-known/oauth-protected-resource/nothing/v9')).status).toBe(404);
    const challenge = await call('/prm/v1/a');
    expect(challenge.headers.get('www-authenticate')).toBe(
      'Bearer realm="turnpike", resource_metadata="http://gateway.test/.well-known/oauth-protected-resource/prm/v1"',
    );
  });
});
