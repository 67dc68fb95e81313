import type { KeyType } from '../../../shared/db/schema.ts';
import type { GatewaySnapshot, SnapshotApi, SnapshotEndpoint, SnapshotResource } from '../../../shared/snapshot.ts';
import type { CallStep, GatewayCall } from '../call.ts';
import { BACKEND_JWT_HEADER, backendJwt } from './backend-jwt.ts';
import { backendSecurity } from './endpoint-security.ts';

/** The key type whose endpoint an open resource is proxied to: the environment's, production first. */
export function openKeyType(snapshot: GatewaySnapshot): KeyType {
  const served = snapshot.keyTypes;
  return served === undefined || served.includes('PRODUCTION') ? 'PRODUCTION' : 'SANDBOX';
}

/** The endpoint this call goes to: its caller's key type, or the environment's on an open resource. */
export function endpointOf(api: SnapshotApi, call: GatewayCall, open: KeyType): SnapshotEndpoint | undefined {
  return api.endpoints[call.caller?.keyType ?? open];
}

/** Signs the backend JWT (X-JWT-Assertion) with the caller's context; only for token callers of an API that asks for it. */
export function backendJwtStep(api: SnapshotApi, resource: SnapshotResource): CallStep | null {
  if (!api.backendJwt || resource.authType === 'none') return null;
  return async function backendJwt_(call) {
    const claims = call.caller?.claims ?? null;
    if (claims === null || call.tier === null) return;
    call.extraHeaders[BACKEND_JWT_HEADER] = await backendJwt(call.x.env, claims, api, call.tier);
  };
}

/** The endpoint's own credentials (basic, API key, OAuth2 client credentials), unsealed and added last. */
export function backendSecurityStep(snapshot: GatewaySnapshot, api: SnapshotApi): CallStep | null {
  if (api.endpoints.PRODUCTION?.security === undefined && api.endpoints.SANDBOX?.security === undefined) return null;
  const open = openKeyType(snapshot);
  return async function backendSecurity_(call) {
    const sealed = endpointOf(api, call, open)?.security;
    if (sealed !== undefined) Object.assign(call.extraHeaders, await backendSecurity(call.x.env, sealed));
  };
}
