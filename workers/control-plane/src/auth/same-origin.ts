import type { MiddlewareHandler } from 'hono';
import { controlPlaneConfig } from '../config.ts';
import { ApiError } from '../../../shared/problem.ts';
import type { AppEnv } from '../types.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Origins whose pages may write with the session cookie: ours and the portal's (ALLOWED_ORIGINS). */
export function trustedOrigins(env: Env): ReadonlySet<string> {
  const config = controlPlaneConfig(env);
  return new Set([new URL(config.ISSUER).origin, ...config.ALLOWED_ORIGINS]);
}

/**
 * Why a browser request comes from a page we do not trust, or null. The Origin header when the
 * browser sends one (it does on every unsafe request; "null" from a sandbox or an opaque redirect is
 * not trusted), else Fetch Metadata's Sec-Fetch-Site. Non-browser clients send neither and cannot be
 * driven by another site.
 */
export function crossSiteReason(headers: Headers, trusted: ReadonlySet<string>): string | null {
  const origin = headers.get('origin');
  if (origin !== null) return trusted.has(origin) ? null : 'Cross-origin request refused';
  const site = headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin' && site !== 'none') return 'Cross-site request refused';
  return null;
}

/**
 * CSRF defence for everything a browser can send with ambient credentials (the session cookie):
 * unsafe requests without an Authorization header must come from a trusted page. It runs before
 * any other check of the request, so a cross-site write is a 403 whatever its body — a form, text,
 * JSON or none — and never reaches the media-type check or a handler.
 */
export function sameOriginWrites(): MiddlewareHandler<AppEnv> {
  return async function sameOriginWrites(c, next) {
    if (UNSAFE.has(c.req.method) && c.req.header('authorization') === undefined) {
      const reason = crossSiteReason(c.req.raw.headers, trustedOrigins(c.env));
      if (reason !== null) throw new ApiError('forbidden', { detail: reason });
    }
    await next();
  };
}
