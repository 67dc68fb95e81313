import { and, eq } from 'drizzle-orm';
import { ApiError } from '../../../shared/problem.ts';
import { schema, type Database } from '../db.ts';

/**
 * The enabled external key manager a developer named in a request body's `keyManager`, or a 400
 * pointing at that field: mapping an existing client and registering a new one both start here.
 */
export async function enabledKeyManager(db: Database, name: string): Promise<typeof schema.keyManagers.$inferSelect> {
  const km = (
    await db
      .select()
      .from(schema.keyManagers)
      .where(and(eq(schema.keyManagers.name, name), eq(schema.keyManagers.enabled, true)))
      .limit(1)
  )[0];
  if (km === undefined)
    throw new ApiError('validation-failed', {
      detail: `No key manager named ${name}`,
      errors: [{ pointer: '/keyManager', detail: 'Unknown key manager' }],
    });
  return km;
}
