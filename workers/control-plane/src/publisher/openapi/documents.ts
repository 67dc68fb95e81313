import { ApiError } from '../../../../shared/problem.ts';

/**
 * Where an API's imported OpenAPI document is kept (decision 0035). Up to INLINE_DOCUMENT_BYTES it
 * stays in the `apis` row, read with the API; above, it goes to R2 under a content-addressed key
 * and the row holds the key — so a document's size is bounded by what one isolate can parse, not
 * by D1's 2,000,000-byte row (GitHub's description is 13 MB, Stripe's 2.5 MB, Kubernetes' 4 MB).
 */
export interface StoredDocument {
  /** The document itself, when it fits the row. */
  readonly openapi: Record<string, unknown> | null;
  /** Its R2 object key (`openapi/<sha256>.json`), when it does not. */
  readonly openapiKey: string | null;
}

export const INLINE_DOCUMENT_BYTES = 512 * 1024;
/**
 * The largest document kept. An import parses it once as text and once as objects in one isolate
 * (128 MB deployed); 32 MiB leaves room for GitHub's 13 MB with more than twice its growth.
 */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;

/** Stores a parsed document where its size allows, or refuses it with 413. */
export async function storeDocument(blobs: R2Bucket, document: Record<string, unknown>): Promise<StoredDocument> {
  const text = JSON.stringify(document);
  const bytes = new TextEncoder().encode(text);
  if (bytes.byteLength > MAX_DOCUMENT_BYTES)
    throw new ApiError('payload-too-large', {
      detail: `The document is ${bytes.byteLength} bytes once parsed; at most ${MAX_DOCUMENT_BYTES} can be stored`,
    });
  if (bytes.byteLength <= INLINE_DOCUMENT_BYTES) return { openapi: document, openapiKey: null };
  const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');
  // Content-addressed: the same document under the same key, never overwritten with other bytes,
  // so a copy of the API (a new version) shares the object.
  const key = `openapi/${digest}.json`;
  await blobs.put(key, bytes, { httpMetadata: { contentType: 'application/json' } });
  return { openapi: null, openapiKey: key };
}

/** The stored document as an object, or null when the API has none. */
export async function loadDocument(blobs: R2Bucket, stored: StoredDocument): Promise<Record<string, unknown> | null> {
  if (stored.openapiKey === null) return stored.openapi;
  const object = await blobs.get(stored.openapiKey);
  if (object === null) throw new Error(`OpenAPI document ${stored.openapiKey} is missing from R2`);
  return await object.json<Record<string, unknown>>();
}
