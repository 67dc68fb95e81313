import { trackProgress } from './api/client.ts';

/** GET /portal-config (portal-ui/functions/portal-config.ts). */
interface PortalConfig {
  gatewayUrl: string;
  /** Each gateway environment's public URL by environment name (the portal's GATEWAY_URLS var). */
  gatewayUrls: Record<string, string>;
}

let config: Promise<PortalConfig> | null = null;

function portalConfig(): Promise<PortalConfig> {
  config ??= trackProgress(fetch('/portal-config'))
    .then((r): Promise<Partial<PortalConfig>> | Partial<PortalConfig> => (r.ok ? (r.json() as Promise<Partial<PortalConfig>>) : {}))
    .then((c) => ({
      gatewayUrl: typeof c.gatewayUrl === 'string' ? c.gatewayUrl.replace(/\/$/, '') : '',
      gatewayUrls: Object.fromEntries(
        Object.entries(c.gatewayUrls ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== ''),
      ),
    }))
    .catch(() => ({ gatewayUrl: '', gatewayUrls: {} }));
  return config;
}

/** The production gateway's public URL for curl lines (the portal's GATEWAY_URL var); the console uses /gateway. */
export async function publicGatewayUrl(): Promise<string> {
  return (await portalConfig()).gatewayUrl || '<gateway>';
}

/**
 * A gateway environment's public URL for curl lines: the portal's GATEWAY_URLS entry, else the
 * environment's own (https://<hostname>, from the catalog), else a placeholder.
 */
export async function environmentGatewayUrl(environment: { name: string; gatewayUrl: string | null }): Promise<string> {
  return (await portalConfig()).gatewayUrls[environment.name] ?? environment.gatewayUrl ?? '<gateway>';
}
