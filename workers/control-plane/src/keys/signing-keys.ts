/**
 * The Key Manager's signing keys, read from the `signing_keys` table (decision 0038). The
 * SIGNING_KEYS secret seeds it: a kid of the secret the table does not know yet is adopted — as the
 * active key when there is none (first start), else as a new published key (a deploy added it).
 */
import { eq } from 'drizzle-orm';
import { importJWK, type CryptoKey as JoseKey, type JWK } from 'jose';
import { seal, unseal } from '../../../shared/seal.ts';
import type { PublicJwk } from '../../../shared/snapshot.ts';
import { createDb, schema, type Database } from '../db.ts';

export interface SigningKeySet {
  /** Signs new tokens. */
  readonly active: { readonly kid: string; readonly alg: string; readonly key: JoseKey | Uint8Array };
  /** Published in the JWKS and the gateway snapshot: the active key, the published ones and those still in overlap. */
  readonly publicJwks: readonly PublicJwk[];
}

export type SigningKeyRow = typeof schema.signingKeys.$inferSelect;
type KeyEnv = Pick<Env, 'SIGNING_KEYS' | 'ENCRYPTION_KEY' | 'ACCESS_TOKEN_TTL_SECONDS' | 'DB'>;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

/**
 * How long an isolate signs and verifies with the set it read: an activation reaches every
 * isolate within this, so a key's tokens stop being issued at most this long after its successor
 * was activated (the retirement delay adds it).
 */
export const KEY_SET_MAX_AGE_MS = 10_000;
/** The gateway accepts a token up to a minute past its exp (clock tolerance); so does retirement. */
const CLOCK_LEEWAY_MS = 60_000;

// One entry per isolate, bounded by age; replaced when the secret changes.
let cached: { source: string; loadedAt: number; keys: Promise<SigningKeySet> } | null = null;

export function signingKeys(env: KeyEnv, now = Date.now()): Promise<SigningKeySet> {
  if (cached === null || cached.source !== env.SIGNING_KEYS || now - cached.loadedAt > KEY_SET_MAX_AGE_MS) {
    const keys = load(env, createDb(env.DB), now);
    cached = { source: env.SIGNING_KEYS, loadedAt: now, keys };
    // A failed read is not remembered.
    keys.catch(() => {
      if (cached?.keys === keys) cached = null;
    });
  }
  return cached.keys;
}

/** After a change of the table: this isolate reads it again on its next use. */
export function forgetSigningKeys(): void {
  cached = null;
}

/**
 * When a key that stopped signing may retire: every token it signed has expired by then — the
 * longest lifetime (access and id tokens share ACCESS_TOKEN_TTL_SECONDS), plus isolates still
 * signing with the set they read, plus the verifiers' clock leeway.
 */
export const retirementDelayMs = (env: Pick<Env, 'ACCESS_TOKEN_TTL_SECONDS'>) =>
  Number(env.ACCESS_TOKEN_TTL_SECONDS) * 1000 + KEY_SET_MAX_AGE_MS + CLOCK_LEEWAY_MS;

export function publicHalf(jwk: JWK & { kid: string; alg: string }): PublicJwk {
  const pub: Record<string, unknown> = { ...jwk, use: 'sig' };
  for (const member of PRIVATE_MEMBERS) delete pub[member];
  delete pub['key_ops'];
  delete pub['ext'];
  return pub as PublicJwk;
}

function secretKeys(source: string): Array<JWK & { kid: string; alg: string }> {
  const list = JSON.parse(source) as JWK[];
  if (!Array.isArray(list)) throw new Error('SIGNING_KEYS must be a JSON array of private JWKs');
  return list.map((jwk) => {
    if (typeof jwk.kid !== 'string' || typeof jwk.alg !== 'string' || typeof jwk.d !== 'string')
      throw new Error('every signing key needs kid, alg and its private half');
    return jwk as JWK & { kid: string; alg: string };
  });
}

/** Adopts the secret's unknown keys: the rows to insert (none in steady state). */
async function adoptions(env: KeyEnv, rows: readonly SigningKeyRow[], now: number): Promise<Array<typeof schema.signingKeys.$inferInsert>> {
  const known = new Set(rows.map((r) => r.kid));
  const fresh = secretKeys(env.SIGNING_KEYS).filter((k) => !known.has(k.kid));
  const bootstrap = !rows.some((r) => r.status === 'ACTIVE');
  return Promise.all(
    fresh.map(async (jwk, i) => {
      // First start: the secret's first key signs and the others are earlier keys still verifying,
      // as SIGNING_KEYS always meant. Later: a key added to the secret is published first.
      const status = bootstrap ? (i === 0 ? 'ACTIVE' : 'PREVIOUS') : 'PUBLISHED';
      return {
        kid: jwk.kid,
        alg: jwk.alg,
        publicJwk: publicHalf(jwk),
        status,
        origin: 'SECRET',
        privateJwkSealed: await seal(env.ENCRYPTION_KEY, JSON.stringify(jwk), jwk.kid),
        activatedAt: status === 'ACTIVE' ? now : null,
        retireAfter: status === 'PREVIOUS' ? now + retirementDelayMs(env) : null,
      } as const;
    }),
  );
}

async function load(env: KeyEnv, db: Database, now: number): Promise<SigningKeySet> {
  let rows = await db.select().from(schema.signingKeys);
  const adopt = await adoptions(env, rows, now);
  if (adopt.length > 0) {
    // Concurrent isolates adopt the same kids; the first insert wins, the others change nothing.
    await db.insert(schema.signingKeys).values(adopt).onConflictDoNothing();
    rows = await db.select().from(schema.signingKeys);
  }
  const live = rows.filter((r) => r.status !== 'RETIRED');
  const active = live.filter((r) => r.status === 'ACTIVE').sort((a, b) => (b.activatedAt ?? 0) - (a.activatedAt ?? 0))[0];
  if (active === undefined || active.privateJwkSealed === null)
    throw new Error('no active signing key: add one to SIGNING_KEYS or activate one under /api/admin/v1/signing-keys');
  const jwk = JSON.parse(await unseal(env.ENCRYPTION_KEY, active.privateJwkSealed, active.kid)) as JWK;
  const order = (r: SigningKeyRow) => (r.status === 'ACTIVE' ? 0 : r.status === 'PUBLISHED' ? 1 : 2);
  return {
    active: { kid: active.kid, alg: active.alg, key: await importJWK(jwk, active.alg) },
    publicJwks: [...live].sort((a, b) => order(a) - order(b)).map((r) => r.publicJwk),
  };
}

/** Every key, newest first, for the admin. */
export async function listSigningKeys(db: Database): Promise<SigningKeyRow[]> {
  const rows = await db.select().from(schema.signingKeys);
  return rows.sort((a, b) => b.createdAt - a.createdAt);
}

export const signingKeyRow = async (db: Database, kid: string) =>
  (await db.select().from(schema.signingKeys).where(eq(schema.signingKeys.kid, kid)).limit(1))[0];
