import { and, eq } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import type { Principal } from '../../auth/principal.ts';
import { schema, type Database } from '../../db.ts';

/** The caller's own application; anyone else's answers 404 exactly like one that does not exist. */
export async function ownApplication(db: Database, principal: Principal, applicationId: string) {
  const row = (
    await db
      .select()
      .from(schema.applications)
      .where(and(eq(schema.applications.id, applicationId), eq(schema.applications.ownerId, principal.userId)))
      .limit(1)
  )[0];
  if (row === undefined) throw new ApiError('not-found', { detail: 'No such application' });
  return row;
}

/** A subscription of one of the caller's applications; others' answer 404. */
export async function ownSubscription(db: Database, principal: Principal, id: string) {
  const row = (
    await db
      .select({ s: schema.subscriptions })
      .from(schema.subscriptions)
      .innerJoin(schema.applications, eq(schema.applications.id, schema.subscriptions.applicationId))
      .where(and(eq(schema.subscriptions.id, id), eq(schema.applications.ownerId, principal.userId)))
      .limit(1)
  )[0];
  if (row === undefined) throw new ApiError('not-found', { detail: 'No such subscription' });
  return row.s;
}
