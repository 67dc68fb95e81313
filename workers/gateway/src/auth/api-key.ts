import { sha256Hex } from '../../../shared/crypto.ts';
import { BoundedCache } from '../../../shared/lru.ts';
import type { KeyType } from '../../../shared/db/schema.ts';
import { parseIp } from '../../../shared/ip.ts';

export interface ApiKeyRecord {
  readonly id: string;
  readonly applicationId: string;
  readonly ownerId: string;
  readonly applicationTier: string;
  readonly keyType: KeyType;
  readonly createdAt: number;
  readonly expiresAt: number | null;
  readonly revoked: boolean;
  readonly allowedIps: readonly string[];
  readonly allowedReferrers: readonly string[];
}

// Keys are looked up by hash once and then served from memory: steady state, no D1 query and no
// digest. The cache is keyed by the key as presented (it lives in this isolate's memory only, like
// the verified-token cache keyed by the token; storage still holds hashes only), so a hit costs one
// map lookup rather than a SHA-256. A key revoked meanwhile is still refused at once, by its
// subscription's counter object.
const known = new BoundedCache<string, ApiKeyRecord | null>({ maxEntries: 10_000, maxAgeMs: 60_000 });
const UNKNOWN_TTL_MS = 5_000;

/**
 * The key's record from this isolate's memory, without a promise or a database handle: null for a
 * key that cannot be one (its length) or that is known not to exist, undefined when it must be
 * looked up (findApiKey). The hot path asks this first.
 */
export function knownApiKey(presented: string): ApiKeyRecord | null | undefined {
  if (presented.length < 16 || presented.length > 256) return null;
  return known.get(presented);
}

/** `db` is asked for only on a miss: wrapping the binding (retry, metering) per call showed in profiles (decision 0060). */
export async function findApiKey(db: () => D1Database, presented: string): Promise<ApiKeyRecord | null> {
  const cached = knownApiKey(presented);
  if (cached !== undefined) return cached;
  const hash = await sha256Hex(presented);
  const row = await db()
    .prepare(
      `SELECT k.id, k.application_id, a.owner_id, a.throttling_policy, k.key_type, k.created_at, k.expires_at, k.revoked_at, k.allowed_ips, k.allowed_referrers
       FROM api_keys k JOIN applications a ON a.id = k.application_id WHERE k.key_hash = ?`,
    )
    .bind(hash)
    .first<{
      id: string;
      application_id: string;
      owner_id: string;
      throttling_policy: string;
      key_type: KeyType;
      created_at: number;
      expires_at: number | null;
      revoked_at: number | null;
      allowed_ips: string;
      allowed_referrers: string;
    }>();
  const record: ApiKeyRecord | null =
    row === null
      ? null
      : {
          id: row.id,
          applicationId: row.application_id,
          ownerId: row.owner_id,
          applicationTier: row.throttling_policy,
          keyType: row.key_type,
          createdAt: row.created_at,
          expiresAt: row.expires_at,
          revoked: row.revoked_at !== null,
          allowedIps: JSON.parse(row.allowed_ips) as string[],
          allowedReferrers: JSON.parse(row.allowed_referrers) as string[],
        };
  // A key is never remembered past its expiry: the entry goes when the key does (and the call
  // path refuses an expired record anyway, cached or not).
  known.set(
    presented,
    record,
    record === null ? UNKNOWN_TTL_MS : record.expiresAt === null ? undefined : Math.max(0, record.expiresAt - Date.now()),
  );
  return record;
}

/** Forgets these applications' keys, so the next call reads their tier (and owner) again. */
export function forgetApplicationKeys(applicationIds: ReadonlySet<string>): void {
  known.deleteWhere((_hash, record) => record !== null && applicationIds.has(record.applicationId));
}

/** Whether `ip` is one of the allowed addresses or inside one of the allowed CIDR ranges (IPv4 and IPv6). */
export function ipAllowed(ip: string | null, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  if (ip === null) return false;
  const addr = parseIp(ip);
  if (addr === null) return false;
  return allowed.some((entry) => {
    const [base = '', bitsText] = entry.split('/');
    const net = parseIp(base);
    if (net === null || net.length !== addr.length) return false;
    const bits = bitsText === undefined ? addr.length * 8 : Number(bitsText);
    if (!Number.isInteger(bits) || bits < 0 || bits > addr.length * 8) return false;
    for (let i = 0; i < addr.length; i++) {
      const take = Math.max(0, Math.min(8, bits - i * 8));
      const mask = take === 0 ? 0 : (0xff << (8 - take)) & 0xff;
      if (((addr[i] ?? 0) & mask) !== ((net[i] ?? 0) & mask)) return false;
    }
    return true;
  });
}

/** Referrer patterns: exact URLs or prefixes ending in `*` (e.g. `https://app.example.com/*`). */
export function referrerAllowed(referrer: string | null, allowed: readonly string[]): boolean {
  if (allowed.length === 0) return true;
  if (referrer === null) return false;
  return allowed.some((pattern) => (pattern.endsWith('*') ? referrer.startsWith(pattern.slice(0, -1)) : referrer === pattern));
}
