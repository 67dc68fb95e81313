interface PortalEnv {
  /** Service binding to the control plane (portal-ui/wrangler.toml). */
  CONTROL_PLANE: { fetch(request: Request): Promise<Response> };
}

/** Same-origin /api/* for the portal: forwarded unchanged to the control plane over the service binding. */
export const onRequest = (context: { request: Request; env: PortalEnv }): Promise<Response> => context.env.CONTROL_PLANE.fetch(context.request);
