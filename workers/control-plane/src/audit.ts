import { newId } from '../../shared/ids.ts';
import type { Principal } from './auth/principal.ts';
import { schema, type Database } from './db.ts';

/**
 * One audit row per change, written in the same `db.batch()` as the change itself so there is never
 * a change without its record or a record without its change. Secrets never enter `before`/`after`.
 */
export function auditEntry(
  db: Database,
  actor: Pick<Principal, 'userId' | 'email'> | null,
  action: string,
  entity: { type: string; id: string },
  before: unknown,
  after: unknown,
) {
  return db.insert(schema.auditLog).values({
    id: newId('audit'),
    actorId: actor?.userId ?? null,
    actorEmail: actor?.email ?? null,
    action,
    entityType: entity.type,
    entityId: entity.id,
    before: before ?? null,
    after: after ?? null,
  });
}
