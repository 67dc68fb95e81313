import { SELF, env } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, PASSWORD, api, userWithRole, type TestUser } from '../../../../test/workers/control-plane-helpers.ts';
import { CALLBACK, oauthClient, pkce, type OAuthClient } from '../../../../test/workers/oauth-helpers.ts';

const PORTAL = 'http://127.0.0.1:8789';
const EVIL = 'https://evil.example';
type Site = Record<string, string>;
let dev: TestUser;

/** What a page on another site can make a browser send: a form, text/plain, or no body at all. */
const BODIES: Array<{ name: string; type?: string; body?: string }> = [
  { name: 'a form', type: 'application/x-www-form-urlencoded', body: 'name=csrf' },
  {
    name: 'multipart',
    type: 'multipart/form-data; boundary=x',
    body: '--x\r\nContent-Disposition: form-data; name="name"\r\n\r\ncsrf\r\n--x--',
  },
  { name: 'text/plain', type: 'text/plain', body: '{"name":"csrf"}' },
  { name: 'JSON', type: 'application/json', body: '{"name":"csrf"}' },
  { name: 'no body' },
];

function send(method: string, path: string, site: Record<string, string>, b: (typeof BODIES)[number], cookie: string | null = dev.cookie) {
  const headers: Record<string, string> = { ...site };
  if (cookie !== null) headers['cookie'] = cookie;
  if (b.type !== undefined) headers['content-type'] = b.type;
  return SELF.fetch(`${ORIGIN}${path}`, { method, headers, body: b.body ?? null, redirect: 'manual' });
}

beforeAll(async () => {
  dev = await userWithRole('developer');
});

describe('cookie-authenticated writes from other sites are refused by origin, before anything else', () => {
  it('answers 403 problem+json to a cross-origin write with the session cookie whatever its body, and changes nothing', async () => {
    for (const site of [
      { origin: EVIL },
      { origin: 'null' },
      { 'sec-fetch-site': 'cross-site' },
      { 'sec-fetch-site': 'same-site' },
    ] as Site[]) {
      for (const b of BODIES) {
        for (const [method, path] of [
          ['POST', '/api/devportal/v1/applications'],
          ['PUT', '/api/devportal/v1/applications/x'],
          ['DELETE', '/api/devportal/v1/applications/x'],
          ['POST', '/api/auth/logout'],
        ] as const) {
          const res = await send(method, path, site, b);
          expect(res.status, `${JSON.stringify(site)} ${b.name} ${method} ${path}`).toBe(403);
          expect(res.headers.get('content-type')).toBe('application/problem+json');
        }
      }
    }
    const mine = await api<{ list: Array<{ name: string }> }>('GET', '/api/devportal/v1/applications', dev);
    expect(mine.body.list.map((a) => a.name)).not.toContain('csrf');
    // The session survived the cross-site logout attempts.
    expect(mine.status).toBe(200);
  });

  it('refuses a cross-site sign-in too (login CSRF), also before the media-type check', async () => {
    const res = await send(
      'POST',
      '/api/auth/login',
      { origin: EVIL },
      { name: 'text', type: 'text/plain', body: JSON.stringify({ email: dev.email, password: PASSWORD }) },
      null,
    );
    expect(res.status).toBe(403);
  });

  it('lets the portal and same-origin pages write, and still checks their media type afterwards', async () => {
    for (const site of [{ origin: PORTAL }, { origin: new URL(env.ISSUER).origin }, { 'sec-fetch-site': 'same-origin' }, {}] as Site[]) {
      expect(
        (
          await send('POST', '/api/devportal/v1/applications', site, {
            name: 'JSON',
            type: 'application/json',
            body: JSON.stringify({ name: `ok ${Math.random()}` }),
          })
        ).status,
        JSON.stringify(site),
      ).toBe(201);
      expect((await send('POST', '/api/devportal/v1/applications', site, BODIES[2] ?? { name: '' })).status, JSON.stringify(site)).toBe(
        415,
      );
    }
  });
});

describe('the consent form takes posts only from its own page', () => {
  let client: OAuthClient;
  beforeAll(async () => {
    client = await oauthClient('Consent app');
  });

  it('answers 403 to a cross-origin or cross-site post whatever its body, issuing no code', async () => {
    const { challenge } = await pkce();
    const form = new URLSearchParams({
      response_type: 'code',
      client_id: client.id,
      redirect_uri: CALLBACK,
      state: 's',
      code_challenge: challenge,
      code_challenge_method: 'S256',
      decision: 'allow',
      email: client.owner.email,
      password: PASSWORD,
    }).toString();
    for (const site of [{ origin: EVIL }, { origin: PORTAL }, { origin: 'null' }, { 'sec-fetch-site': 'cross-site' }] as Site[]) {
      for (const b of [
        { name: 'form', type: 'application/x-www-form-urlencoded', body: form },
        { name: 'text', type: 'text/plain', body: form },
        { name: 'none' },
      ]) {
        const res = await send('POST', '/oauth2/authorize', site, b, client.owner.cookie);
        expect(res.status, `${JSON.stringify(site)} ${b.name}`).toBe(403);
        expect(res.headers.get('location')).toBeNull();
      }
    }
    const same = await send(
      'POST',
      '/oauth2/authorize',
      { origin: ORIGIN },
      { name: 'form', type: 'application/x-www-form-urlencoded', body: form },
      null,
    );
    expect(same.status).toBe(302);
    expect(new URL(same.headers.get('location') ?? '').searchParams.get('code')).toMatch(/^ac_/);
    expect(
      (await send('POST', '/oauth2/authorize', { origin: ORIGIN }, { name: 'text', type: 'text/plain', body: form }, null)).status,
    ).toBe(415);
  });
});
