import { ApiError } from '../../../shared/problem.ts';
import type { BlockingRules, SnapshotApi } from '../../../shared/snapshot.ts';
import type { CallStep } from '../call.ts';
import { assertNotBlocked } from './blocking.ts';

/**
 * The blocking step before authentication: the admin's blocking conditions on the API and the
 * caller's address, then the publisher's BLOCKED state. Absent when neither can refuse the call.
 * The conditions on the application and the user run once the caller is known (auth/step.ts).
 */
export function blockingStep(api: SnapshotApi, blocking: BlockingRules | undefined): CallStep | null {
  const blocked = api.state === 'BLOCKED';
  if (blocking === undefined && !blocked) return null;
  return function blocking_(call) {
    if (blocking !== undefined) assertNotBlocked(blocking, { api, ip: call.clientIp });
    if (blocked) throw new ApiError('api-blocked', { detail: `${api.name} ${api.version} is blocked by its publisher` });
  };
}
