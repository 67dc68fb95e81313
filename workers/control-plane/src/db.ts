import { drizzle } from 'drizzle-orm/d1';
import * as schema from '../../shared/db/schema.ts';
import { withBusyRetry } from '../../shared/d1-retry.ts';

export function createDb(d1: D1Database) {
  return drizzle(withBusyRetry(d1), { schema });
}

export type Database = ReturnType<typeof createDb>;
export { schema };
