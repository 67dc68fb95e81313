import type { User } from '../api/types.ts';

/** One name per role in everything the portal shows, the same as the API's (decision 0057). */
export const ROLE_LABEL: Record<User['role'], string> = { developer: 'Developer', publisher: 'Publisher', admin: 'Admin' };
/** The same, for a group: "Developers". */
export const ROLE_PLURAL: Record<User['role'], string> = { developer: 'Developers', publisher: 'Publishers', admin: 'Admins' };
