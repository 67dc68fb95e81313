import { and, eq, getTableColumns, ne } from 'drizzle-orm';
import type { StoredDocument } from '../openapi/documents.ts';
import type { BatchItem } from 'drizzle-orm/batch';
import { storeSecurity } from '../../../../shared/endpoint-security.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import type { Principal } from '../../auth/principal.ts';
import { schema, type Database } from '../../db.ts';
import type { CreateApi } from './schemas.ts';
import { checkGraphql, graphqlPolicies } from '../graphql/schema.ts';

const GRAPHQL_RESOURCES = ['POST', 'GET'] as const;

// D1 binds at most 100 parameters per statement; a resource row takes one per column (derived, so
// a new column cannot push a full chunk over the limit again).
export const RESOURCES_PER_INSERT = Math.floor(100 / Object.keys(getTableColumns(schema.apiResources)).length);

/** Endpoint security as stored (sealed), per key type; an input's `security` is sealed by `sealEndpointSecurity`. */
export type SealedSecurity = Partial<Record<'production' | 'sandbox', string | null>>;

export async function sealEndpointSecurity(key: string, endpoints: CreateApi['endpoints']): Promise<SealedSecurity> {
  const out: SealedSecurity = {};
  for (const kind of ['production', 'sandbox'] as const) {
    const security = endpoints[kind]?.security;
    if (security !== undefined) out[kind] = security === null ? null : await storeSecurity(key, security);
  }
  return out;
}

/**
 * Creates an API with its resources and endpoints in one batch (never half an API), as the provider
 * `principal`. `document` is the imported document as stored (storeDocument), kept for export.
 */
export async function createApi(
  db: Database,
  principal: Principal,
  body: CreateApi,
  document: StoredDocument | null,
  sealed: SealedSecurity = {},
) {
  assertVisibility(body.visibility, body.visibleRoles);
  assertChannelMethods(body.type, body.resources);
  checkGraphql(body.type, body.graphql);
  // A GraphQL API is one endpoint: queries by POST (and GET), at the API's context.
  const resources =
    body.type === 'GRAPHQL' && body.resources.length === 0
      ? GRAPHQL_RESOURCES.map((method) => ({
          method,
          path: '/',
          authType: 'oauth2_or_api_key' as const,
          scopes: [],
          throttlingPolicy: null,
        }))
      : body.resources;
  await assertPoliciesExist(
    db,
    body.subscriptionTiers,
    body.apiThrottlingPolicy,
    resources.map((r) => r.throttlingPolicy),
    graphqlPolicies(body.graphql),
  );
  const seen = new Set<string>();
  resources.forEach((r, i) => {
    const key = `${r.method} ${r.path}`;
    if (seen.has(key))
      throw new ApiError('validation-failed', {
        detail: `Resource ${key} is listed twice`,
        errors: [{ pointer: `/resources/${i}`, detail: `Duplicate resource ${key}` }],
      });
    seen.add(key);
  });
  const taken = await db
    .select({ id: schema.apis.id })
    .from(schema.apis)
    .where(and(eq(schema.apis.context, body.context), eq(schema.apis.version, body.version)))
    .limit(1);
  if (taken.length > 0)
    throw new ApiError('conflict', {
      detail: `${body.context} ${body.version} already exists`,
      errors: [{ pointer: '/context', detail: 'Context and version are taken' }],
    });
  const id = newId('api');
  const resourceRows = resources.map((r, i) => ({
    id: newId('resource'),
    apiId: id,
    method: r.method,
    pathTemplate: r.path,
    authType: r.authType,
    scopes: r.scopes,
    throttlingPolicy: r.throttlingPolicy,
    policies: 'policies' in r ? (r.policies ?? []) : [],
    sortOrder: i,
  }));
  const chunks: BatchItem<'sqlite'>[] = [];
  for (let i = 0; i < resourceRows.length; i += RESOURCES_PER_INSERT)
    chunks.push(db.insert(schema.apiResources).values(resourceRows.slice(i, i + RESOURCES_PER_INSERT)));
  try {
    await db.batch([
      db.insert(schema.apis).values({
        id,
        type: body.type,
        streaming: body.type === 'WS' || body.type === 'SSE' ? body.streaming : null,
        name: body.name,
        context: body.context,
        version: body.version,
        graphql: body.type === 'GRAPHQL' ? body.graphql : null,
        description: body.description,
        tags: body.tags,
        isDefaultVersion: body.isDefaultVersion,
        visibility: body.visibility,
        visibleRoles: body.visibleRoles,
        providerId: principal.userId,
        subscriptionTiers: body.subscriptionTiers,
        apiThrottlingPolicy: body.apiThrottlingPolicy,
        apiKeyHeader: body.apiKeyHeader.toLowerCase(),
        cors: body.cors,
        backendJwt: body.backendJwt,
        headerEdits: body.headerEdits,
        policies: body.policies,
        openapi: document?.openapi ?? null,
        openapiKey: document?.openapiKey ?? null,
      }),
      ...chunks,
      // One default version per context.
      ...(body.isDefaultVersion
        ? [
            db
              .update(schema.apis)
              .set({ isDefaultVersion: false })
              .where(and(eq(schema.apis.context, body.context), ne(schema.apis.id, id))),
          ]
        : []),
      ...(['production', 'sandbox'] as const).flatMap((kind) => {
        const e = body.endpoints[kind];
        return e === undefined
          ? []
          : [
              db.insert(schema.endpoints).values({
                id: newId('endpoint'),
                apiId: id,
                keyType: kind === 'production' ? 'PRODUCTION' : 'SANDBOX',
                strategy: e.strategy,
                urls: e.urls,
                suspendSeconds: e.suspendSeconds,
                securityCiphertext: sealed[kind] ?? null,
              }),
            ];
      }),
      auditEntry(db, principal, document === null ? 'api.create' : 'api.import', { type: 'api', id }, null, {
        name: body.name,
        context: body.context,
        version: body.version,
        type: body.type,
        resources: resources.length,
      }),
    ]);
  } catch (err) {
    if (/UNIQUE constraint failed: apis/.test(String(err)))
      throw new ApiError('conflict', { detail: `${body.context} ${body.version} already exists` });
    throw err;
  }
  const row = (await db.select().from(schema.apis).where(eq(schema.apis.id, id)).limit(1))[0];
  if (row === undefined) throw new ApiError('internal');
  return row;
}

/** Every policy an API names must exist with the right kind; the field at fault is named. */
export async function assertPoliciesExist(
  db: Database,
  tiers: string[],
  apiPolicy: string | null,
  resourcePolicies: Array<string | null>,
  operationPolicies: string[] = [],
): Promise<void> {
  const policies = await db
    .select({ kind: schema.throttlingPolicies.kind, name: schema.throttlingPolicies.name })
    .from(schema.throttlingPolicies);
  const has = (kind: string, name: string) => policies.some((p) => p.kind === kind && p.name === name);
  const errors = [
    ...tiers.flatMap((t, i) =>
      has('subscription', t) ? [] : [{ pointer: `/subscriptionTiers/${i}`, detail: `No subscription tier named ${t}` }],
    ),
    ...(apiPolicy === null || has('advanced', apiPolicy)
      ? []
      : [{ pointer: '/apiThrottlingPolicy', detail: `No advanced policy named ${apiPolicy}` }]),
    ...resourcePolicies.flatMap((p, i) =>
      p === null || has('advanced', p) ? [] : [{ pointer: `/resources/${i}/throttlingPolicy`, detail: `No advanced policy named ${p}` }],
    ),
    ...operationPolicies.flatMap((p) =>
      has('advanced', p) ? [] : [{ pointer: '/graphql/operationPolicies', detail: `No advanced policy named ${p}` }],
    ),
  ];
  if (errors.length > 0) throw new ApiError('validation-failed', { detail: errors.map((e) => e.detail).join('; '), errors });
}

/** A WebSocket API's resources are its channels, each opened by a handshake: a GET (RFC 6455 §4.1). */
export function assertChannelMethods(type: string, resources: ReadonlyArray<{ method: string }>): void {
  if (type !== 'WS') return;
  const errors = resources.flatMap((r, i) =>
    r.method === 'GET' ? [] : [{ pointer: `/resources/${i}/method`, detail: `A WebSocket channel is opened with GET, not ${r.method}` }],
  );
  if (errors.length > 0)
    throw new ApiError('validation-failed', { detail: 'The resources of a WebSocket API are channels, opened with GET', errors });
}

/** RESTRICTED names the roles that may see the API; the other visibilities name none. */
export function assertVisibility(visibility: string | undefined, roles: readonly string[] | undefined): void {
  if (visibility === 'RESTRICTED' && (roles ?? []).length === 0)
    throw new ApiError('validation-failed', {
      detail: 'A RESTRICTED API names the roles that may see it',
      errors: [{ pointer: '/visibleRoles', detail: 'Name at least one role' }],
    });
  if (visibility !== undefined && visibility !== 'RESTRICTED' && (roles ?? []).length > 0)
    throw new ApiError('validation-failed', {
      detail: 'Only RESTRICTED APIs have visible roles',
      errors: [{ pointer: '/visibleRoles', detail: `Not used with ${visibility}` }],
    });
}
