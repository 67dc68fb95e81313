import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { KeySets, type KeySetSource } from './key-sets.ts';

async function publicKey(kid: string, alg: 'ES256' | 'RS256' = 'ES256', withAlg = true): Promise<JWK> {
  const { publicKey: key } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(key)), kid, use: 'sig', ...(withAlg ? { alg } : {}) };
}

/** A provider whose published keys the test changes, counting each fetch. */
function provider(keys: JWK[]) {
  const state = { keys, fetches: 0, fail: false };
  const fetcher = (url: string) => {
    state.fetches += 1;
    expect(url).toBe(SOURCE.jwksUri);
    return Promise.resolve(state.fail ? new Response('down', { status: 503 }) : Response.json({ keys: state.keys }));
  };
  return { state, sets: new KeySets(fetcher) };
}

const SOURCE: KeySetSource = { jwksUri: 'https://idp.test/jwks', jwksMaxAgeSeconds: 600, jwksCooldownSeconds: 30 };

describe('external key sets', () => {
  it('fetches a key set once for 500 random unknown kids within ten seconds (no fetch storm)', async () => {
    const { state, sets } = provider([await publicKey('k1')]);
    const t0 = 1_000_000;
    expect((await sets.key(SOURCE, 'k1', t0)).ok).toBe(true);
    expect(state.fetches).toBe(1);
    // Past the cooldown the first unknown kid may fetch once; the other 499 within the same 10 s may not.
    const start = t0 + 31_000;
    const answers = await Promise.all(
      Array.from({ length: 500 }, (_, i) => sets.key(SOURCE, `random-${crypto.randomUUID()}`, start + i * 20)),
    );
    expect(answers.every((a) => !a.ok && a.reason === 'unknown-kid')).toBe(true);
    expect(state.fetches).toBe(2);
    // Within the cooldown and nothing fetched at all: one fetch in total for the whole storm.
    const { state: cold, sets: coldSets } = provider([await publicKey('k1')]);
    await coldSets.key(SOURCE, 'k1', t0);
    for (let i = 0; i < 500; i++) await coldSets.key(SOURCE, `r${i}`, t0 + 1 + i * 20);
    expect(cold.fetches).toBe(1);
  });

  it('picks up a rotated key on its first unknown kid once the cooldown has passed, and drops the retired one', async () => {
    const { state, sets } = provider([await publicKey('old')]);
    const t0 = 2_000_000;
    expect((await sets.key(SOURCE, 'old', t0)).ok).toBe(true);
    state.keys = [await publicKey('new')];
    expect(await sets.key(SOURCE, 'new', t0 + 5_000)).toEqual({ ok: false, reason: 'unknown-kid' });
    expect(state.fetches).toBe(1);
    expect((await sets.key(SOURCE, 'new', t0 + 30_000)).ok).toBe(true);
    expect(state.fetches).toBe(2);
    expect(sets.holds(SOURCE.jwksUri, 'old', t0 + 30_000)).toBe(false);
    expect(await sets.key(SOURCE, 'old', t0 + 31_000)).toEqual({ ok: false, reason: 'unknown-kid' });
  });

  it('fetches again once the set is older than its max age, and fails closed when the provider is down by then', async () => {
    const { state, sets } = provider([await publicKey('k1')]);
    const t0 = 3_000_000;
    await sets.key(SOURCE, 'k1', t0);
    expect((await sets.key(SOURCE, 'k1', t0 + 599_000)).ok).toBe(true);
    expect(state.fetches).toBe(1);
    state.fail = true;
    expect(await sets.key(SOURCE, 'k1', t0 + 601_000)).toEqual({ ok: false, reason: 'unavailable' });
    expect(state.fetches).toBe(2);
    // A failing provider is asked again only after the cooldown, not on every request.
    await sets.key(SOURCE, 'k1', t0 + 602_000);
    expect(state.fetches).toBe(2);
  });

  it('pins each key to one algorithm: its own alg, or the one its type implies; symmetric and private keys are never used', async () => {
    const rsaWithoutAlg = await publicKey('rsa', 'RS256', false);
    const ps = { ...(await publicKey('ps', 'RS256', false)), alg: 'PS256' };
    const oct: JWK = { kty: 'oct', k: 'c2VjcmV0', kid: 'oct', alg: 'HS256' };
    const { sets } = provider([rsaWithoutAlg, ps, oct, await publicKey('ec')]);
    const t0 = 4_000_000;
    const rsa = await sets.key(SOURCE, 'rsa', t0);
    expect(rsa.ok && rsa.key.alg).toBe('RS256');
    const pss = await sets.key(SOURCE, 'ps', t0);
    expect(pss.ok && pss.key.alg).toBe('PS256');
    const ec = await sets.key(SOURCE, 'ec', t0);
    expect(ec.ok && ec.key.alg).toBe('ES256');
    expect((await sets.key(SOURCE, 'oct', t0)).ok).toBe(false);
  });
});
