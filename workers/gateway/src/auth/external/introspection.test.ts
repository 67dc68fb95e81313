import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { seal } from '../../../../shared/seal.ts';
import type { SnapshotKeyManager } from '../../../../shared/snapshot.ts';
import { Introspector, NEGATIVE_TTL_MS, POSITIVE_TTL_MS } from './introspection.ts';

async function keyManager(): Promise<SnapshotKeyManager> {
  return {
    id: 'km_test',
    name: 'idp',
    issuer: 'https://idp.test',
    audience: 'https://api.test',
    jwksUri: null,
    introspection: {
      endpoint: 'https://idp.test/introspect',
      clientId: 'gateway client',
      clientSecret: await seal(env.ENCRYPTION_KEY, 's3cret', 'km_test'),
    },
    claims: { clientId: 'client_id', scopes: 'scope', user: 'sub' },
    jwksMaxAgeSeconds: 600,
    jwksCooldownSeconds: 30,
  };
}

/** An introspection endpoint answering from `tokens`, recording what it was sent. */
function endpoint(tokens: Record<string, Record<string, unknown>>) {
  const seen: Array<{ authorization: string | null; body: string }> = [];
  const introspector = new Introspector(async (_url, init) => {
    const body = String(init.body);
    seen.push({ authorization: new Headers(init.headers).get('authorization'), body });
    const token = new URLSearchParams(body).get('token') ?? '';
    return Response.json(tokens[token] ?? { active: false });
  });
  return { seen, introspector };
}

describe('RFC 7662 introspection of external opaque tokens', () => {
  it('authenticates as the registered client and caches an active answer, never past the token’s exp nor the positive bound', async () => {
    const km = await keyManager();
    const t0 = 10_000_000;
    const { seen, introspector } = endpoint({
      long: { active: true, client_id: 'c1', exp: (t0 + 3_600_000) / 1000 },
      short: { active: true, client_id: 'c1', exp: (t0 + 20_000) / 1000 },
    });
    expect(await introspector.introspect(env.ENCRYPTION_KEY, km, 'long', t0)).toEqual({
      ok: true,
      result: { active: true, claims: { active: true, client_id: 'c1', exp: (t0 + 3_600_000) / 1000 } },
    });
    expect(seen[0]?.authorization).toBe(`Basic ${btoa('gateway+client:s3cret')}`);
    expect(new URLSearchParams(seen[0]?.body).get('token_type_hint')).toBe('access_token');
    await introspector.introspect(env.ENCRYPTION_KEY, km, 'long', t0 + POSITIVE_TTL_MS - 1);
    expect(introspector.calls).toBe(1);
    await introspector.introspect(env.ENCRYPTION_KEY, km, 'long', t0 + POSITIVE_TTL_MS + 1);
    expect(introspector.calls).toBe(2);
    await introspector.introspect(env.ENCRYPTION_KEY, km, 'short', t0);
    await introspector.introspect(env.ENCRYPTION_KEY, km, 'short', t0 + 21_000);
    expect(introspector.calls).toBe(4);
  });

  it('caches an inactive answer for the negative bound only', async () => {
    const km = await keyManager();
    const t0 = 20_000_000;
    const { introspector } = endpoint({});
    expect(await introspector.introspect(env.ENCRYPTION_KEY, km, 'bogus', t0)).toEqual({ ok: true, result: { active: false } });
    await introspector.introspect(env.ENCRYPTION_KEY, km, 'bogus', t0 + NEGATIVE_TTL_MS - 1);
    expect(introspector.calls).toBe(1);
    await introspector.introspect(env.ENCRYPTION_KEY, km, 'bogus', t0 + NEGATIVE_TTL_MS + 1);
    expect(introspector.calls).toBe(2);
  });

  it('treats an active answer for another issuer or audience, or already expired, as inactive', async () => {
    const km = await keyManager();
    const now = 30_000_000;
    const { introspector } = endpoint({
      iss: { active: true, client_id: 'c', iss: 'https://other.test' },
      aud: { active: true, client_id: 'c', aud: ['https://other.test'] },
      exp: { active: true, client_id: 'c', exp: (now - 60_000) / 1000 },
      good: { active: true, client_id: 'c', iss: 'https://idp.test', aud: ['https://api.test', 'x'] },
    });
    for (const t of ['iss', 'aud', 'exp'])
      expect(await introspector.introspect(env.ENCRYPTION_KEY, km, t, now), t).toEqual({ ok: true, result: { active: false } });
    const good = await introspector.introspect(env.ENCRYPTION_KEY, km, 'good', now);
    expect(good.ok && good.result.active).toBe(true);
  });

  it('says the endpoint is unavailable (never active) when it cannot be reached or answers badly, and caches nothing', async () => {
    const km = await keyManager();
    const broken = new Introspector(() => Promise.resolve(new Response('oops', { status: 500 })));
    expect(await broken.introspect(env.ENCRYPTION_KEY, km, 't', 1)).toEqual({ ok: false, reason: 'unavailable' });
    await broken.introspect(env.ENCRYPTION_KEY, km, 't', 2);
    expect(broken.calls).toBe(2);
  });
});
