import { describe, expect, it } from 'vitest';
import { proveClient } from './proof.ts';

const SECRET = 'the-real-secret';

/** A token endpoint: `good` for the real secret, `bad` for any other. */
function endpoint(good: [number, unknown], bad: [number, unknown]): typeof fetch {
  return (_url, init) => {
    const auth = new Headers(init?.headers).get('authorization') ?? '';
    const [, secret] = atob(auth.replace(/^Basic /, '')).split(':');
    const [status, body] = secret === SECRET ? good : bad;
    return Promise.resolve(Response.json(body, { status }));
  };
}

const refused: [number, unknown] = [401, { error: 'invalid_client' }];

describe('proof of an external client', () => {
  it('counts a token as proof', async () => {
    expect(await proveClient('https://idp.test/token', 'c', SECRET, endpoint([200, { access_token: 'x' }], refused))).toEqual({ ok: true });
  });

  it('counts an error for the real secret as proof only when a wrong secret is refused as invalid_client', async () => {
    // oidc-provider's answer to a client without the client-credentials grant.
    expect(await proveClient('https://idp.test/token', 'c', SECRET, endpoint([400, { error: 'invalid_request' }], refused))).toEqual({
      ok: true,
    });
    expect(
      await proveClient(
        'https://idp.test/token',
        'c',
        SECRET,
        endpoint([400, { error: 'unauthorized_client' }], [400, { error: 'invalid_client' }]),
      ),
    ).toEqual({ ok: true });
    // A server that refuses the grant before it authenticates anyone: the error proves nothing.
    expect(
      await proveClient(
        'https://idp.test/token',
        'c',
        SECRET,
        endpoint([400, { error: 'unsupported_grant_type' }], [400, { error: 'unsupported_grant_type' }]),
      ),
    ).toEqual({ ok: false, reason: 'invalid-client' });
  });

  it('refuses a wrong secret and tells an outage apart', async () => {
    expect(await proveClient('https://idp.test/token', 'c', 'wrong', endpoint([200, {}], refused))).toEqual({
      ok: false,
      reason: 'invalid-client',
    });
    expect(await proveClient('https://idp.test/token', 'c', SECRET, endpoint([503, {}], refused))).toEqual({
      ok: false,
      reason: 'unreachable',
    });
  });
});
