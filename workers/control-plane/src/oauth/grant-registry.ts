/**
 * The grants the token endpoint knows, in one place: the RFC 8414 metadata's
 * `grant_types_supported`, the developer portal's choice of grants and the token endpoint's
 * dispatch all read this list, so what is advertised is what a client can actually get.
 */
import { JWT_BEARER, jwtBearerGrant } from './jwt-bearer.ts';
import { OAuthError } from './errors.ts';
import {
  authorizationCodeGrant,
  clientCredentialsGrant,
  passwordGrant,
  refreshTokenGrant,
  type GrantRequest,
  type TokenResponse,
} from './grants.ts';

export interface Grant {
  readonly type: string;
  /**
   * `self-service`: a developer picks it for their client, and it is advertised. `admin`: an admin
   * enables it for one client (the password grant, RFC 9700 §2.4: must not be used), so it is not
   * advertised — a client that reads the metadata cannot get it.
   */
  readonly enabledBy: 'self-service' | 'admin';
  readonly handle: (request: GrantRequest) => Promise<TokenResponse>;
}

export const GRANTS = [
  { type: 'client_credentials', enabledBy: 'self-service', handle: clientCredentialsGrant },
  { type: 'authorization_code', enabledBy: 'self-service', handle: authorizationCodeGrant },
  { type: 'refresh_token', enabledBy: 'self-service', handle: refreshTokenGrant },
  { type: JWT_BEARER, enabledBy: 'self-service', handle: jwtBearerGrant },
  { type: 'password', enabledBy: 'admin', handle: passwordGrant },
] as const satisfies readonly Grant[];

export type GrantType = (typeof GRANTS)[number]['type'];
type SelfServiceGrant = Extract<(typeof GRANTS)[number], { enabledBy: 'self-service' }>['type'];

function isSelfService(grant: (typeof GRANTS)[number]): grant is Extract<(typeof GRANTS)[number], { enabledBy: 'self-service' }> {
  return grant.enabledBy === 'self-service';
}

/** Grants a developer may choose for a client; a non-empty tuple, for `z.enum`. */
export const SELF_SERVICE_GRANT_TYPES = GRANTS.filter(isSelfService).map((g) => g.type) as [SelfServiceGrant, ...SelfServiceGrant[]];

/** RFC 8414 §2 `grant_types_supported`. */
export const ADVERTISED_GRANT_TYPES: readonly string[] = SELF_SERVICE_GRANT_TYPES;

/** The token endpoint's dispatch (RFC 6749 §5.2): unknown grant, then a grant this client may not use. */
export function grantFor(grantType: string, client: { readonly grantTypes: readonly string[] }): Grant {
  const grant = GRANTS.find((g) => g.type === grantType);
  if (grant === undefined) throw new OAuthError('unsupported_grant_type', `${grantType} is not supported`);
  if (!client.grantTypes.includes(grant.type)) {
    throw new OAuthError(
      'unauthorized_client',
      grant.enabledBy === 'admin'
        ? `The ${grant.type} grant is not enabled for this client (an admin can enable it)`
        : `This client may not use ${grant.type}`,
    );
  }
  return grant;
}
