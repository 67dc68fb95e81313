import { ApiError } from '../../../shared/problem.ts';
import type { SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import type { CallStep } from '../call.ts';
import { factsOf } from '../throttle/step.ts';
import { openWebSocket } from './relay.ts';

/**
 * A WebSocket API's channel takes the throttling step's place (plan.ts): the handshake counts no
 * call; the relay holds a connection slot and admits every client frame through the counter
 * objects instead (relay.ts). It answers the 101 itself, so the call ends here.
 */
export function webSocketStep(api: SnapshotApi, resource: SnapshotResource): CallStep {
  return function openWebSocket_(call) {
    const handshake = call.handshake;
    // The call path builds the handshake for every call to a WS API before any step runs.
    if (handshake === null) throw new ApiError('internal');
    return openWebSocket(call.x, {
      compiled: call.compiled,
      api,
      resource,
      caller: call.caller,
      facts: factsOf(call, call.caller),
      clientIp: call.clientIp,
      headers: call.headers,
      extraHeaders: call.extraHeaders,
      rest: call.rest,
      search: call.search,
      protocols: handshake.protocols,
      fallbackProtocol: handshake.fallbackProtocol,
    });
  };
}
