import { describe, expect, it } from 'vitest';
import { discover, endpointRefusal, expectedIssuer } from './discovery.ts';

const serve =
  (body: unknown, status = 200): typeof fetch =>
  () =>
    Promise.resolve(Response.json(body, { status }));

describe('key manager discovery', () => {
  it('derives the issuer a discovery URL promises: OIDC appends the well-known path, RFC 8414 inserts it', () => {
    expect(expectedIssuer('https://idp.example/tenant/.well-known/openid-configuration')).toBe('https://idp.example/tenant');
    expect(expectedIssuer('https://idp.example/.well-known/oauth-authorization-server/tenant')).toBe('https://idp.example/tenant');
    expect(expectedIssuer('https://idp.example/.well-known/oauth-authorization-server')).toBe('https://idp.example');
    expect(expectedIssuer('https://idp.example/metadata.json')).toBeNull();
  });

  it('refuses a document that names another issuer than its URL (OIDC Discovery §4.3, RFC 8414 §3.3)', async () => {
    const outcome = await discover(
      'https://idp.example/.well-known/openid-configuration',
      false,
      serve({ issuer: 'https://evil.example', jwks_uri: 'https://idp.example/jwks' }),
    );
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.errors[0]?.detail).toContain('https://evil.example');
  });

  it('keeps the endpoints the gateways and the portal need from a good document', async () => {
    const outcome = await discover(
      'https://idp.example/.well-known/openid-configuration',
      false,
      serve({
        issuer: 'https://idp.example',
        jwks_uri: 'https://idp.example/jwks',
        token_endpoint: 'https://idp.example/token',
        introspection_endpoint: 'https://idp.example/introspect',
        registration_endpoint: 'https://idp.example/reg',
        authorization_endpoint: 'https://idp.example/auth',
      }),
    );
    expect(outcome).toEqual({
      ok: true,
      value: {
        issuer: 'https://idp.example',
        jwksUri: 'https://idp.example/jwks',
        tokenEndpoint: 'https://idp.example/token',
        introspectionEndpoint: 'https://idp.example/introspect',
        registrationEndpoint: 'https://idp.example/reg',
      },
    });
  });

  it('sends gateways over https only, plain http to loopback only where private backends are allowed', async () => {
    expect(endpointRefusal('https://idp.example/jwks', false)).toBeNull();
    expect(endpointRefusal('http://idp.example/jwks', true)).not.toBeNull();
    expect(endpointRefusal('http://127.0.0.1:32100/jwks', false)).not.toBeNull();
    expect(endpointRefusal('http://127.0.0.1:32100/jwks', true)).toBeNull();
    expect(endpointRefusal('https://user:pw@idp.example/jwks', false)).not.toBeNull();
    const outcome = await discover(
      'https://idp.example/.well-known/openid-configuration',
      false,
      serve({ issuer: 'https://idp.example', jwks_uri: 'http://10.0.0.1/jwks' }),
    );
    expect(outcome.ok).toBe(false);
    expect((await discover('https://idp.example/.well-known/openid-configuration', false, serve({}, 404))).ok).toBe(false);
  });
});
