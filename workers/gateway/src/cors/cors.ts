import type { CorsConfig } from '../../../shared/db/schema.ts';

/** Whether `origin` may call an API with this configuration (`*` allows any origin). */
function allowedOrigin(cors: CorsConfig, origin: string): string | null {
  if (cors.allowOrigins.includes('*')) return cors.allowCredentials ? origin : '*';
  return cors.allowOrigins.includes(origin) ? origin : null;
}

/**
 * A CORS preflight (Fetch standard §3.2.2) answered at the gateway: it never reaches the backend and
 * needs no credentials, because browsers send none with it.
 */
export function preflight(cors: CorsConfig, request: Request): Response | null {
  const origin = request.headers.get('origin');
  const method = request.headers.get('access-control-request-method');
  if (request.method !== 'OPTIONS' || origin === null || method === null) return null;
  const allowed = allowedOrigin(cors, origin);
  const headers = new Headers({ vary: 'Origin' });
  if (allowed !== null && cors.allowMethods.map((m) => m.toUpperCase()).includes(method.toUpperCase())) {
    headers.set('access-control-allow-origin', allowed);
    headers.set('access-control-allow-methods', cors.allowMethods.join(', '));
    if (cors.allowHeaders.length > 0) headers.set('access-control-allow-headers', cors.allowHeaders.join(', '));
    if (cors.allowCredentials) headers.set('access-control-allow-credentials', 'true');
    headers.set('access-control-max-age', String(cors.maxAgeSeconds));
  }
  return new Response(null, { status: 204, headers });
}

/** The CORS headers of an actual response (also of the gateway's own error responses). */
export function corsHeaders(cors: CorsConfig | null, request: Request): Record<string, string> {
  const origin = request.headers.get('origin');
  if (cors === null || !cors.enabled || origin === null) return {};
  const allowed = allowedOrigin(cors, origin);
  if (allowed === null) return { vary: 'Origin' };
  const out: Record<string, string> = { 'access-control-allow-origin': allowed, vary: 'Origin' };
  if (cors.allowCredentials) out['access-control-allow-credentials'] = 'true';
  if (cors.exposeHeaders.length > 0) out['access-control-expose-headers'] = cors.exposeHeaders.join(', ');
  return out;
}
