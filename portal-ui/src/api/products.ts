/**
 * API products (decision 0049): the publisher's routes and the catalog's product page, typed from
 * the control plane's zod schemas like the rest of the client.
 */
import type { z } from 'zod';
import type { CatalogProduct as CatalogProductSchema } from '../../../workers/control-plane/src/devportal/catalog/products.ts';
import type {
  CreateProductBody,
  ProductLifecycleResult,
  ProductSchema,
  UpdateProductBody,
} from '../../../workers/control-plane/src/publisher/products/schemas.ts';
import { call, enc } from './client.ts';

export type Product = z.infer<typeof ProductSchema>;
export type CreateProduct = z.input<typeof CreateProductBody>;
export type UpdateProduct = z.input<typeof UpdateProductBody>;
export type ProductLifecycle = z.infer<typeof ProductLifecycleResult>;
export type CatalogProduct = z.infer<typeof CatalogProductSchema>;

const PUB = '/api/publisher/v1/products';

export const productsApi = {
  list: () => call<{ list: Product[] }>('GET', PUB),
  get: (id: string) => call<Product>('GET', `${PUB}/${enc(id)}`),
  create: (body: CreateProduct) => call<Product>('POST', PUB, body),
  update: (id: string, body: UpdateProduct) => call<Product>('PATCH', `${PUB}/${enc(id)}`, body),
  lifecycle: (id: string) => call<ProductLifecycle>('GET', `${PUB}/${enc(id)}/lifecycle`),
  changeLifecycle: (id: string, state: ProductLifecycle['lifecycleState']) =>
    call<ProductLifecycle>('POST', `${PUB}/${enc(id)}/lifecycle`, { state }),
  /** The catalog's page of a product: its operations grouped by API, with the APIs' gateways. */
  catalog: (id: string) => call<CatalogProduct>('GET', `/api/devportal/v1/products/${enc(id)}`),
};
