import { describeSecurity } from '../../../../shared/endpoint-security.ts';
import { and, eq, inArray, or } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import type { Principal } from '../../auth/principal.ts';
import { schema, type Database } from '../../db.ts';
import type { ApiView } from './schemas.ts';
import type { ApiKind } from '../../../../shared/db/schema.ts';

type ApiRow = typeof schema.apis.$inferSelect;

/** The API with its resources and endpoints, as the publisher API shows it. */
export async function apiView(db: Database, api: ApiRow): Promise<ApiView> {
  const [resources, endpoints] = await db.batch([
    db.select().from(schema.apiResources).where(eq(schema.apiResources.apiId, api.id)).orderBy(schema.apiResources.sortOrder),
    db.select().from(schema.endpoints).where(eq(schema.endpoints.apiId, api.id)),
  ]);
  const endpoint = (keyType: 'PRODUCTION' | 'SANDBOX') => {
    const e = endpoints.find((x) => x.keyType === keyType);
    return e === undefined
      ? undefined
      : { strategy: e.strategy, urls: e.urls, suspendSeconds: e.suspendSeconds, security: describeSecurity(e.securityCiphertext) };
  };
  return {
    id: api.id,
    type: api.type,
    name: api.name,
    context: api.context,
    version: api.version,
    graphql: api.graphql,
    description: api.description,
    tags: api.tags,
    isDefaultVersion: api.isDefaultVersion,
    lifecycleState: api.lifecycleState,
    visibility: api.visibility,
    visibleRoles: api.visibleRoles,
    providerId: api.providerId,
    subscriptionTiers: api.subscriptionTiers,
    apiThrottlingPolicy: api.apiThrottlingPolicy,
    apiKeyHeader: api.apiKeyHeader,
    backendJwt: api.backendJwt,
    cors: api.cors as ApiView['cors'],
    headerEdits: api.headerEdits as ApiView['headerEdits'],
    policies: api.policies,
    streaming: api.streaming,
    resources: resources.map((r) => ({
      id: r.id,
      method: r.method,
      path: r.pathTemplate,
      authType: r.authType,
      scopes: r.scopes,
      throttlingPolicy: r.throttlingPolicy,
      policies: r.policies,
    })),
    endpoints: { production: endpoint('PRODUCTION'), sandbox: endpoint('SANDBOX') },
    createdAt: api.createdAt,
    updatedAt: api.updatedAt,
  };
}

/** What the routes that apply to APIs and API products alike (documents, subscriptions, collaborators, ratings) accept. */
export const API_OR_PRODUCT: readonly ApiKind[] = ['API', 'PRODUCT'];

/**
 * An API the caller may manage: admins see every API, publishers the ones they provide or that are
 * shared with them. Anything else answers 404, exactly like an id that does not exist. `kinds`: an
 * API product (decision 0049) is a row of the same table, found here only by the routes that serve both.
 */
export async function manageableApi(
  db: Database,
  principal: Principal,
  apiId: string,
  kinds: readonly ApiKind[] = ['API'],
): Promise<ApiRow> {
  const found = (await db.select().from(schema.apis).where(eq(schema.apis.id, apiId)).limit(1))[0];
  const row = found !== undefined && kinds.includes(found.kind) ? found : undefined;
  if (row !== undefined && (principal.role === 'admin' || row.providerId === principal.userId)) return row;
  if (row !== undefined) {
    const shared = await db
      .select({ apiId: schema.apiCollaborators.apiId })
      .from(schema.apiCollaborators)
      .where(and(eq(schema.apiCollaborators.apiId, apiId), eq(schema.apiCollaborators.userId, principal.userId)))
      .limit(1);
    if (shared.length > 0) return row;
  }
  throw new ApiError('not-found', { detail: 'No such API' });
}

/** Ids of the APIs a publisher may see (null: all, for admins). */
export async function manageableApiIds(db: Database, principal: Principal): Promise<string[] | null> {
  if (principal.role === 'admin') return null;
  const shared = db
    .select({ id: schema.apiCollaborators.apiId })
    .from(schema.apiCollaborators)
    .where(eq(schema.apiCollaborators.userId, principal.userId));
  const rows = await db
    .select({ id: schema.apis.id })
    .from(schema.apis)
    .where(or(eq(schema.apis.providerId, principal.userId), inArray(schema.apis.id, shared)));
  return rows.map((r) => r.id);
}
