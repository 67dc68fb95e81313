interface PortalEnv {
  CONTROL_PLANE: Fetcher;
}

/** Same-origin /api/* for the portal: forwarded unchanged to the control plane over the service binding. */
export const onRequest: PagesFunction<PortalEnv> = (context) => context.env.CONTROL_PLANE.fetch(context.request);
