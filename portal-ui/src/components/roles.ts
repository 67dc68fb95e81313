import type { User } from '../api/types.ts';

/**
 * One name per role in everything the portal shows: the stored role `subscriber` (WSO2's name, kept
 * in the API and the database) is a "developer" on every page.
 */
export const ROLE_LABEL: Record<User['role'], string> = { subscriber: 'Developer', publisher: 'Publisher', admin: 'Admin' };
/** The same, for a group: "Developers". */
export const ROLE_PLURAL: Record<User['role'], string> = { subscriber: 'Developers', publisher: 'Publishers', admin: 'Admins' };
