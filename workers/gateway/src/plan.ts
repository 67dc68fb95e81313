import type { KeyType } from '../../shared/db/schema.ts';
import type { GatewaySnapshot, SnapshotApi, SnapshotResource } from '../../shared/snapshot.ts';
import { apiPath } from './auth/protected-resource.ts';
import { authenticationStep } from './auth/step.ts';
import type { CallStep } from './call.ts';
import { corsStep } from './cors/step.ts';
import { policySteps } from './policies/compile.ts';
import type { AnswerStep, BackendStep, OutboundStep, ResponseStep } from './policies/step.ts';
import { backendJwtStep, backendSecurityStep, openKeyType } from './proxy/steps.ts';
import { blockingStep } from './throttle/blocking-step.ts';
import { throttleStep } from './throttle/step.ts';
import { webSocketStep } from './websocket/step.ts';

/**
 * One resource's steps in the order they run once the resource is known — authentication, the
 * publisher's policies (the API's, the operation's, the API's header edits), throttling — then the
 * policies' answer steps (which may answer in the backend's place: a cache hit), then, only when
 * none did, backend JWT and backend security, the backend, the policies' response steps on its
 * response; last the outbound steps on the answer.
 */
export interface ResourcePlan {
  readonly inbound: readonly CallStep[];
  readonly answer: readonly AnswerStep[];
  /** What only a call that goes to the backend needs: a hit signs no backend JWT. */
  readonly backend: readonly CallStep[];
  /** A mock (prototype API) answers in the backend's place: no endpoint, backend JWT or backend security. */
  readonly mock: BackendStep | null;
  readonly response: readonly ResponseStep[];
  readonly outbound: readonly OutboundStep[];
}

/** Everything the call path runs for one snapshot version. */
export interface CallPlan {
  /** Per API, the steps before the resource is checked: CORS, then blocking. */
  readonly apis: ReadonlyMap<SnapshotApi, readonly CallStep[]>;
  /** Per API, its resource path (context/version) for RFC 9728 challenges: built here, not concatenated per call. */
  readonly paths: ReadonlyMap<SnapshotApi, string>;
  readonly resources: ReadonlyMap<SnapshotResource, ResourcePlan>;
  /** The key type whose endpoint serves open resources. */
  readonly openKeyType: KeyType;
}

/** A plan that grows: a sharded snapshot adds each shard's APIs when a call first reads it (decision 0034). */
export interface GrowingPlan extends CallPlan {
  readonly apis: Map<SnapshotApi, readonly CallStep[]>;
  readonly paths: Map<SnapshotApi, string>;
  readonly resources: Map<SnapshotResource, ResourcePlan>;
}

const NONE: readonly CallStep[] = [];

/**
 * Builds every API's and resource's step list, once per snapshot version (snapshot/store.ts). A
 * step a call cannot need is left out here rather than checked on every call: CORS when the API
 * has it off, blocking when no condition and no BLOCKED state can refuse, authentication and
 * backend JWT on an open resource, backend security when no endpoint has any.
 */
export function compilePlan(snapshot: GatewaySnapshot): GrowingPlan {
  const plan: GrowingPlan = { apis: new Map(), paths: new Map(), resources: new Map(), openKeyType: openKeyType(snapshot) };
  addToPlan(plan, snapshot);
  return plan;
}

/** Adds the steps of `snapshot.apis` (the whole environment, or one shard read with the head's keys and policies). */
export function addToPlan(plan: GrowingPlan, snapshot: GatewaySnapshot): void {
  for (const api of snapshot.apis) {
    const before = present([corsStep(api), blockingStep(api, snapshot.blocking)]);
    plan.apis.set(api, before.length === 0 ? NONE : before);
    plan.paths.set(api, apiPath(api));
    const security = backendSecurityStep(snapshot, api);
    for (const resource of api.resources) {
      const policies = policySteps(api, resource);
      // A WebSocket channel counts frames, not its handshake: the relay replaces the throttling step.
      const admission = api.type === 'WS' ? webSocketStep(api, resource) : throttleStep(snapshot, api, resource);
      const inbound = present([authenticationStep(snapshot, api, resource, policies.backend !== null), ...policies.inbound, admission]);
      const backend = present([backendJwtStep(api, resource), security]);
      plan.resources.set(resource, {
        inbound,
        answer: policies.answer,
        backend: backend.length === 0 ? NONE : backend,
        mock: policies.backend,
        response: policies.response,
        outbound: policies.outbound,
      });
    }
  }
}

function present(steps: ReadonlyArray<CallStep | null>): CallStep[] {
  return steps.filter((s): s is CallStep => s !== null);
}
