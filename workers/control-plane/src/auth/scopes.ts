import type { Role } from '../../../shared/db/schema.ts';

/** Management API scopes, in the spirit of WSO2's `apim:*` REST API scopes. */
export const SCOPES = [
  'api:view',
  'api:create',
  'api:publish',
  'api:deploy',
  'api:subscriptions',
  'apps:manage',
  'subscriptions:manage',
  'admin:policies',
  'admin:blocking',
  'admin:environments',
  'admin:users',
  'admin:workflows',
  'admin:audit',
  'admin:settings',
] as const;
export type Scope = (typeof SCOPES)[number];

export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  admin: SCOPES,
  publisher: ['api:view', 'api:create', 'api:publish', 'api:deploy', 'api:subscriptions'],
  developer: ['apps:manage', 'subscriptions:manage'],
};
