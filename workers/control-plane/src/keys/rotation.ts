/**
 * Signing-key rotation (decision 0038): add → activate → retire. Each step keeps every token that
 * is still valid verifiable everywhere: a key is published (JWKS, every gateway snapshot) before it
 * may sign, and a key that stopped signing stays published until what it signed has expired.
 */
import { and, eq, lte, ne } from 'drizzle-orm';
import { exportJWK, generateKeyPair } from 'jose';
import { ApiError } from '../../../shared/problem.ts';
import { randomString } from '../../../shared/ids.ts';
import { seal } from '../../../shared/seal.ts';
import { schema, type Database } from '../db.ts';
import { republishAll } from '../gateway-sync/snapshot.ts';
import { forgetSigningKeys, publicHalf, retirementDelayMs, signingKeyRow, type SigningKeyRow } from './signing-keys.ts';

/**
 * How long a new key is published before it may sign: what a verifier may hold of the old key set —
 * the JWKS response's max-age (300 s, routes.ts) and a gateway's snapshot TTL — with margin.
 */
const publishDelayMs = (env: Pick<Env, 'SIGNING_KEY_PUBLISH_SECONDS'>) => Number(env.SIGNING_KEY_PUBLISH_SECONDS) * 1000;

async function changed(env: Env, db: Database): Promise<void> {
  forgetSigningKeys();
  await republishAll(env, db);
}

/** A new ES256 key, published but not signing; every gateway environment gets it in a new snapshot. */
export async function addSigningKey(env: Env, db: Database, now = Date.now()): Promise<SigningKeyRow> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `k-${now.toString(36)}-${randomString(6)}`;
  const jwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES256' };
  const [row] = await db
    .insert(schema.signingKeys)
    .values({
      kid,
      alg: 'ES256',
      publicJwk: publicHalf(jwk),
      status: 'PUBLISHED',
      origin: 'GENERATED',
      privateJwkSealed: await seal(env.ENCRYPTION_KEY, JSON.stringify(jwk), kid),
      createdAt: now,
    })
    .returning();
  if (row === undefined) throw new Error('signing key insert returned nothing');
  await changed(env, db);
  return row;
}

/**
 * The published key starts signing; the one that signed until now verifies until its tokens have
 * expired. One batch, so exactly one key is ACTIVE whatever runs concurrently.
 */
export async function activateSigningKey(env: Env, db: Database, kid: string, now = Date.now()): Promise<SigningKeyRow> {
  const row = await signingKeyRow(db, kid);
  if (row === undefined) throw new ApiError('not-found', { detail: `No signing key ${kid}` });
  if (row.status === 'ACTIVE') return row;
  if (row.status !== 'PUBLISHED')
    throw new ApiError('conflict', { detail: `The key ${kid} is ${row.status}; only a PUBLISHED key can start signing` });
  const ready = row.createdAt + publishDelayMs(env);
  if (now < ready)
    throw new ApiError('conflict', {
      detail: `The key ${kid} was published at ${new Date(row.createdAt).toISOString()}; verifiers caching the previous key set may not know it before ${new Date(ready).toISOString()}`,
    });
  const k = schema.signingKeys;
  const [, activated] = await db.batch([
    db
      .update(k)
      .set({ status: 'PREVIOUS', retireAfter: now + retirementDelayMs(env) })
      .where(and(eq(k.status, 'ACTIVE'), ne(k.kid, kid))),
    db
      .update(k)
      .set({ status: 'ACTIVE', activatedAt: now })
      .where(and(eq(k.kid, kid), eq(k.status, 'PUBLISHED')))
      .returning(),
  ]);
  forgetSigningKeys();
  const result = activated[0];
  if (result === undefined) throw new ApiError('conflict', { detail: `The key ${kid} changed meanwhile; read it again` });
  return result;
}

/**
 * Takes a key out of the JWKS and every snapshot, and erases its private half. A key that signed
 * retires once its tokens have expired — or at once when an admin says so (a leaked key), refusing
 * what it signed. The signing key itself cannot retire: activate another first.
 */
export async function retireSigningKey(
  env: Env,
  db: Database,
  kid: string,
  options: { immediately: boolean },
  now = Date.now(),
): Promise<SigningKeyRow> {
  const row = await signingKeyRow(db, kid);
  if (row === undefined) throw new ApiError('not-found', { detail: `No signing key ${kid}` });
  if (row.status === 'RETIRED') return row;
  if (row.status === 'ACTIVE') throw new ApiError('conflict', { detail: `The key ${kid} is signing; activate another key first` });
  if (row.status === 'PREVIOUS' && (row.retireAfter ?? 0) > now && !options.immediately) {
    throw new ApiError('conflict', {
      detail: `Tokens signed by ${kid} are valid until ${new Date(row.retireAfter ?? 0).toISOString()}; retire it then, or immediately to refuse them`,
    });
  }
  const [retired] = await db
    .update(schema.signingKeys)
    .set({ status: 'RETIRED', retiredAt: now, privateJwkSealed: null })
    .where(and(eq(schema.signingKeys.kid, kid), ne(schema.signingKeys.status, 'ACTIVE')))
    .returning();
  if (retired === undefined) throw new ApiError('conflict', { detail: `The key ${kid} changed meanwhile; read it again` });
  await changed(env, db);
  return retired;
}

/** The cron's part: previous keys whose tokens have all expired retire by themselves. */
export async function retireDueSigningKeys(env: Env, db: Database, now = Date.now()): Promise<string[]> {
  const k = schema.signingKeys;
  const retired = await db
    .update(k)
    .set({ status: 'RETIRED', retiredAt: now, privateJwkSealed: null })
    .where(and(eq(k.status, 'PREVIOUS'), lte(k.retireAfter, now)))
    .returning({ kid: k.kid });
  if (retired.length > 0) await changed(env, db);
  return retired.map((r) => r.kid);
}
