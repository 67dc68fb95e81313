/**
 * Where the portal's Functions find each gateway environment: its public URL (GATEWAY_URL(S) vars)
 * and its service binding. A module without `onRequest*` exports, so Pages routes nothing here.
 */

/** Environment names as the admin API allows them (lower-case letters, digits and dashes). */
const ENVIRONMENT = /^[a-z0-9-]{1,50}$/;

export interface GatewayVars {
  /** The production gateway's public URL (portal-ui/wrangler.toml [vars]). */
  GATEWAY_URL?: unknown;
  /**
   * Every gateway environment's public URL by environment name, as JSON (`{"production": …,
   * "internal": …}`): a string when set with `--binding` or as a TOML string, an object when
   * wrangler.toml gives it as a table.
   */
  GATEWAY_URLS?: unknown;
}

interface Fetcher {
  fetch(request: Request): Promise<Response>;
}

const httpUrl = (value: unknown): string | null => {
  if (typeof value !== 'string' || !/^https?:\/\/\S+$/.test(value)) return null;
  try {
    return new URL(value).href.replace(/\/$/, '');
  } catch {
    return null;
  }
};

/**
 * GATEWAY_URLS as far as it is well-formed (names as the admin API allows them, http(s) URLs
 * only; anything else is dropped, never an error), with production falling back to GATEWAY_URL.
 */
export function gatewayUrls(env: GatewayVars): Record<string, string> {
  let raw = env.GATEWAY_URLS;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw) as unknown;
    } catch {
      raw = null;
    }
  }
  const out: Record<string, string> = {};
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    for (const [name, value] of Object.entries(raw)) {
      const url = httpUrl(value);
      if (ENVIRONMENT.test(name) && url !== null) out[name] = url;
    }
  }
  const production = httpUrl(env.GATEWAY_URL);
  if (out['production'] === undefined && production !== null) out['production'] = production;
  return out;
}

/**
 * The service binding of the gateway that serves `environment`, named as the control plane names
 * its own (workers/control-plane/wrangler.toml): `GATEWAY` for production, `GATEWAY_<ENVIRONMENT>`
 * for the others. Null when this portal is bound to no such gateway.
 */
export function gatewayBinding(env: Record<string, unknown>, environment: string): Fetcher | null {
  if (!ENVIRONMENT.test(environment)) return null;
  const value = env[environment === 'production' ? 'GATEWAY' : `GATEWAY_${environment.toUpperCase().replace(/-/g, '_')}`];
  return typeof value === 'object' && value !== null && typeof (value as Partial<Fetcher>).fetch === 'function' ? (value as Fetcher) : null;
}
