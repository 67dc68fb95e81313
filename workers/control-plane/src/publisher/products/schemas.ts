import { z } from '@hono/zod-openapi';
import { LIFECYCLE_STATES, ROLES } from '../../../../shared/db/schema.ts';
import { nameText } from '../../http/fields.ts';
import { Context, ResourceInput, Version } from '../apis/schemas.ts';

/** One operation of another API that a product bundles, named as that API's resource is: method and path template. */
export const ProductOperationInput = z
  .strictObject({ apiId: z.string().min(1).max(100), method: ResourceInput.shape.method, path: ResourceInput.shape.path })
  .openapi('ProductOperationInput');

const ProductFields = {
  name: nameText(100),
  description: z.string().max(10_000).default(''),
  tags: z.array(nameText(50)).max(20).default([]),
  visibility: z.enum(['PUBLIC', 'RESTRICTED', 'PRIVATE']).default('PUBLIC').openapi({
    description: 'As for APIs: PUBLIC to everyone, PRIVATE to signed-in users, RESTRICTED to signed-in users of visibleRoles',
  }),
  visibleRoles: z.array(z.enum(ROLES)).max(ROLES.length).default([]),
  subscriptionTiers: z
    .array(z.string().min(1).max(100))
    .min(1)
    .max(20)
    .default(['Unlimited'])
    .openapi({ description: "The product's own subscription tiers: one quota per subscription, shared by every operation it bundles" }),
  operations: z.array(ProductOperationInput).min(1).max(500).openapi({
    description: 'Operations of HTTP or GraphQL APIs you manage; they are called at their own APIs’ gateway URLs (decision 0049)',
  }),
};

export const CreateProductBody = z
  .strictObject({ ...ProductFields, context: Context, version: Version })
  .openapi('CreateApiProductRequest');
export type CreateProduct = z.infer<typeof CreateProductBody>;

/** Every field but context and version may change; what is left out stays. */
export const UpdateProductBody = z
  .strictObject({
    name: ProductFields.name.optional(),
    description: z.string().max(10_000).optional(),
    tags: z.array(nameText(50)).max(20).optional(),
    visibility: z.enum(['PUBLIC', 'RESTRICTED', 'PRIVATE']).optional(),
    visibleRoles: z.array(z.enum(ROLES)).max(ROLES.length).optional(),
    subscriptionTiers: z.array(z.string().min(1).max(100)).min(1).max(20).optional(),
    operations: z.array(ProductOperationInput).min(1).max(500).optional(),
  })
  .openapi('UpdateApiProductRequest');
export type UpdateProduct = z.infer<typeof UpdateProductBody>;

export const ProductOperationView = z
  .object({
    apiId: z.string(),
    apiName: z.string(),
    apiContext: z.string(),
    apiVersion: z.string(),
    method: z.string(),
    path: z.string(),
  })
  .openapi('ProductOperation');

export const ProductSchema = z
  .object({
    id: z.string(),
    kind: z.literal('PRODUCT'),
    name: z.string(),
    context: z.string(),
    version: z.string(),
    description: z.string(),
    tags: z.array(z.string()),
    lifecycleState: z.enum(LIFECYCLE_STATES),
    visibility: z.string(),
    visibleRoles: z.array(z.string()),
    providerId: z.string(),
    subscriptionTiers: z.array(z.string()),
    operations: z.array(ProductOperationView),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('ApiProduct');
export type ProductView = z.infer<typeof ProductSchema>;

export const PRODUCT_LIFECYCLE = ['CREATED', 'PUBLISHED', 'DEPRECATED', 'RETIRED'] as const;
export type ProductState = (typeof PRODUCT_LIFECYCLE)[number];
export const ProductLifecycleBody = z.strictObject({ state: z.enum(PRODUCT_LIFECYCLE) }).openapi('ApiProductLifecycleChange');
export const ProductLifecycleResult = z
  .object({ lifecycleState: z.enum(PRODUCT_LIFECYCLE), allowedTransitions: z.array(z.enum(PRODUCT_LIFECYCLE)) })
  .openapi('ApiProductLifecycle');
