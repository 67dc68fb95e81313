import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import { usePlatform } from '../support/platform.ts';

/**
 * An independent OAuth client library drives the running Key Manager: discovery, client
 * credentials, RFC 9068 validation of the access token, introspection and revocation — no
 * workaround but allowing plain http on 127.0.0.1.
 */
describe('the Key Manager with oauth4webapi', () => {
  const { controlPlaneUrl, gatewayUrl, demo } = usePlatform();
  const insecure = { [oauth.allowInsecureRequests]: true };
  const client: oauth.Client = { client_id: demo.application.clientId };
  const auth = oauth.ClientSecretBasic(demo.application.clientSecret);

  it('discovers, gets a token, validates it as RFC 9068, introspects and revokes it', async () => {
    const issuer = new URL(controlPlaneUrl);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    expect(as.token_endpoint).toBe(`${controlPlaneUrl}/oauth2/token`);

    const grant = await oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure));
    expect(grant.token_type).toBe('bearer');
    const accessToken = grant.access_token;

    const claims = await oauth.validateJwtAccessToken(as, new Request(`${gatewayUrl}/petstore/v1/pets`, { headers: { authorization: `Bearer ${accessToken}` } }), 'turnpike-gateway', insecure);
    expect(claims.client_id).toBe(demo.application.clientId);
    expect(claims['application_id']).toBe(demo.application.id);

    const active = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, accessToken, insecure));
    expect(active.active).toBe(true);

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, accessToken, insecure));
    const after = await oauth.processIntrospectionResponse(as, client, await oauth.introspectionRequest(as, client, auth, accessToken, insecure));
    expect(after).toEqual({ active: false });
    // Revocation bites at the gateway on the very next request.
    const call = await fetch(`${gatewayUrl}${demo.api.context}/pets`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(call.status).toBe(401);
  });
});
