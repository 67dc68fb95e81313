import type { Role } from '../../../shared/db/schema.ts';
import type { Scope } from './scopes.ts';

/** Who is calling the management API, and how they proved it. */
export interface Principal {
  readonly userId: string;
  readonly email: string;
  readonly role: Role;
  readonly scopes: ReadonlySet<Scope>;
  readonly via: 'session' | 'token';
}
