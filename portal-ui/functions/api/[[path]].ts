interface PortalEnv {
  /** Service binding to the control plane (portal-ui/wrangler.toml). */
  CONTROL_PLANE: { fetch(request: Request): Promise<Response> };
}

/**
 * Same-origin /api/* for the portal: forwarded unchanged to the control plane over the service
 * binding. The answer is re-wrapped (a fetched response's headers are immutable) so that it carries
 * `nosniff` whatever answered — the control plane sets it too, but this origin's promise is its own.
 */
export const onRequest = async (context: { request: Request; env: PortalEnv }): Promise<Response> => {
  const res = await context.env.CONTROL_PLANE.fetch(context.request);
  const answer = new Response(res.body, res);
  answer.headers.set('x-content-type-options', 'nosniff');
  return answer;
};
