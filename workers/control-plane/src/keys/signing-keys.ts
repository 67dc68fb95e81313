import { importJWK, type CryptoKey as JoseKey, type JWK } from 'jose';
import type { PublicJwk } from '../../../shared/snapshot.ts';

export interface SigningKeySet {
  /** Signs new tokens. */
  readonly active: { readonly kid: string; readonly alg: string; readonly key: JoseKey | Uint8Array };
  /** Published in the JWKS and the gateway snapshot: the active key and those still in overlap. */
  readonly publicJwks: readonly PublicJwk[];
}

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

// Parsed once per isolate per secret value.
let cached: { source: string; keys: Promise<SigningKeySet> } | null = null;

/**
 * SIGNING_KEYS is a JSON array of private JWKs, each with `kid` and `alg`. The first signs; the
 * others are previous keys kept for verification until the tokens they signed have expired.
 */
export function signingKeys(env: Pick<Env, 'SIGNING_KEYS'>): Promise<SigningKeySet> {
  if (cached === null || cached.source !== env.SIGNING_KEYS) cached = { source: env.SIGNING_KEYS, keys: parse(env.SIGNING_KEYS) };
  return cached.keys;
}

async function parse(source: string): Promise<SigningKeySet> {
  const list = JSON.parse(source) as JWK[];
  if (!Array.isArray(list) || list.length === 0) throw new Error('SIGNING_KEYS must be a non-empty JSON array of private JWKs');
  const publicJwks: PublicJwk[] = list.map((jwk) => {
    if (typeof jwk.kid !== 'string' || typeof jwk.alg !== 'string') throw new Error('every signing key needs kid and alg');
    const pub: Record<string, unknown> = { ...jwk, use: 'sig' };
    for (const member of PRIVATE_MEMBERS) delete pub[member];
    delete pub['key_ops'];
    delete pub['ext'];
    return pub as PublicJwk;
  });
  const first = list[0] as JWK & { kid: string; alg: string };
  return { active: { kid: first.kid, alg: first.alg, key: await importJWK(first, first.alg) }, publicJwks };
}
