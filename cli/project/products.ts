/**
 * API products in `turnpike.yaml` (decision 0049): a `products` list beside the `api`, each the
 * control plane's own create schema with its operations named as resources are ("GET /items": an
 * operation of this project's API; `{ api: "/billing v1", operation: "GET /invoices" }`: one of
 * another API on the same control plane) and the lifecycle state `apply` moves it to.
 */
import { z } from '@hono/zod-openapi';
import {
  CreateProductBody,
  PRODUCT_LIFECYCLE,
  type ProductView as Product,
} from '../../workers/control-plane/src/publisher/products/schemas.ts';
import { equal } from '../../workers/shared/definition-diff.ts';
import { CliError, type Output } from '../output.ts';
import type { ControlPlane } from '../remote.ts';
import { OPERATION_KEY } from './schema.ts';

const OperationKey = z.string().regex(OPERATION_KEY, 'An HTTP method and a path template, e.g. "GET /orders/{id}"');

export const ProductSection = CreateProductBody.omit({ operations: true }).extend({
  /** The state `apply` moves the product to (one legal transition at a time). */
  lifecycle: z.enum(PRODUCT_LIFECYCLE).optional(),
  operations: z
    .array(
      z.union([
        OperationKey,
        z.strictObject({
          api: z.string().regex(/^\/\S+ \S+$/, 'The API as "<context> <version>", e.g. "/billing v1"'),
          operation: OperationKey,
        }),
      ]),
    )
    .min(1)
    .max(500),
});
export type ProductSection = z.infer<typeof ProductSection>;

const PUBLISHER = '/api/publisher/v1';
const FIELDS = ['name', 'description', 'tags', 'visibility', 'visibleRoles', 'subscriptionTiers'] as const;

/** Each product's operations as the control plane names them: the API's id with the method and path. */
async function resolveOperations(cp: ControlPlane, product: ProductSection, ownApiId: string) {
  const ids = new Map<string, string>();
  const out: Array<{ apiId: string; method: string; path: string }> = [];
  for (const op of product.operations) {
    const [key, apiRef] = typeof op === 'string' ? [op, null] : [op.operation, op.api];
    let apiId = ownApiId;
    if (apiRef !== null) {
      const known = ids.get(apiRef);
      if (known !== undefined) apiId = known;
      else {
        const [context = '', version = ''] = apiRef.split(' ');
        const found = await cp.findApi(context, version);
        if (found === undefined) throw new CliError(`Product ${product.name}: no API ${apiRef} on ${cp.url} that you manage`);
        ids.set(apiRef, found.id);
        apiId = found.id;
      }
    }
    const [method = '', ...path] = key.split(' ');
    out.push({ apiId, method, path: path.join(' ') });
  }
  return out;
}

/**
 * Creates or changes each product to match the project, then moves it to its `lifecycle`. Equal
 * means equal to what the control plane shows, so re-applying an unchanged project sends nothing.
 * Answers one line per product that changed (or would, with `dryRun`).
 */
export async function applyProducts(
  out: Output,
  cp: ControlPlane,
  products: readonly ProductSection[],
  ownApiId: string | undefined,
  dryRun: boolean,
): Promise<string[]> {
  if (products.length === 0) return [];
  const { list } = await cp.call<{ list: Product[] }>('GET', `${PUBLISHER}/products`);
  const lines: string[] = [];
  for (const product of products) {
    const { lifecycle, operations: _operations, context, version, ...fields } = product;
    const remote = list.find((p) => p.context === context && p.version === version);
    const title = `product ${product.name} ${context} ${version}`;
    if (ownApiId === undefined) {
      // Dry run of a project whose API does not exist yet: its operations cannot be named by id.
      lines.push(`+ ${title} (with the API)`);
      continue;
    }
    const operations = await resolveOperations(cp, product, ownApiId);
    if (remote === undefined) {
      lines.push(
        `+ ${title}: ${operations.length} operation(s)${lifecycle === undefined || lifecycle === 'CREATED' ? '' : `, ${lifecycle}`}`,
      );
      if (dryRun) continue;
      out.progress(`creating ${title}`);
      const created = await cp.call<Product>('POST', `${PUBLISHER}/products`, { ...fields, context, version, operations });
      if (lifecycle !== undefined && lifecycle !== 'CREATED')
        await cp.call('POST', `${PUBLISHER}/products/${encodeURIComponent(created.id)}/lifecycle`, { state: lifecycle });
      continue;
    }
    const patch: Record<string, unknown> = {};
    const want: Record<string, unknown> = fields;
    for (const f of FIELDS) if (!equal(remote[f], want[f])) patch[f] = want[f];
    const have = remote.operations.map((o) => ({ apiId: o.apiId, method: o.method, path: o.path }));
    if (!equal(have, operations)) patch.operations = operations;
    const move = lifecycle !== undefined && lifecycle !== remote.lifecycleState ? lifecycle : undefined;
    if (Object.keys(patch).length === 0 && move === undefined) continue;
    lines.push(
      `~ ${title}: ${[...Object.keys(patch), ...(move === undefined ? [] : [`lifecycle ${remote.lifecycleState} -> ${move}`])].join(', ')}`,
    );
    if (dryRun) continue;
    out.progress(`updating ${title}`);
    if (Object.keys(patch).length > 0) await cp.call('PATCH', `${PUBLISHER}/products/${encodeURIComponent(remote.id)}`, patch);
    if (move !== undefined) await cp.call('POST', `${PUBLISHER}/products/${encodeURIComponent(remote.id)}/lifecycle`, { state: move });
  }
  return lines;
}
