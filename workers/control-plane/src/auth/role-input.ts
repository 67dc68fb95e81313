import { z } from '@hono/zod-openapi';
import { ROLES, roleNamed } from '../../../shared/roles.ts';

/**
 * A role in a request: one of ROLES, or an old name (`subscriber`), accepted as a deprecated alias
 * and parsed to its current name (decision 0057), so nothing stores or answers the old one. The
 * OpenAPI document lists the current names only; the preprocess step is invisible to it.
 */
export const RoleInput = z
  .preprocess((value) => roleNamed(value) ?? value, z.enum(ROLES))
  .openapi({ description: "A role; 'subscriber', the developer role's old name, is accepted as a deprecated alias of 'developer'" });

/** A list of roles in a request, each role once after old names are mapped. */
export const RoleListInput = z
  .array(RoleInput)
  .max(ROLES.length + 1)
  .transform((roles) => [...new Set(roles)]);
