import { describe, expect, it } from 'vitest';
import { proveClient } from './proof.ts';

const answer = (status: number, body: unknown): typeof fetch => () => Promise.resolve(Response.json(body, { status }));

describe('proof of an external client', () => {
  it('counts a token, or an error only an authenticated client can get, as proof', async () => {
    expect(await proveClient('https://idp.test/token', 'c', 's', answer(200, { access_token: 'x' }))).toEqual({ ok: true });
    expect(await proveClient('https://idp.test/token', 'c', 's', answer(400, { error: 'unauthorized_client' }))).toEqual({ ok: true });
  });

  it('refuses invalid_client, malformed requests and broken client metadata, and tells an outage apart', async () => {
    expect(await proveClient('https://idp.test/token', 'c', 's', answer(401, { error: 'invalid_client' }))).toEqual({ ok: false, reason: 'invalid-client' });
    expect(await proveClient('https://idp.test/token', 'c', 's', answer(400, { error: 'invalid_client_metadata' }))).toEqual({ ok: false, reason: 'invalid-client' });
    expect(await proveClient('https://idp.test/token', 'c', 's', answer(400, { error: 'invalid_request' }))).toEqual({ ok: false, reason: 'invalid-client' });
    expect(await proveClient('https://idp.test/token', 'c', 's', answer(503, {}))).toEqual({ ok: false, reason: 'unreachable' });
  });
});
