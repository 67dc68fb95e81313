import { trackProgress } from './api/client.ts';

let gatewayUrl: Promise<string> | null = null;

/** The gateway's public URL for curl lines (from the portal's GATEWAY_URL var); the console uses /gateway. */
export function publicGatewayUrl(): Promise<string> {
  gatewayUrl ??= trackProgress(fetch('/portal-config'))
    .then((r) => (r.ok ? (r.json() as Promise<{ gatewayUrl: string }>) : { gatewayUrl: '' }))
    .then((c) => c.gatewayUrl.replace(/\/$/, '') || '<gateway>')
    .catch(() => '<gateway>');
  return gatewayUrl;
}
