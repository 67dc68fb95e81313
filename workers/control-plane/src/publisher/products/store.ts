import { and, asc, eq, inArray, or } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import type { Principal } from '../../auth/principal.ts';
import { schema, type Database } from '../../db.ts';
import { publishSnapshot } from '../../gateway-sync/snapshot.ts';
import type { ProductState, ProductView } from './schemas.ts';

type ApiRow = typeof schema.apis.$inferSelect;
type OperationInput = { apiId: string; method: string; path: string };

/** WSO2's product lifecycle: the API lifecycle without PRE-RELEASED and BLOCKED. */
export const PRODUCT_TRANSITIONS: Record<ProductState, readonly ProductState[]> = {
  CREATED: ['PUBLISHED'],
  PUBLISHED: ['CREATED', 'DEPRECATED'],
  DEPRECATED: ['RETIRED'],
  RETIRED: [],
};

export { SERVED_PRODUCT_STATES } from '../../gateway-sync/products.ts';

/** APIs whose operations may be bundled: their calls pass the throttling step that knows products (WS and SSE hold their subscription's connection slots instead). */
const BUNDLED_TYPES: ReadonlyArray<ApiRow['type']> = ['HTTP', 'GRAPHQL'];

/**
 * Checks a product's operations and answers their rows: every API must be one the caller manages
 * (anything else reads as not existing, as `manageableApi` says), of a type products carry, and
 * have the resource named; no operation twice. Each refusal names its field.
 */
export async function checkOperations(
  db: Database,
  principal: Principal,
  operations: readonly OperationInput[],
): Promise<Map<string, ApiRow>> {
  const apiIds = [...new Set(operations.map((o) => o.apiId))];
  const [apiRows, resources, shared] = await db.batch([
    db
      .select()
      .from(schema.apis)
      .where(and(inArray(schema.apis.id, apiIds), eq(schema.apis.kind, 'API'))),
    db
      .select({ apiId: schema.apiResources.apiId, method: schema.apiResources.method, path: schema.apiResources.pathTemplate })
      .from(schema.apiResources)
      .where(inArray(schema.apiResources.apiId, apiIds)),
    db
      .select({ apiId: schema.apiCollaborators.apiId })
      .from(schema.apiCollaborators)
      .where(and(inArray(schema.apiCollaborators.apiId, apiIds), eq(schema.apiCollaborators.userId, principal.userId))),
  ]);
  const sharedIds = new Set(shared.map((s) => s.apiId));
  const manageable = new Map(
    apiRows
      .filter((a) => principal.role === 'admin' || a.providerId === principal.userId || sharedIds.has(a.id))
      .map((a) => [a.id, a] as const),
  );
  const has = new Set(resources.map((r) => `${r.apiId} ${r.method} ${r.path}`));
  const seen = new Set<string>();
  const errors = operations.flatMap((o, i): Array<{ pointer: string; detail: string }> => {
    const api = manageable.get(o.apiId);
    if (api === undefined) return [{ pointer: `/operations/${i}/apiId`, detail: `No API ${o.apiId} that you manage` }];
    if (!BUNDLED_TYPES.includes(api.type))
      return [
        { pointer: `/operations/${i}/apiId`, detail: `${api.name} is a ${api.type} API; products bundle HTTP and GraphQL operations` },
      ];
    const key = `${o.apiId} ${o.method} ${o.path}`;
    if (!has.has(key))
      return [{ pointer: `/operations/${i}/path`, detail: `${api.name} ${api.version} has no resource ${o.method} ${o.path}` }];
    if (seen.has(key)) return [{ pointer: `/operations/${i}`, detail: `${o.method} ${o.path} of ${api.name} is listed twice` }];
    seen.add(key);
    return [];
  });
  if (errors.length > 0) throw new ApiError('validation-failed', { detail: errors.map((e) => e.detail).join('; '), errors });
  return manageable;
}

/** A product the caller may manage (admins: every one; publishers: their own and those shared with them); anything else is 404. */
export async function manageableProduct(db: Database, principal: Principal, productId: string): Promise<ApiRow> {
  const row = (
    await db
      .select()
      .from(schema.apis)
      .where(and(eq(schema.apis.id, productId), eq(schema.apis.kind, 'PRODUCT')))
      .limit(1)
  )[0];
  if (row !== undefined && (principal.role === 'admin' || row.providerId === principal.userId)) return row;
  if (row !== undefined) {
    const shared = await db
      .select({ apiId: schema.apiCollaborators.apiId })
      .from(schema.apiCollaborators)
      .where(and(eq(schema.apiCollaborators.apiId, productId), eq(schema.apiCollaborators.userId, principal.userId)))
      .limit(1);
    if (shared.length > 0) return row;
  }
  throw new ApiError('not-found', { detail: 'No such API product' });
}

/** The products a caller manages, newest first (admins: all). */
export async function manageableProducts(db: Database, principal: Principal): Promise<ApiRow[]> {
  const isProduct = eq(schema.apis.kind, 'PRODUCT');
  const shared = db
    .select({ id: schema.apiCollaborators.apiId })
    .from(schema.apiCollaborators)
    .where(eq(schema.apiCollaborators.userId, principal.userId));
  return db
    .select()
    .from(schema.apis)
    .where(
      principal.role === 'admin'
        ? isProduct
        : and(isProduct, or(eq(schema.apis.providerId, principal.userId), inArray(schema.apis.id, shared))),
    )
    .orderBy(asc(schema.apis.createdAt))
    .limit(500);
}

/** Each product's operations with their APIs' names, in the product's order. */
export async function productOperations(db: Database, productIds: readonly string[]): Promise<Map<string, ProductView['operations']>> {
  const out = new Map<string, ProductView['operations']>(productIds.map((id) => [id, []]));
  if (productIds.length === 0) return out;
  const o = schema.apiProductOperations;
  const rows = await db
    .select({
      productId: o.productId,
      apiId: o.apiId,
      method: o.method,
      path: o.pathTemplate,
      apiName: schema.apis.name,
      apiContext: schema.apis.context,
      apiVersion: schema.apis.version,
    })
    .from(o)
    .innerJoin(schema.apis, eq(schema.apis.id, o.apiId))
    .where(inArray(o.productId, [...productIds]))
    .orderBy(asc(o.sortOrder));
  for (const { productId, ...op } of rows) out.get(productId)?.push(op);
  return out;
}

export function productView(row: ApiRow, operations: ProductView['operations']): ProductView {
  return {
    id: row.id,
    kind: 'PRODUCT',
    name: row.name,
    context: row.context,
    version: row.version,
    description: row.description,
    tags: row.tags,
    lifecycleState: row.lifecycleState,
    visibility: row.visibility,
    visibleRoles: row.visibleRoles,
    providerId: row.providerId,
    subscriptionTiers: row.subscriptionTiers,
    operations,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

/**
 * Recompiles the snapshot of every environment where one of `apiIds` is deployed: the snapshot
 * carries, per resource, the products that admit its calls, so a product's publish, change or
 * retirement reaches the gateways as an API's deploy does.
 */
export async function republishProductApis(env: Env, db: Database, apiIds: readonly string[]): Promise<void> {
  if (apiIds.length === 0) return;
  const rows = await db
    .selectDistinct({ environmentId: schema.deployments.environmentId })
    .from(schema.deployments)
    .where(inArray(schema.deployments.apiId, [...apiIds]));
  for (const { environmentId } of rows) await publishSnapshot(env, db, environmentId);
}
