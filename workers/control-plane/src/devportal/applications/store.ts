import { and, eq } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import type { Principal } from '../../auth/principal.ts';
import { schema, type Database } from '../../db.ts';

/** The caller's own application; anyone else's answers 404 exactly like one that does not exist. */
export async function ownApplication(db: Database, principal: Principal, applicationId: string) {
  const row = (await db.select().from(schema.applications).where(and(eq(schema.applications.id, applicationId), eq(schema.applications.ownerId, principal.userId))).limit(1))[0];
  if (row === undefined) throw new ApiError('not-found', { detail: 'No such application' });
  return row;
}
