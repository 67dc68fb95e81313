import { ApiError } from '../../../shared/problem.ts';
import type { PolicyRef } from '../../../shared/revision.ts';
import type { GatewaySnapshot, SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import { POLICIES } from './registry.ts';
import { graphqlStep } from '../graphql/step.ts';
import type { InboundStep, OutboundStep } from './step.ts';

/** One resource's steps in the order they run: the API's policies, the operation's, then the API's header edits. */
export interface CompiledSteps {
  readonly inbound: readonly InboundStep[];
  readonly outbound: readonly OutboundStep[];
}

export const NO_STEPS: CompiledSteps = { inbound: [], outbound: [] };

/**
 * Builds every resource's step list once per snapshot version. A policy this gateway does not know
 * or whose config does not parse (a snapshot from a newer control plane) fails closed: its resource
 * answers 500 rather than being served without the policy.
 */
export function compileSteps(snapshot: GatewaySnapshot): Map<SnapshotResource, CompiledSteps> {
  const out = new Map<SnapshotResource, CompiledSteps>();
  for (const api of snapshot.apis) {
    // An API type's own step runs first, before the publisher's policies (GraphQL: parse, validate, analyse).
    const typeStep = graphqlStep(api);
    for (const resource of api.resources) {
      const refs = attached(api, resource);
      if (refs.length === 0 && typeStep === null) continue;
      const inbound: InboundStep[] = typeStep === null ? [] : [typeStep];
      const outbound: OutboundStep[] = [];
      for (const ref of refs) {
        const built = POLICIES.get(ref.name)?.build(ref.config, { api, resource }) ?? { ok: false as const, detail: 'unknown policy' };
        if (!built.ok) {
          console.error(JSON.stringify({ message: 'policy not built', api: api.id, resource: `${resource.method} ${resource.pathTemplate}`, policy: ref.name, detail: built.detail }));
          inbound.push(unavailable);
          continue;
        }
        if (built.steps.inbound !== undefined) inbound.push(built.steps.inbound);
        if (built.steps.outbound !== undefined) outbound.push(built.steps.outbound);
      }
      if (inbound.length > 0 || outbound.length > 0) out.set(resource, { inbound, outbound });
    }
  }
  return out;
}

function attached(api: SnapshotApi, resource: SnapshotResource): readonly PolicyRef[] {
  const refs = [...(api.policies ?? []), ...(resource.policies ?? [])];
  if (api.headerEdits !== null) refs.push({ name: 'header-edits', config: { request: api.headerEdits.request, response: api.headerEdits.response } });
  return refs;
}

function unavailable(): never {
  throw new ApiError('internal');
}
