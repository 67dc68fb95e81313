/**
 * Where a revision's definition is kept (decision 0035). Most fit their row; one that does not — an
 * API of thousands of operations with request validation, whose OpenAPI schemas the revision
 * freezes — goes to R2 (`revisions/<id>.json`, written once: revisions are immutable) and its row
 * holds `{}` and the key. Readers go through `storedDefinition` and then `parseRevision`.
 */
export const INLINE_REVISION_BYTES = 512 * 1024;

export interface StoredRevision {
  readonly definition: Record<string, unknown>;
  readonly definitionKey: string | null;
}

export async function storeRevision(blobs: R2Bucket, revisionId: string, definition: object): Promise<StoredRevision> {
  const text = JSON.stringify(definition);
  if (text.length <= INLINE_REVISION_BYTES) return { definition: definition as Record<string, unknown>, definitionKey: null };
  const key = `revisions/${revisionId}.json`;
  await blobs.put(key, text, { httpMetadata: { contentType: 'application/json' } });
  return { definition: {}, definitionKey: key };
}

/** The definition as stored, for `parseRevision` (a missing object reads as null, which does not parse). */
export async function storedDefinition(blobs: R2Bucket, row: StoredRevision): Promise<unknown> {
  if (row.definitionKey === null) return row.definition;
  const object = await blobs.get(row.definitionKey);
  return object === null ? null : await object.json<unknown>();
}
