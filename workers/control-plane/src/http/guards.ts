import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { ApiError } from '../../../shared/problem.ts';
import type { AppEnv } from '../types.ts';

export const DEFAULT_BODY_LIMIT = 1024 * 1024;
/** OpenAPI imports may be several MB; beyond this they are refused with 413, never half-processed. */
export const IMPORT_BODY_LIMIT = 10 * 1024 * 1024;

export function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new ApiError('payload-too-large', { detail: `The request body exceeds ${maxSize} bytes` });
    },
  });
}

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Bodies of state-changing calls must be JSON (or one of the route's declared alternatives);
 * anything else is a 415 before a validator could misread it as an empty object.
 */
export function requireContentType(allowed: readonly string[] = ['application/json']): MiddlewareHandler<AppEnv> {
  return async function requireContentType(c, next) {
    if (METHODS_WITH_BODY.has(c.req.method)) {
      const length = c.req.header('content-length');
      const hasBody = c.req.raw.body !== null && length !== '0';
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (hasBody && !allowed.includes(type)) {
        throw new ApiError('unsupported-media-type', {
          detail: `Content-Type must be ${allowed.join(' or ')}`,
          headers: { 'accept-post': allowed.join(', ') },
        });
      }
    }
    await next();
  };
}
