import * as client from 'openid-client';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { allowOnConsentPage } from './support.ts';

/**
 * Issue #23 asks that Turnpike's OIDC discovery and id_token pass `openid-client` (panva's certified
 * relying party), beside the lower-level oauth4webapi of oidc.test.ts. The relying party here is
 * configured only from discovery, runs the code flow with PKCE, state and nonce, and checks the
 * id_token's signature against the provider's JWKS (`enableNonRepudiationChecks`: by default the
 * library trusts the TLS channel of the token endpoint and does not verify it).
 */
describe('the Key Manager as an OpenID Provider, judged by openid-client', () => {
  const { controlPlaneUrl, demo } = usePlatform();
  const callback = 'http://127.0.0.1:9/openid-client-callback';
  let config: client.Configuration;

  beforeAll(async () => {
    const developer = await tokenFor(new Client(controlPlaneUrl), demo.users.developer, ['apps:manage']);
    const app = await developer.expect<{ id: string }>([201], 'POST', '/api/devportal/v1/applications', {
      name: `openid-client relying party ${Date.now()}`,
    });
    const keys = await developer.expect<{ consumerKey: string; consumerSecret: string }>(
      [201],
      'POST',
      `/api/devportal/v1/applications/${app.body.id}/keys`,
      { keyType: 'PRODUCTION', grantTypes: ['authorization_code', 'refresh_token'], callbackUrls: [callback] },
    );
    config = await client.discovery(
      new URL(controlPlaneUrl),
      keys.body.consumerKey,
      { client_secret: keys.body.consumerSecret, id_token_signed_response_alg: 'ES256' },
      client.ClientSecretBasic(keys.body.consumerSecret),
      { execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks] },
    );
  });

  /** The user signs in and allows on the consent page, as a browser posts its form; the redirect back is returned. */
  async function authorize(parameters: Record<string, string>): Promise<URL> {
    return (await allowOnConsentPage(client.buildAuthorizationUrl(config, parameters), demo.users.developer)).back;
  }

  async function flow(scope: string) {
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    const state = client.randomState();
    const back = await authorize({
      redirect_uri: callback,
      scope,
      state,
      nonce,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    return { back, verifier, nonce, state };
  }

  it('discovers the provider and takes its issuer, endpoints and ES256 id_tokens from the document', () => {
    const meta = config.serverMetadata();
    expect(meta.issuer).toBe(controlPlaneUrl);
    expect(meta.userinfo_endpoint).toBe(`${controlPlaneUrl}/oauth2/userinfo`);
    expect(meta.id_token_signing_alg_values_supported).toContain('ES256');
    expect(meta.supportsPKCE()).toBe(true);
  });

  it('completes the code flow with PKCE, state and nonce: a signature-checked id_token and userinfo for its subject', async () => {
    const { back, verifier, nonce, state } = await flow('openid email profile');
    const tokens = await client.authorizationCodeGrant(config, back, {
      pkceCodeVerifier: verifier,
      expectedNonce: nonce,
      expectedState: state,
      idTokenExpected: true,
    });
    const claims = tokens.claims();
    expect(claims?.nonce).toBe(nonce);
    expect(claims?.aud).toContain(config.clientMetadata().client_id);
    expect(claims?.['email']).toBe(demo.users.developer.email);
    const info = await client.fetchUserInfo(config, tokens.access_token, claims?.sub ?? '');
    expect(info.email).toBe(demo.users.developer.email);
    // A refresh keeps the subject (OIDC Core §12.2: a refreshed id_token names the same sub).
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token ?? '');
    expect(refreshed.access_token).not.toBe(tokens.access_token);
  });

  it('refuses the answer when the nonce or the state is not the one the client sent', async () => {
    const first = await flow('openid');
    await expect(
      client.authorizationCodeGrant(config, first.back, {
        pkceCodeVerifier: first.verifier,
        expectedNonce: client.randomNonce(),
        expectedState: first.state,
      }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/nonce/) as unknown } });
    const second = await flow('openid');
    await expect(
      client.authorizationCodeGrant(config, second.back, {
        pkceCodeVerifier: second.verifier,
        expectedNonce: second.nonce,
        expectedState: client.randomState(),
      }),
    ).rejects.toMatchObject({ cause: { message: expect.stringMatching(/state/) as unknown } });
  });
});
