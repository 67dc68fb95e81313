import { ApiError } from '../../../shared/problem.ts';
import type { PolicyRef } from '../../../shared/revision.ts';
import type { GatewaySnapshot, SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import { POLICIES } from './registry.ts';
import type { AnswerStep, BackendStep, InboundStep, OutboundStep, ResponseStep } from './step.ts';
import { graphqlStep } from '../graphql/step.ts';

/** One resource's steps in the order they run: the API's policies, the operation's, then the API's header edits. */
export interface CompiledSteps {
  readonly inbound: readonly InboundStep[];
  readonly answer: readonly AnswerStep[];
  readonly response: readonly ResponseStep[];
  readonly outbound: readonly OutboundStep[];
  /** What answers in place of the backend (a mock); the operation's wins over the API's. */
  readonly backend: BackendStep | null;
}

export const NO_STEPS: CompiledSteps = { inbound: [], answer: [], response: [], outbound: [], backend: null };

/**
 * Builds every resource's step list once per snapshot version. A policy this gateway does not know
 * or whose config does not parse (a snapshot from a newer control plane) fails closed: its resource
 * answers 500 rather than being served without the policy.
 */
export function compileSteps(snapshot: GatewaySnapshot): Map<SnapshotResource, CompiledSteps> {
  const out = new Map<SnapshotResource, CompiledSteps>();
  for (const api of snapshot.apis) {
    for (const resource of api.resources) {
      const steps = policySteps(api, resource);
      if (steps !== NO_STEPS) out.set(resource, steps);
    }
  }
  return out;
}

/** One resource's policy steps (NO_STEPS when it has none); the gateway's plan (plan.ts) puts them between authentication and throttling. */
export function policySteps(api: SnapshotApi, resource: SnapshotResource): CompiledSteps {
  const refs = attached(api, resource);
  // The API type's own step (a GraphQL API's parse, validate, limits and scopes) runs before its policies.
  const typeStep = graphqlStep(api);
  if (refs.length === 0 && typeStep === null) return NO_STEPS;
  const inbound: InboundStep[] = typeStep === null ? [] : [typeStep];
  const answer: AnswerStep[] = [];
  const response: ResponseStep[] = [];
  const outbound: OutboundStep[] = [];
  let backend: BackendStep | null = null;
  for (const ref of refs) {
    const built = POLICIES.get(ref.name)?.build(ref.config, { api, resource }) ?? { ok: false as const, detail: 'unknown policy' };
    if (!built.ok) {
      console.error(
        JSON.stringify({
          message: 'policy not built',
          api: api.id,
          resource: `${resource.method} ${resource.pathTemplate}`,
          policy: ref.name,
          detail: built.detail,
        }),
      );
      inbound.push(unavailable);
      continue;
    }
    if (built.steps.inbound !== undefined) inbound.push(built.steps.inbound);
    if (built.steps.answer !== undefined) answer.push(built.steps.answer);
    if (built.steps.response !== undefined) response.push(built.steps.response);
    if (built.steps.outbound !== undefined) outbound.push(built.steps.outbound);
    if (built.steps.backend !== undefined) backend = built.steps.backend;
  }
  return inbound.length + answer.length + response.length + outbound.length > 0 || backend !== null
    ? { inbound, answer, response, outbound, backend }
    : NO_STEPS;
}

function attached(api: SnapshotApi, resource: SnapshotResource): readonly PolicyRef[] {
  const refs = [...(api.policies ?? []), ...(resource.policies ?? [])];
  if (api.headerEdits !== null)
    refs.push({ name: 'header-edits', config: { request: api.headerEdits.request, response: api.headerEdits.response } });
  return refs;
}

function unavailable(): never {
  throw new ApiError('internal');
}
