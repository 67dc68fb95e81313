import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../../../shared/problem.ts';
import type { AppEnv } from '../types.ts';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/**
 * OpenAPI imports may be tens of MB (GitHub's description is 13 MB); beyond this they are refused
 * with 413, never half-processed. The stored document has its own bound (MAX_DOCUMENT_BYTES).
 */
export const IMPORT_BODY_LIMIT = 32 * 1024 * 1024;

export function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError('payload-too-large', { detail: `The request body exceeds ${maxSize} bytes` });
    },
  });
}
