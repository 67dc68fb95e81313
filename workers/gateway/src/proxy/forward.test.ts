import { beforeAll, describe, expect, it } from 'vitest';
import { api, call, deploy, signingKey, subscribe, token, type Echo, type SigningKey } from '../test-support.ts';
import { forwardingHeaders, mustStrip } from './forward.ts';

let key: SigningKey;
const APP = 'app_forward';

beforeAll(async () => {
  key = await signingKey('kf');
  await deploy([api({ id: 'api_fwd', context: '/fwd' })], [key]);
  await subscribe(APP, 'api_fwd');
});

/** What a client might send to pass itself off as someone, or as coming from somewhere, to the backend. */
const SPOOFED: Record<string, string> = {
  'X-User': 'admin',
  'X-Remote-User': 'admin',
  'X-Authenticated-Userid': 'admin',
  'X-Consumer-Username': 'admin',
  'X-Auth-Request-Email': 'admin@example.com',
  'CF-Access-Jwt-Assertion': 'forged.jwt.value',
  'CF-Access-Authenticated-User-Email': 'admin@example.com',
  'CF-Access-Client-Id': 'forged-client',
  'CF-IPCountry': 'XX',
  'CF-Ray': 'forged-ray',
  'X-Forwarded-Prefix': '/admin',
  'X-Forwarded-For': '10.0.0.1',
  'X-Forwarded-Host': 'internal.example',
  'X-Forwarded-Proto': 'https',
  'X-Forwarded-Port': '8443',
  'X-Forwarded-Server': 'internal',
  'X-Forwarded-Client-Cert': 'Hash=forged',
  Forwarded: 'for=10.0.0.1;by=internal',
  'True-Client-IP': '10.0.0.2',
  'X-Real-IP': '10.0.0.3',
  'X-Client-IP': '10.0.0.4',
  'X-Cluster-Client-IP': '10.0.0.5',
  'X-Original-URL': '/admin',
  'X-Rewrite-URL': '/admin',
  'X-Amzn-Oidc-Identity': 'admin',
  'X-Ms-Client-Principal-Name': 'admin',
  'X-Goog-Authenticated-User-Email': 'admin@example.com',
  'X-Ssl-Client-Verify': 'SUCCESS',
};

/** The same headers spelled with underscores, as some backends (and CGI) read them. */
const UNDERSCORED = Object.fromEntries(Object.entries(SPOOFED).map(([name, value]) => [name.replace(/-/g, '_').toLowerCase(), value]));

async function echoed(path: string, headers: Record<string, string>): Promise<Echo> {
  const res = await call(path, { headers });
  expect(res.status).toBe(200);
  return (await res.json()) as Echo;
}

describe('headers the backend never gets from a client', () => {
  it.each([
    ['an authenticated call', true],
    ['an open resource', false],
  ])('drops every identity and forwarding header a client sets, in any case and with underscores, on %s', async (_name, authenticated) => {
    const auth: Record<string, string> = authenticated ? { authorization: `Bearer ${await token(key, { applicationId: APP })}` } : {};
    for (const set of [SPOOFED, UNDERSCORED, Object.fromEntries(Object.entries(SPOOFED).map(([n, v]) => [n.toUpperCase(), v]))]) {
      const echo = await echoed(authenticated ? '/fwd/v1/pets' : '/fwd/v1/open', {
        ...set,
        ...auth,
        'x-custom': 'kept',
        'cf-connecting-ip': '203.0.113.7',
      });
      const names = Object.keys(echo.headers);
      for (const spoofed of Object.keys(set)) {
        const n = spoofed.toLowerCase();
        if (['x-forwarded-for', 'x-forwarded-host', 'x-forwarded-proto', 'forwarded'].includes(n)) continue;
        expect(names, `${spoofed} reached the backend`).not.toContain(n);
      }
      // `CF-Worker` is added by the runtime to every subrequest (it names the calling zone), not by the client.
      expect(names.filter((n) => (n.startsWith('cf-') || n.startsWith('cf_')) && n !== 'cf-worker')).toEqual([]);
      expect(echo.headers['x-custom']).toBe('kept');
      // What the gateway vouches for replaces what the client said.
      expect(echo.headers['x-forwarded-for']).toBe('203.0.113.7');
      expect(echo.headers['forwarded']).toBe('for=203.0.113.7;host="gateway.test";proto=http');
      expect(echo.headers['x-forwarded-host']).toBe('gateway.test');
      expect(echo.headers['x-forwarded-proto']).toBe('http');
      expect(echo.headers['x_forwarded_for']).toBeUndefined();
    }
  });

  it('writes an IPv6 client as a quoted, bracketed Forwarded node (RFC 7239 §6) and leaves out an address that does not parse', async () => {
    const v6 = await echoed('/fwd/v1/open', { 'cf-connecting-ip': '2001:db8::1' });
    expect(v6.headers['x-forwarded-for']).toBe('2001:db8::1');
    expect(v6.headers['forwarded']).toBe('for="[2001:db8::1]";host="gateway.test";proto=http');
    const junk = await echoed('/fwd/v1/open', { 'cf-connecting-ip': '1.2.3.4, 10.0.0.1', 'x-forwarded-for': '10.0.0.1' });
    expect(junk.headers['x-forwarded-for']).toBeUndefined();
    expect(junk.headers['forwarded']).toBe('host="gateway.test";proto=http');
  });

  it("vouches for each call's own client and host, whatever the call before it was", () => {
    const first = forwardingHeaders('198.51.100.9', 'https://api.example.com/x');
    expect(forwardingHeaders('198.51.100.10', 'https://api.example.com/y')).toEqual([
      ['x-forwarded-for', '198.51.100.10'],
      ['forwarded', 'for=198.51.100.10;host="api.example.com";proto=https'],
      ['x-forwarded-host', 'api.example.com'],
      ['x-forwarded-proto', 'https'],
    ]);
    expect(forwardingHeaders(null, 'http://other.example:8080/y?next=https://api.example.com/')).toEqual([
      ['forwarded', 'host="other.example:8080";proto=http'],
      ['x-forwarded-host', 'other.example:8080'],
      ['x-forwarded-proto', 'http'],
    ]);
    // The authority ends at the query or fragment as well as at the path.
    expect(forwardingHeaders(null, 'https://q.example?to=/x')[1]).toEqual(['x-forwarded-host', 'q.example']);
    expect(forwardingHeaders(null, 'https://f.example#/x')[1]).toEqual(['x-forwarded-host', 'f.example']);
    expect(forwardingHeaders('198.51.100.9', 'https://api.example.com/z')).toEqual(first);
  });

  it('names a stripped header by its family, not only by the names listed', () => {
    for (const name of [
      'x-forwarded-anything',
      'cf-whatever',
      'x-auth-request-groups',
      'x-consumer-id',
      'x-turnpike-internal',
      'x_forwarded_prefix',
      'true_client_ip',
    ])
      expect(mustStrip(name, 'apikey'), name).toBe(true);
    for (const name of ['x-custom', 'content-type', 'accept', 'x-forwardedx', 'cfx-thing', 'user-agent'])
      expect(mustStrip(name, 'apikey'), name).toBe(false);
    expect(forwardingHeaders('198.51.100.9', 'https://api.example.com:8443/x')).toEqual([
      ['x-forwarded-for', '198.51.100.9'],
      ['forwarded', 'for=198.51.100.9;host="api.example.com:8443";proto=https'],
      ['x-forwarded-host', 'api.example.com:8443'],
      ['x-forwarded-proto', 'https'],
    ]);
  });
});
