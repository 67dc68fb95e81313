import { ApiError } from '../../../shared/problem.ts';
import type { BlockingRules } from '../../../shared/snapshot.ts';
import { ipAllowed } from '../auth/api-key.ts';

/**
 * Admin blocking conditions (WSO2's 900805): by API context and client IP before authentication,
 * by application and user after it. An inverted IP rule blocks every address outside its range.
 */
export function assertNotBlocked(
  rules: BlockingRules,
  subject: { api?: { readonly context: string; readonly version: string }; ip?: string | null; applicationId?: string; user?: string },
): void {
  const blocked = (detail: string) => new ApiError('request-blocked', { detail });
  // `/ctx` blocks every version; `/ctx/v1` (WSO2's form) blocks that version only.
  const api = subject.api;
  if (api !== undefined && (rules.apiContexts.includes(api.context) || rules.apiContexts.includes(`${api.context}/${api.version}`)))
    throw blocked('This API is blocked');
  if (subject.ip !== undefined) {
    for (const rule of rules.ips) {
      const inside = ipAllowed(subject.ip ?? null, [rule.range]);
      if (inside !== rule.inverted) throw blocked('Requests from this address are blocked');
    }
  }
  if (subject.applicationId !== undefined && rules.applicationIds.includes(subject.applicationId))
    throw blocked('This application is blocked');
  if (subject.user !== undefined && rules.users.includes(subject.user)) throw blocked('This user is blocked');
}
