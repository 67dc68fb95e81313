import type { SwaggerRequest } from 'swagger-ui-dist/swagger-ui-es-bundle.js';

/** The credential the console sends: a bearer token, or an API key in the API's key header. */
export interface Credential {
  mode: 'bearer' | 'apikey';
  value: string;
  header: string;
}

/**
 * Swagger UI's `requestInterceptor` for the console: only calls to this API through the portal's
 * same-origin /gateway proxy, at one of `gatewayBases` (one per gateway environment the API is
 * deployed to), leave the page (anything else is pointed at the proxy's refusal); they carry the
 * `x-turnpike-try-it: 1` header the proxy requires and the picked credential, and never the
 * portal's session cookie.
 */
export function consoleInterceptor(gatewayBases: readonly string[], credential: () => Credential): (req: SwaggerRequest) => SwaggerRequest {
  const origin = new URL(gatewayBases[0] ?? location.origin).origin;
  return (req) => {
    const toProxy = gatewayBases.some((base) => req.url === base || req.url.startsWith(`${base}/`) || req.url.startsWith(`${base}?`));
    if (!toProxy) return { ...req, url: `${origin}/gateway/`, headers: {}, credentials: 'omit' };
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) if (!/^(authorization|x-turnpike-try-it)$/i.test(name)) headers[name] = value;
    const cred = credential();
    if (cred.value !== '') {
      if (cred.mode === 'bearer') headers['authorization'] = `Bearer ${cred.value}`;
      else headers[cred.header] = cred.value;
    }
    headers['x-turnpike-try-it'] = '1';
    return { ...req, headers, credentials: 'omit' };
  };
}
