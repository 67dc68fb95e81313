/**
 * The Traffic Manager's Worker. Its only job is to host the counter objects; gateways and the control
 * plane reach them through their own Durable Object bindings (`script_name`), never through this
 * fetch handler, which answers a health check for the local launcher and 404 for anything else.
 */
import { ApiError, problemResponse } from '../../shared/problem.ts';

export { ThrottleCounter } from '../../../durable-objects/throttle/counter.ts';

export default {
  fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/_turnpike/health')
      return Response.json({ status: 'ok', service: 'turnpike-traffic-manager' }, { headers: { 'x-content-type-options': 'nosniff' } });
    return problemResponse(new ApiError('not-found', { detail: 'The Traffic Manager serves no HTTP routes' }), url.pathname, {
      'x-content-type-options': 'nosniff',
    });
  },
} satisfies ExportedHandler<Env>;
