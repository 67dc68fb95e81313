import { beforeAll, describe, expect, it } from 'vitest';
import { api, userWithRole } from '../../../../test/workers/control-plane-helpers.ts';
import { basic, oauthClient, postForm, tokenRequest, userGrant, type OAuthClient } from '../../../../test/workers/oauth-helpers.ts';
import { CALLER_LIMITS, CALLER_WINDOW_SECONDS } from './caller-limit.ts';

let alice: OAuthClient;
let bob: OAuthClient;

const introspect = (caller: Pick<OAuthClient, 'id' | 'secret'>, token: string, headers: Record<string, string> = {}) =>
  postForm('/oauth2/introspect', { token }, { authorization: basic(caller), ...headers });
const accessToken = async (c: OAuthClient) => String((await tokenRequest(c, { grant_type: 'client_credentials' })).body?.['access_token']);

/** The limits count in windows aligned to the epoch: start a burst (about a second) early in one, so it stays in it. */
const BURST_TIMEOUT = 20_000;
async function earlyInWindow(): Promise<void> {
  const window = CALLER_WINDOW_SECONDS * 1000;
  const left = window - (Date.now() % window);
  if (left < 5_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

beforeAll(async () => {
  alice = await oauthClient('Alice app');
  bob = await oauthClient('Bob app');
});

describe('introspection (RFC 7662) tells each caller only what it may know', () => {
  it('answers another client\'s access and refresh tokens exactly as an unknown token: {"active":false}', async () => {
    const aliceAccess = await accessToken(alice);
    const aliceGrant = await userGrant(alice);
    expect((await introspect(alice, aliceAccess)).body).toMatchObject({ active: true, client_id: alice.id, application_id: alice.appId });
    expect((await introspect(alice, aliceGrant.refresh)).body).toMatchObject({
      active: true,
      client_id: alice.id,
      token_type: 'refresh_token',
    });
    for (const token of [aliceAccess, aliceGrant.access, aliceGrant.refresh]) {
      const answer = await introspect(bob, token);
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ active: false });
    }
    // Still active for its own client: bob's probe changed nothing.
    expect((await introspect(alice, aliceGrant.access)).body).toMatchObject({ active: true, sub: alice.owner.id });
  });

  it("a client an admin made a resource server introspects any application's tokens; only an admin can make it one", async () => {
    const admin = await userWithRole('admin');
    const rs = await oauthClient('Resource server');
    const aliceAccess = await accessToken(alice);
    const aliceGrant = await userGrant(alice);
    expect((await introspect(rs, aliceAccess)).body).toEqual({ active: false });
    const path = `/api/admin/v1/applications/${rs.appId}/keys/PRODUCTION/introspection`;
    expect((await api('PUT', path, rs.owner, { enabled: true })).status).toBe(403);
    expect((await api('PUT', path, admin, { enabled: true })).body).toEqual({ consumerKey: rs.id, mayIntrospect: true });
    expect((await introspect(rs, aliceAccess)).body).toMatchObject({ active: true, client_id: alice.id, application_id: alice.appId });
    expect((await introspect(rs, aliceGrant.refresh)).body).toMatchObject({ active: true, client_id: alice.id });
    const listed = await api<{ list: Array<{ id: string; keys: Array<{ mayIntrospect: boolean }> }> }>(
      'GET',
      '/api/admin/v1/applications?query=Resource%20server',
      admin,
    );
    expect(listed.body.list.find((a) => a.id === rs.appId)?.keys).toEqual([expect.objectContaining({ mayIntrospect: true })]);
    expect((await api('PUT', path, admin, { enabled: false })).status).toBe(200);
    expect((await introspect(rs, aliceAccess)).body).toEqual({ active: false });
  });

  it(
    'counts introspections per client exactly: one over the limit in a window is a 429 with Retry-After and an RFC 6749 body, and other clients are unaffected',
    async () => {
      const scanner = await oauthClient('Scanner');
      await earlyInWindow();
      const answers = await Promise.all(Array.from({ length: CALLER_LIMITS.client + 5 }, (_, i) => introspect(scanner, `garbage-${i}`)));
      expect(answers.filter((a) => a.status === 200)).toHaveLength(CALLER_LIMITS.client);
      const refused = answers.filter((a) => a.status === 429);
      expect(refused).toHaveLength(5);
      expect(refused[0]?.body).toMatchObject({ error: 'temporarily_unavailable' });
      expect(Number(refused[0]?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused[0]?.headers.get('cache-control')).toBe('no-store');
      expect((await introspect(alice, await accessToken(alice))).body).toMatchObject({ active: true });
    },
    BURST_TIMEOUT,
  );

  it(
    'counts failed client authentications at the token, introspection and revocation endpoints together against the caller address, so secrets cannot be guessed at speed',
    async () => {
      await earlyInWindow();
      const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
      const wrong = { id: alice.id, secret: 'guess' };
      const third = CALLER_LIMITS.address / 3;
      const answers = await Promise.all([
        ...Array.from({ length: third }, () => introspect(wrong, 'x', { 'cf-connecting-ip': ip })),
        ...Array.from({ length: third }, () =>
          postForm('/oauth2/revoke', { token: 'x' }, { authorization: basic(wrong), 'cf-connecting-ip': ip }),
        ),
        ...Array.from({ length: third }, () =>
          postForm('/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic(wrong), 'cf-connecting-ip': ip }),
        ),
      ]);
      expect(answers.filter((a) => a.status === 401)).toHaveLength(CALLER_LIMITS.address);
      const over = await postForm(
        '/oauth2/token',
        { grant_type: 'client_credentials' },
        { authorization: basic(wrong), 'cf-connecting-ip': ip },
      );
      expect(over.status).toBe(429);
      expect(over.body).toMatchObject({ error: 'temporarily_unavailable' });
      // The client the guesses named, from the same address, is not locked out.
      expect(
        (await postForm('/oauth2/token', { grant_type: 'client_credentials' }, { authorization: basic(alice), 'cf-connecting-ip': ip }))
          .status,
      ).toBe(200);
      expect((await introspect(alice, 'x', { 'cf-connecting-ip': ip })).body).toEqual({ active: false });
    },
    BURST_TIMEOUT,
  );
});

describe('revocation (RFC 7009) acts only on the caller’s own tokens', () => {
  it("leaves another client's refresh and access tokens valid, answering 200 as for an unknown token", async () => {
    const grant = await userGrant(alice);
    for (const token of [grant.refresh, grant.access])
      expect((await postForm('/oauth2/revoke', { token }, { authorization: basic(bob) })).status).toBe(200);
    expect((await introspect(alice, grant.access)).body).toMatchObject({ active: true });
    expect((await tokenRequest(alice, { grant_type: 'refresh_token', refresh_token: grant.refresh })).status).toBe(200);
  });

  it(
    'is limited per caller like introspection',
    async () => {
      const revoker = await oauthClient('Revoker');
      await earlyInWindow();
      const answers = await Promise.all(
        Array.from({ length: CALLER_LIMITS.client + 1 }, (_, i) =>
          postForm('/oauth2/revoke', { token: `unknown-${i}` }, { authorization: basic(revoker) }),
        ),
      );
      expect(answers.filter((a) => a.status === 200)).toHaveLength(CALLER_LIMITS.client);
      expect(answers.filter((a) => a.status === 429)[0]?.body).toMatchObject({ error: 'temporarily_unavailable' });
    },
    BURST_TIMEOUT,
  );
});
