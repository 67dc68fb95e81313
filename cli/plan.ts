/**
 * What `apply` would change: the project's API against the control plane's, field by field, and
 * the one PATCH (plus at most one lifecycle transition) that makes them equal. Equal means equal
 * after the server's own normalisation, so re-applying an unchanged project sends nothing.
 */
import type { ApiView, CreateApi } from '../workers/control-plane/src/publisher/apis/schemas.ts';
import type { LifecycleState } from '../workers/shared/db/schema.ts';
import { equal, fieldChanges, resourceChanges, type Change } from '../workers/shared/definition-diff.ts';

export { canonical, formatChanges } from '../workers/shared/definition-diff.ts';

export type { Change };

export interface Plan {
  /** Undefined when the API does not exist yet: `apply` creates it. */
  apiId: string | undefined;
  changes: Change[];
  patch: Record<string, unknown>;
  lifecycle: { from: LifecycleState; to: LifecycleState } | undefined;
}

const FIELDS = [
  'name',
  'description',
  'tags',
  'isDefaultVersion',
  'visibility',
  'visibleRoles',
  'subscriptionTiers',
  'apiThrottlingPolicy',
  'apiKeyHeader',
  'backendJwt',
  'cors',
  'headerEdits',
  'policies',
  'streaming',
  'graphql',
] as const;

/** `openapi` null: a GraphQL API, whose definition is its schema (compared as the `graphql` field). */
type DesiredApi = Omit<CreateApi, 'openapi'> & { openapi: Record<string, unknown> | null };

export function planCreate(desired: DesiredApi, lifecycle: LifecycleState | undefined): Plan {
  const changes: Change[] = [
    { action: '+', field: 'api', to: `${desired.name} ${desired.context} ${desired.version}` },
    ...desired.resources.map((r): Change => ({
      action: '+',
      field: `resource ${r.method} ${r.path}`,
      to: {
        authType: r.authType,
        scopes: r.scopes,
        throttlingPolicy: r.throttlingPolicy,
        ...(r.policies === undefined || r.policies.length === 0 ? {} : { policies: r.policies }),
      },
    })),
  ];
  if (lifecycle !== undefined && lifecycle !== 'CREATED') changes.push({ action: '~', field: 'lifecycle', from: 'CREATED', to: lifecycle });
  return {
    apiId: undefined,
    changes,
    patch: {},
    lifecycle: lifecycle !== undefined && lifecycle !== 'CREATED' ? { from: 'CREATED', to: lifecycle } : undefined,
  };
}

export function planUpdate(
  desired: DesiredApi,
  lifecycle: LifecycleState | undefined,
  remote: ApiView,
  remoteDocument: Record<string, unknown>,
  options: { resendSecrets: boolean } = { resendSecrets: false },
): Plan {
  const changes: Change[] = [];
  const patch: Record<string, unknown> = {};
  const want: Record<string, unknown> = { ...desired, apiKeyHeader: desired.apiKeyHeader.toLowerCase() };
  for (const change of fieldChanges(remote, want, FIELDS)) {
    changes.push(change);
    patch[change.field] = want[change.field];
  }

  const resources = resourceChanges(remote.resources, desired.resources);
  changes.push(...resources);
  if (resources.length > 0) patch.resources = desired.resources;

  // Endpoint secrets are write-only: compared by kind and user / header name (what the server
  // shows); a changed secret value alone is sent with --resend-secrets.
  const endpoints: Record<string, unknown> = {};
  for (const kind of ['production', 'sandbox'] as const) {
    const wantFull = desired.endpoints[kind] ?? null;
    const haveFull = remote.endpoints[kind] ?? null;
    const { security: wantSecurity, ...want } = wantFull ?? {};
    const { security: haveSecurity, ...have } = haveFull ?? {};
    const described =
      wantSecurity === undefined || wantSecurity === null
        ? null
        : wantSecurity.type === 'basic'
          ? { type: 'basic', username: wantSecurity.username }
          : { type: 'header', name: wantSecurity.name.toLowerCase() };
    const securityChanged = !equal(described, haveSecurity ?? null) || (options.resendSecrets && described !== null);
    if ((wantFull === null) !== (haveFull === null) || !equal(want, have) || securityChanged) {
      const show = (e: typeof have, s: unknown) => (e === null || Object.keys(e).length === 0 ? undefined : { ...e, security: s });
      changes.push({
        action: haveFull === null ? '+' : wantFull === null ? '-' : '~',
        field: `endpoints.${kind}`,
        from: show(have, haveSecurity ?? null),
        to: show(want, described),
      });
      endpoints[kind] = wantFull === null ? null : { ...want, ...(securityChanged ? { security: wantSecurity ?? null } : {}) };
    }
  }
  if (Object.keys(endpoints).length > 0) patch.endpoints = endpoints;

  // The type is fixed at creation: a project that changed it names another API.
  if (desired.type !== remote.type) changes.push({ action: '~', field: 'type', from: remote.type, to: desired.type });
  // A WebSocket API's definition is AsyncAPI, read into its resources; a GraphQL API has none: no OpenAPI document to compare.
  if (desired.type !== 'WS' && desired.openapi !== null && !equal(desired.openapi, remoteDocument)) {
    changes.push({ action: '~', field: 'definition', from: '(stored document)', to: '(project document)' });
    patch.openapi = desired.openapi;
  }
  const move = lifecycle !== undefined && lifecycle !== remote.lifecycleState ? { from: remote.lifecycleState, to: lifecycle } : undefined;
  if (move !== undefined) changes.push({ action: '~', field: 'lifecycle', from: move.from, to: move.to });
  return { apiId: remote.id, changes, patch, lifecycle: move };
}
