import * as oauth from 'oauth4webapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { allowOnConsentPage } from './support.ts';

/**
 * An independent OAuth client library drives the running Key Manager: discovery, client
 * credentials, RFC 9068 validation of the access token, introspection and revocation, the
 * authorization code flow with PKCE and refresh — no workaround but allowing plain http on 127.0.0.1.
 */
describe('the Key Manager with oauth4webapi', () => {
  const { controlPlaneUrl, gatewayUrl, portalUrl, demo } = usePlatform();
  const insecure = { [oauth.allowInsecureRequests]: true };
  const client: oauth.Client = { client_id: demo.application.clientId };
  const auth = oauth.ClientSecretBasic(demo.application.clientSecret);
  const issuer = new URL(controlPlaneUrl);
  const callback = 'http://127.0.0.1:9/callback';
  let as: oauth.AuthorizationServer;
  let web: { client: oauth.Client; auth: oauth.ClientAuth };

  beforeAll(async () => {
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    // A second client, of the same developer: a web app with the authorization code grant.
    const developer = await tokenFor(new Client(controlPlaneUrl), demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', {
      name: `oauth4webapi web app ${Date.now()}`,
    });
    const keys = await developer.expect<{ consumerKey: string; consumerSecret: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      { keyType: 'PRODUCTION', grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'], callbackUrls: [callback] },
    );
    web = { client: { client_id: keys.body.consumerKey }, auth: oauth.ClientSecretBasic(keys.body.consumerSecret) };
    // A non-web callback is refused, naming the field.
    const refused = await developer.call<{ errors: Array<{ pointer: string }> }>(
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      { keyType: 'SANDBOX', grantTypes: ['authorization_code'], callbackUrls: ['javascript:alert(1)'] },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.errors[0]?.pointer).toBe('/callbackUrls/0');
  });

  /** The user allows on the consent page, as a browser would post its form; the callback parameters. */
  async function authorize(scope = ''): Promise<{ params: URLSearchParams; verifier: string }> {
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: web.client.client_id,
      redirect_uri: callback,
      scope,
      state: 'st-1',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const { page, back } = await allowOnConsentPage(url, demo.users.developer);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    return { params: oauth.validateAuthResponse(as, web.client, back, 'st-1'), verifier };
  }

  async function codeGrant(): Promise<oauth.TokenEndpointResponse> {
    const { params, verifier } = await authorize();
    return oauth.processAuthorizationCodeResponse(
      as,
      web.client,
      await oauth.authorizationCodeGrantRequest(as, web.client, web.auth, params, callback, verifier, insecure),
    );
  }

  const oauthError = async (promise: Promise<unknown>): Promise<string> => {
    try {
      await promise;
    } catch (err) {
      if (err instanceof oauth.ResponseBodyError) return err.error;
      throw err;
    }
    return 'no error';
  };

  it('discovers, gets a token, validates it as RFC 9068, introspects and revokes it', async () => {
    expect(as.token_endpoint).toBe(`${controlPlaneUrl}/oauth2/token`);

    const grant = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams(), insecure),
    );
    expect(grant.token_type).toBe('bearer');
    const accessToken = grant.access_token;

    const claims = await oauth.validateJwtAccessToken(
      as,
      new Request(`${gatewayUrl}/petstore/v1/pets`, { headers: { authorization: `Bearer ${accessToken}` } }),
      'turnpike-gateway',
      insecure,
    );
    expect(claims.client_id).toBe(demo.application.clientId);
    expect(claims['application_id']).toBe(demo.application.id);
    expect(claims).not.toHaveProperty('subscribed_apis');

    const active = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, accessToken, insecure),
    );
    expect(active.active).toBe(true);
    // Another client learns nothing about it (RFC 7662 §4).
    expect(
      await oauth.processIntrospectionResponse(
        as,
        web.client,
        await oauth.introspectionRequest(as, web.client, web.auth, accessToken, insecure),
      ),
    ).toEqual({ active: false });

    await oauth.processRevocationResponse(await oauth.revocationRequest(as, client, auth, accessToken, insecure));
    const after = await oauth.processIntrospectionResponse(
      as,
      client,
      await oauth.introspectionRequest(as, client, auth, accessToken, insecure),
    );
    expect(after).toEqual({ active: false });
    // Revocation bites at the gateway on the very next request.
    const call = await fetch(`${gatewayUrl}${demo.api.context}/pets`, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(call.status).toBe(401);
  });

  it('advertises only grants a client can get and answers other methods with 405 Allow: POST', async () => {
    expect(as.grant_types_supported).not.toContain('password');
    for (const endpoint of [as.token_endpoint, as.introspection_endpoint, as.revocation_endpoint]) {
      const res = await fetch(endpoint ?? '');
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('refuses an unknown scope with invalid_scope rather than a token without it', async () => {
    expect(
      await oauthError(
        oauth.processClientCredentialsResponse(
          as,
          client,
          await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope: 'no-such:scope' }), insecure),
        ),
      ),
    ).toBe('invalid_scope');
  });

  it('runs the authorization code flow with PKCE and the RFC 9207 issuer, and refreshes without widening the scope', async () => {
    const tokens = await codeGrant();
    const refresh = tokens.refresh_token ?? '';
    expect(refresh).toMatch(/^rt_/);
    const wider = await oauth.refreshTokenGrantRequest(as, web.client, web.auth, refresh, {
      ...insecure,
      additionalParameters: { scope: 'items:admin' },
    });
    expect(await oauthError(oauth.processRefreshTokenResponse(as, web.client, wider))).toBe('invalid_scope');
    // The refused refresh did not use the token up.
    const next = await oauth.processRefreshTokenResponse(
      as,
      web.client,
      await oauth.refreshTokenGrantRequest(as, web.client, web.auth, refresh, insecure),
    );
    expect(next.refresh_token).not.toBe(refresh);
  });

  it('lets one of 10 concurrent refreshes win and then revokes the grant, the same way every time', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const tokens = await codeGrant();
      const racers = await Promise.allSettled(
        Array.from({ length: 10 }, async () =>
          oauth.processRefreshTokenResponse(
            as,
            web.client,
            await oauth.refreshTokenGrantRequest(as, web.client, web.auth, tokens.refresh_token ?? '', insecure),
          ),
        ),
      );
      const won = racers.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      expect(won).toHaveLength(1);
      expect(
        racers.filter((r) => r.status === 'rejected' && r.reason instanceof oauth.ResponseBodyError && r.reason.error === 'invalid_grant'),
      ).toHaveLength(9);
      expect(
        await oauthError(
          oauth.processRefreshTokenResponse(
            as,
            web.client,
            await oauth.refreshTokenGrantRequest(as, web.client, web.auth, won[0]?.refresh_token ?? '', insecure),
          ),
        ),
      ).toBe('invalid_grant');
      expect(
        await oauth.processIntrospectionResponse(
          as,
          web.client,
          await oauth.introspectionRequest(as, web.client, web.auth, won[0]?.access_token ?? '', insecure),
        ),
      ).toEqual({ active: false });
    }
  });

  it('answers nosniff through the portal’s /api and refuses its cross-site writes before their media type', async () => {
    const read = await fetch(`${portalUrl}/api/devportal/v1/apis`);
    expect(read.headers.get('x-content-type-options')).toBe('nosniff');
    const login = await fetch(`${portalUrl}/api/auth/login`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'text/plain' },
      body: JSON.stringify(demo.users.developer),
    });
    expect(login.status).toBe(403);
    expect(login.headers.get('x-content-type-options')).toBe('nosniff');
  });
});
