/**
 * Which counters a call is charged to beyond its subscription: the conditional groups of advanced
 * policies (WSO2's IP, header, query-parameter and JWT-claim conditions) and custom policies keyed by
 * a template. Pure functions of the call, so the same call always lands on the same counters.
 */
import { counterObjectName, type WindowLimit } from '../../../../durable-objects/throttle/types.ts';
import type { ConditionalLimits, CustomPolicy, ThrottleCondition } from '../../../shared/snapshot.ts';
import { ipAllowed } from '../auth/api-key.ts';
import type { SharedCounter } from './admit.ts';

export interface CallFacts {
  readonly ip: string | null;
  readonly headers: Headers;
  /** Parsed only when a query-parameter condition asks. */
  readonly query: () => URLSearchParams;
  /** Claims of the access token; null for API keys. */
  readonly claims: Readonly<Record<string, unknown>> | null;
}

function holds(condition: ThrottleCondition, facts: CallFacts): boolean {
  switch (condition.type) {
    case 'ip':
      return facts.ip !== null && ipAllowed(facts.ip, [condition.cidr]);
    case 'header':
      return facts.headers.get(condition.name) === condition.value;
    case 'query':
      return facts.query().getAll(condition.name).includes(condition.value);
    case 'jwtClaim': {
      const value = facts.claims?.[condition.claim];
      return (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') && String(value) === condition.value;
    }
  }
}

/** A group matches when every one of its conditions holds (each possibly inverted). */
export function groupMatches(group: ConditionalLimits, facts: CallFacts): boolean {
  return group.conditions.every((c) => holds(c, facts) !== c.invert);
}

/**
 * An advanced policy's counters for this call: the counter of each conditional group it matches,
 * or, when it matches none, the policy's default limits.
 */
export function advancedCounters(
  name: string,
  limits: readonly WindowLimit[],
  conditional: readonly ConditionalLimits[] | undefined,
  facts: CallFacts,
): SharedCounter[] {
  const matched = (conditional ?? []).flatMap((g, i) =>
    groupMatches(g, facts) ? [{ name: counterObjectName.group(name, i + 1), limits: g.limits }] : [],
  );
  return matched.length > 0 ? matched : [{ name, limits }];
}

export interface TemplateVars {
  readonly userId: string;
  readonly appId: string;
  readonly apiContext: string;
  readonly apiVersion: string;
  readonly clientIp: string | null;
}

/** `$userId:$apiContext` → `usr_1:/petstore`; an unknown variable stays as written. */
export function expandKey(template: string, vars: TemplateVars): string {
  return template.replace(/\$(userId|appId|apiContext|apiVersion|clientIp)\b/g, (_, name: keyof TemplateVars) => vars[name] ?? '-');
}

export function customCounters(policies: readonly CustomPolicy[] | undefined, vars: TemplateVars): SharedCounter[] {
  return (policies ?? []).map((p) => ({ name: counterObjectName.custom(p.name, expandKey(p.keyTemplate, vars)), limits: p.limits }));
}
