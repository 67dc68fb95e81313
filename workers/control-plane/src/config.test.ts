import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { createControlPlaneApp } from './app.ts';
import { ConfigError, parseControlPlaneConfig } from './config.ts';

const shipped = {
  ISSUER: 'http://127.0.0.1:8788',
  ALLOWED_ORIGINS: 'http://127.0.0.1:8789, http://localhost:8789,',
  TOKEN_AUDIENCE: 'turnpike-gateway',
  ACCESS_TOKEN_TTL_SECONDS: '3600',
  PORTAL_URL: 'http://127.0.0.1:8789',
  MAIL_FROM: 'portal@turnpike.localhost',
};

describe('control plane configuration', () => {
  it('parses the shipped vars: the token lifetime as a number, the origins as a list', () => {
    const config = parseControlPlaneConfig(shipped);
    expect(config.ACCESS_TOKEN_TTL_SECONDS).toBe(3600);
    expect(config.accessTokenTtlMs).toBe(3_600_000);
    expect(config.ALLOWED_ORIGINS).toEqual(['http://127.0.0.1:8789', 'http://localhost:8789']);
  });

  it('names each var that cannot be used', () => {
    expect(() => parseControlPlaneConfig({ ...shipped, ACCESS_TOKEN_TTL_SECONDS: 'an hour' })).toThrow(ConfigError);
    expect(() => parseControlPlaneConfig({ ...shipped, ACCESS_TOKEN_TTL_SECONDS: 'an hour' })).toThrow(/ACCESS_TOKEN_TTL_SECONDS/);
    expect(() => parseControlPlaneConfig({ ...shipped, ISSUER: 'not a url' })).toThrow(/ISSUER/);
    expect(() => parseControlPlaneConfig({ ...shipped, MAIL_FROM: 'nobody' })).toThrow(/MAIL_FROM/);
  });

  it('fails every request closed with a generic problem, the var kept off the wire', async () => {
    const app = createControlPlaneApp();
    const res = await app.request('/api/devportal/v1/apis', {}, { ...env, ACCESS_TOKEN_TTL_SECONDS: 'soon' });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(await res.text()).not.toContain('ACCESS_TOKEN_TTL_SECONDS');
  });
});
