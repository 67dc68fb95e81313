import * as oauth from 'oauth4webapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { allowOnConsentPage } from './support.ts';

/**
 * An independent OpenID Connect relying party (oauth4webapi, in its `oidc` discovery mode) drives
 * the running Key Manager: discovery, the code flow with PKCE and a nonce, the id_token checks of
 * OIDC Core §3.1.3.7 as the library does them, and userinfo with the sub bound to the id_token.
 */
describe('the Key Manager as an OpenID Provider, judged by oauth4webapi', () => {
  const { controlPlaneUrl, demo } = usePlatform();
  const insecure = { [oauth.allowInsecureRequests]: true };
  const issuer = new URL(controlPlaneUrl);
  const callback = 'http://127.0.0.1:9/oidc-callback';
  let as: oauth.AuthorizationServer;
  let rp: { client: oauth.Client; auth: oauth.ClientAuth };

  beforeAll(async () => {
    as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }));
    const developer = await tokenFor(new Client(controlPlaneUrl), demo.users.developer, ['apps:manage']);
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', {
      name: `oidc relying party ${Date.now()}`,
    });
    const keys = await developer.expect<{ consumerKey: string; consumerSecret: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      { keyType: 'PRODUCTION', grantTypes: ['authorization_code', 'refresh_token'], callbackUrls: [callback] },
    );
    rp = {
      client: { client_id: keys.body.consumerKey, id_token_signed_response_alg: 'ES256' },
      auth: oauth.ClientSecretBasic(keys.body.consumerSecret),
    };
  });

  /** The user allows on the consent page, as a browser posts its form. */
  async function authorize(scope: string, nonce: string): Promise<{ params: URLSearchParams; verifier: string }> {
    const verifier = oauth.generateRandomCodeVerifier();
    const url = new URL(as.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: rp.client.client_id,
      redirect_uri: callback,
      scope,
      state: 'st-oidc',
      nonce,
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }).toString();
    const { back } = await allowOnConsentPage(url, demo.users.developer);
    return { params: oauth.validateAuthResponse(as, rp.client, back, 'st-oidc'), verifier };
  }

  it('discovers the provider with the OIDC algorithm and names userinfo and ES256 id_tokens', () => {
    expect(as.issuer).toBe(controlPlaneUrl);
    expect(as.userinfo_endpoint).toBe(`${controlPlaneUrl}/oauth2/userinfo`);
    expect(as.id_token_signing_alg_values_supported).toEqual(['ES256']);
    expect(as.scopes_supported).toContain('openid');
  });

  it('issues an id_token that passes the library’s nonce, audience and signature checks, and serves userinfo for its subject', async () => {
    const nonce = oauth.generateRandomNonce();
    const { params, verifier } = await authorize('openid email profile', nonce);
    const response = await oauth.authorizationCodeGrantRequest(as, rp.client, rp.auth, params, callback, verifier, insecure);
    const tokens = await oauth.processAuthorizationCodeResponse(as, rp.client, response, { expectedNonce: nonce, requireIdToken: true });
    const claims = oauth.getValidatedIdTokenClaims(tokens);
    expect(claims?.nonce).toBe(nonce);
    expect(claims?.['email']).toBe(demo.users.developer.email);
    // The signature: oauth4webapi checks it against the provider's jwks_uri.
    await oauth.validateApplicationLevelSignature(as, response, insecure);
    const info = await oauth.processUserInfoResponse(
      as,
      rp.client,
      claims?.sub ?? '',
      await oauth.userInfoRequest(as, rp.client, tokens.access_token, insecure),
    );
    expect(info.email).toBe(demo.users.developer.email);
    expect(info.name).toBeTypeOf('string');
  });

  it('refuses an id_token whose nonce is not the one the client sent', async () => {
    const { params, verifier } = await authorize('openid', oauth.generateRandomNonce());
    const response = await oauth.authorizationCodeGrantRequest(as, rp.client, rp.auth, params, callback, verifier, insecure);
    await expect(
      oauth.processAuthorizationCodeResponse(as, rp.client, response, { expectedNonce: oauth.generateRandomNonce() }),
    ).rejects.toThrow(/nonce/);
  });
});
