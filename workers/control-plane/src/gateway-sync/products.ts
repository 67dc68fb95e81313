import { and, eq, inArray } from 'drizzle-orm';
import { schema, type Database } from '../db.ts';

/** The states in which gateways admit a product's subscriptions: a deprecated product takes no new ones but keeps its subscribers. */
export const SERVED_PRODUCT_STATES = ['PUBLISHED', 'DEPRECATED'] as const;

/** Products by operation: `${apiId} ${method} ${pathTemplate}` → the ids of the served products that bundle it. */
export type ProductsByOperation = ReadonlyMap<string, readonly string[]>;

const operationKey = (apiId: string, method: string, path: string) => `${apiId} ${method} ${path}`;

/**
 * Every operation of a product that gateways serve (PUBLISHED or DEPRECATED; decision 0049), read
 * once per compile. One query however many APIs the environment serves: filtered by product state,
 * not by a list of API ids (D1 binds at most 100 parameters).
 */
export async function servedProductOperations(db: Database): Promise<ProductsByOperation> {
  const o = schema.apiProductOperations;
  const rows = await db
    .select({ productId: o.productId, apiId: o.apiId, method: o.method, path: o.pathTemplate })
    .from(o)
    .innerJoin(schema.apis, eq(schema.apis.id, o.productId))
    .where(and(eq(schema.apis.kind, 'PRODUCT'), inArray(schema.apis.lifecycleState, [...SERVED_PRODUCT_STATES])))
    .orderBy(o.productId);
  const out = new Map<string, string[]>();
  for (const r of rows) {
    const key = operationKey(r.apiId, r.method, r.path);
    const list = out.get(key);
    if (list === undefined) out.set(key, [r.productId]);
    else list.push(r.productId);
  }
  return out;
}

/** The `products` field of a snapshot resource: left out when no product bundles it, so snapshots of APIs in no product stay as they were. */
export function productsOf(products: ProductsByOperation, apiId: string, method: string, path: string): { products?: readonly string[] } {
  const ids = products.get(operationKey(apiId, method, path));
  return ids === undefined ? {} : { products: ids };
}
