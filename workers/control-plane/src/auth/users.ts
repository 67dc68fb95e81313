import type { BatchItem } from 'drizzle-orm/batch';
import type { Role } from '../../../shared/db/schema.ts';
import { hashPassword } from '../../../shared/crypto.ts';
import { newId } from '../../../shared/ids.ts';
import { ApiError } from '../../../shared/problem.ts';
import { auditEntry } from '../audit.ts';
import { schema, type Database } from '../db.ts';
import type { Principal } from './principal.ts';

export interface NewUser {
  email: string;
  password: string;
  displayName: string;
  role: Role;
  status?: 'ACTIVE' | 'PENDING';
  /** False for a self sign-up until its link is followed; default true (made by an admin or a script). */
  emailVerified?: boolean;
  /** When the caller needs the id first (to issue a token in the same batch). */
  id?: string;
}

/**
 * Creates a user (password hashed) with its audit row in one batch; `extra` statements ride the same
 * batch (e.g. a sign-up approval request). A taken email is a 409 naming the field.
 */
export async function createUser(
  db: Database,
  actor: Pick<Principal, 'userId' | 'email'> | null,
  input: NewUser,
  action: string,
  extra: (id: string) => BatchItem<'sqlite'>[] = () => [],
) {
  const id = input.id ?? newId('user');
  const status = input.status ?? 'ACTIVE';
  try {
    const [rows] = await db.batch([
      db
        .insert(schema.users)
        .values({
          id,
          email: input.email,
          displayName: input.displayName,
          passwordHash: await hashPassword(input.password),
          role: input.role,
          status,
          emailVerified: input.emailVerified ?? true,
        })
        .returning(),
      auditEntry(db, actor ?? { userId: id, email: input.email }, action, { type: 'user', id }, null, {
        email: input.email,
        role: input.role,
        status,
      }),
      ...extra(id),
    ]);
    const row = rows[0];
    if (row === undefined) throw new ApiError('internal');
    return row;
  } catch (err) {
    if (/UNIQUE constraint failed: users\.email/.test(String(err)))
      throw new ApiError('conflict', { detail: 'An account with this email exists', errors: [{ pointer: '/email', detail: 'Taken' }] });
    throw err;
  }
}
