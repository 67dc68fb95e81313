import type { Scope } from '../auth/scopes.ts';
import { SESSION_COOKIE } from '../auth/session.ts';

/**
 * How a management operation says who may call it: OpenAPI `security` requirements, read by the
 * operation guard (`http/operation-guard.ts`) before any validator runs and rendered into
 * /api/openapi.json. An operation that says nothing requires a signed-in caller (secure by default).
 */
export const SECURITY_SCHEMES = {
  managementToken: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'tpm_…',
    description: 'A management token created under /api/auth/tokens',
  },
  session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE, description: 'The portal session cookie set by /api/auth/login' },
} as const;

export type SecurityRequirement = Record<string, string[]>;

/**
 * Signed in (either scheme) and holding every scope listed. OpenAPI 3.1 §4.8.30 lets the array of a
 * non-OAuth scheme list the roles required; here it lists the management scopes.
 */
export function requires(...scopes: Scope[]): SecurityRequirement[] {
  return [{ managementToken: [...scopes] }, { session: [...scopes] }];
}

/** Anyone, signed in or not (OpenAPI: an empty list of requirements). */
export const PUBLIC: SecurityRequirement[] = [];

/** Anyone; a signed-in caller may see more (OpenAPI: the empty requirement `{}` makes auth optional). */
export const OPTIONALLY_SIGNED_IN: SecurityRequirement[] = [{}, ...requires()];
