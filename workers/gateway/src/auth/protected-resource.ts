import type { SnapshotApi } from '../../../shared/snapshot.ts';
import type { CompiledSnapshot } from '../snapshot/store.ts';

/** RFC 9728 §3: the well-known path, inserted between the host and the resource's own path. */
export const PROTECTED_RESOURCE_PATH = '/.well-known/oauth-protected-resource';

/** The metadata URL of an API as a resource (RFC 9728 §3.1), for `resource_metadata` in challenges (§5.1). */
export function resourceMetadataUrl(requestUrl: string, apiPath: string): string {
  return `${new URL(requestUrl).origin}${PROTECTED_RESOURCE_PATH}${apiPath}`;
}

/** An API's resource path: context and version, the one identifier for all its resources. */
export function apiPath(api: SnapshotApi): string {
  return `${api.context}/${api.version}`;
}

/**
 * RFC 9728 §5.1: a 401 or 403 Bearer challenge names the resource's metadata, so a client that was
 * refused can discover which authorization servers (Turnpike's own Key Manager and the external key
 * managers the API accepts) issue tokens for it.
 */
export function addResourceMetadata(headers: Headers, metadataUrl: string): void {
  const challenge = headers.get('www-authenticate');
  if (challenge === null || !/^bearer\b/i.test(challenge) || /resource_metadata=/.test(challenge)) return;
  headers.set('www-authenticate', `${challenge}, resource_metadata="${metadataUrl}"`);
}

export interface ProtectedResourceMetadata {
  readonly resource: string;
  readonly authorization_servers: readonly string[];
  readonly scopes_supported?: readonly string[];
  readonly bearer_methods_supported: readonly string[];
  readonly resource_name?: string;
}

/**
 * The metadata document (RFC 9728 §2) for `path` below the well-known prefix: the gateway as a
 * whole (empty path: every authorization server this environment accepts) or one API, found by its
 * context and version, or by its context alone for the default version. Null for any other path
 * (404). `resource` is exactly the identifier the URL was built from (§3.3).
 */
export async function protectedResourceMetadata(
  compiled: CompiledSnapshot,
  origin: string,
  path: string,
): Promise<ProtectedResourceMetadata | null> {
  const snapshot = compiled.snapshot;
  const external = snapshot.keyManagers ?? [];
  if (path === '' || path === '/') {
    return {
      resource: origin,
      authorization_servers: [snapshot.issuer, ...external.map((k) => k.issuer)],
      bearer_methods_supported: ['header'],
      resource_name: `Turnpike gateway (${snapshot.environment})`,
    };
  }
  // Through the routes, not `snapshot.apis`: a sharded snapshot's head holds no APIs (decision 0034).
  const routed = compiled.routes.match('GET', path);
  const match = routed instanceof Promise ? await routed : routed;
  const api =
    match !== null && (apiPath(match.api) === path || (match.api.isDefaultVersion && match.api.context === path)) ? match.api : undefined;
  if (api === undefined) return null;
  const names = api.keyManagers ?? [];
  const scopes = [...new Set(api.resources.flatMap((r) => r.scopes))].sort();
  return {
    resource: origin + path,
    authorization_servers: [snapshot.issuer, ...external.filter((k) => names.includes(k.name)).map((k) => k.issuer)],
    ...(scopes.length === 0 ? {} : { scopes_supported: scopes }),
    // RFC 6750 §2.1 only: the gateway refuses tokens in the query or the body.
    bearer_methods_supported: ['header'],
    resource_name: `${api.name} ${api.version}`,
  };
}
