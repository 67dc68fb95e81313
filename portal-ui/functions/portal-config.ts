import { gatewayUrls, type GatewayVars } from './_lib/gateways.ts';

/**
 * What the single-page app needs to know about its deployment and cannot read from its own origin:
 * each gateway environment's public URL for ready-to-paste curl lines (`gatewayUrl`: production's,
 * kept for older pages).
 */
export const onRequestGet = (context: { env: GatewayVars }): Response => {
  const urls = gatewayUrls(context.env);
  return Response.json(
    { gatewayUrl: urls['production'] ?? '', gatewayUrls: urls },
    { headers: { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } },
  );
};
