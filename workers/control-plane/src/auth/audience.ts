import type { Scope } from './scopes.ts';

/** The three faces of the management API that serve the same resource to different callers (usage, alerts). */
export type Audience = 'devportal' | 'publisher' | 'admin';

/** The scope each audience needs to read what it is shown. */
export const READ_SCOPE: Record<Audience, Scope> = { devportal: 'apps:manage', publisher: 'api:view', admin: 'admin:audit' };
