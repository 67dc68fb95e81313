import { env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { storeSecurity } from '../../../shared/endpoint-security.ts';
import { api, call, deploy, resource, signingKey, subscribe, token, type Echo, type SigningKey } from '../test-support.ts';

let key: SigningKey;
const endpoint = (security: string) => ({
  PRODUCTION: { strategy: 'single' as const, urls: [{ url: 'http://backend.test/base', timeoutMs: 5000 }], suspendSeconds: 30, security },
});

beforeAll(async () => {
  key = await signingKey('ks');
  const basic = await storeSecurity(env.ENCRYPTION_KEY, { type: 'basic', username: 'gateway', password: 's3cret pass' });
  const header = await storeSecurity(env.ENCRYPTION_KEY, { type: 'header', name: 'X-Backend-Key', value: 'bk_123' });
  const tampered = JSON.stringify({
    ...(JSON.parse(basic) as object),
    sealed: `${(JSON.parse(basic) as { sealed: string }).sealed.slice(0, -4)}AAAA`,
  });
  await deploy(
    [
      api({ id: 'api_sec_basic', context: '/secbasic', endpoints: endpoint(basic) }),
      api({
        id: 'api_sec_header',
        context: '/secheader',
        endpoints: endpoint(header),
        resources: [resource('GET', '/open', { authType: 'none' })],
      }),
      api({
        id: 'api_sec_bad',
        context: '/secbad',
        endpoints: endpoint(tampered),
        resources: [resource('GET', '/open', { authType: 'none' })],
      }),
    ],
    [key],
  );
});

describe('endpoint security', () => {
  it("presents Basic credentials to the backend in place of the caller's token", async () => {
    await subscribe('app_sec', 'api_sec_basic');
    const res = await call('/secbasic/v1/pets', { headers: { authorization: `Bearer ${await token(key, { applicationId: 'app_sec' })}` } });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(echo.headers['authorization']).toBe(`Basic ${btoa('gateway:s3cret pass')}`);
  });

  it('sets the secret header, overriding one the caller sent', async () => {
    const res = await call('/secheader/v1/open', { headers: { 'x-backend-key': 'forged' } });
    expect(((await res.json()) as Echo).headers['x-backend-key']).toBe('bk_123');
  });

  it('fails the call with 502 when the credential cannot be opened, without calling the backend unauthenticated', async () => {
    const res = await call('/secbad/v1/open');
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.text()).not.toContain('s3cret');
  });
});
