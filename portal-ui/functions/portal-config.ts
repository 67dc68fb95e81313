interface ConfigEnv {
  /** The gateway's public URL, for ready-to-paste curl lines (portal-ui/wrangler.toml [vars]). */
  GATEWAY_URL?: string;
}

/** What the single-page app needs to know about its deployment and cannot read from its own origin. */
export const onRequestGet = (context: { env: ConfigEnv }): Response =>
  Response.json({ gatewayUrl: context.env.GATEWAY_URL ?? '' }, { headers: { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' } });
