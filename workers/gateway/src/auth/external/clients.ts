import { BoundedCache } from '../../../../shared/lru.ts';
import type { KeyType } from '../../../../shared/db/schema.ts';

/** The Turnpike application an external client is mapped to (`external_clients`). */
export interface MappedClient {
  readonly applicationId: string;
  readonly keyType: KeyType;
  readonly ownerId: string;
  readonly applicationTier: string;
}

// Looked up once per (key manager, client) and then served from memory, as API keys are: steady
// state no D1 query. An unmapped client is remembered briefly, so a developer who maps it is served
// within UNMAPPED_TTL_MS; a mapping removed is forgotten at once through applicationsChanged.
const mapped = new BoundedCache<string, MappedClient | null>({ maxEntries: 10_000, maxAgeMs: 60_000 });
const UNMAPPED_TTL_MS = 5_000;

export async function mappedClient(db: D1Database, keyManagerId: string, clientId: string): Promise<MappedClient | null> {
  if (clientId.length === 0 || clientId.length > 256) return null;
  const cacheKey = `${keyManagerId}\n${clientId}`;
  const cached = mapped.get(cacheKey);
  if (cached !== undefined) return cached;
  const row = await db
    .prepare(
      `SELECT x.application_id, x.key_type, a.owner_id, a.throttling_policy FROM external_clients x JOIN applications a ON a.id = x.application_id WHERE x.key_manager_id = ? AND x.client_id = ?`,
    )
    .bind(keyManagerId, clientId)
    .first<{ application_id: string; key_type: KeyType; owner_id: string; throttling_policy: string }>();
  const client =
    row === null
      ? null
      : { applicationId: row.application_id, keyType: row.key_type, ownerId: row.owner_id, applicationTier: row.throttling_policy };
  mapped.set(cacheKey, client, client === null ? UNMAPPED_TTL_MS : undefined);
  return client;
}

/** Forgets these applications' mappings and every unmapped client, so a mapping change is seen on the next call. */
export function forgetMappedClients(applicationIds: ReadonlySet<string>): void {
  mapped.deleteWhere((_key, client) => client === null || applicationIds.has(client.applicationId));
}
