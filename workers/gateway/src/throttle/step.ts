import type { AdmitRequest } from '../../../../durable-objects/throttle/types.ts';
import { ApiError } from '../../../shared/problem.ts';
import type { CustomPolicy, GatewaySnapshot, SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import type { CallStep, Caller, GatewayCall } from '../call.ts';
import { admitCall, admitShared, counterObjectName, subscriptionError, type SharedCounter } from './admit.ts';
import { advancedCounters, customCounters, type CallFacts } from './conditions.ts';
import { counterStub } from './counters.ts';
import { holdStreamSlot } from '../proxy/streaming.ts';
import { productAdmission } from '../products/admit.ts';

/**
 * The throttling step, after authentication and the policies: one call to the subscription's
 * counter object (which is also the subscription and revocation check) and, in parallel, to each
 * shared counter the call is charged to. The counter names and the custom policies an open
 * resource can be keyed by are worked out here, once per snapshot.
 */
export function throttleStep(snapshot: GatewaySnapshot, api: SnapshotApi, resource: SnapshotResource): CallStep {
  const apiCounter = counterObjectName.api(api.id);
  const resourceCounter = counterObjectName.resource(api.id, resource.method, resource.pathTemplate);
  if (resource.authType === 'none') {
    // Open resources are where limits matter most: the API's and the resource's policies (with
    // their conditional groups) and every custom policy that can be keyed without a caller.
    const anonymous = anonymousPolicies(snapshot.customPolicies);
    return async function throttleOpen_(call) {
      const facts = factsOf(call, null);
      const shared: SharedCounter[] = [
        ...advancedCounters(apiCounter, api.limits, api.conditional, facts),
        ...advancedCounters(resourceCounter, resource.limits, resource.conditional, facts),
        ...customCounters(anonymous, {
          userId: '-',
          appId: '-',
          apiContext: api.context,
          apiVersion: api.version,
          clientIp: call.clientIp,
        }),
        // Counters a step added (a GraphQL operation's policy, complexity points), admitted with the rest.
        ...call.counters,
      ];
      noteOperation(call);
      call.limits = await admitShared(call.x.env, shared);
    };
  }
  const applicationPolicies = snapshot.applicationPolicies;
  const custom = snapshot.customPolicies;
  const sse = api.type === 'SSE';
  // An operation that API products bundle may be admitted by a product's subscription (decision
  // 0049); every other resource calls `admitCall` as before: no extra lookup, round trip or allocation.
  const admit = resource.products === undefined || resource.products.length === 0 ? admitCall : productAdmission(resource.products);
  return async function throttle_(call) {
    const known = call.caller;
    // The authentication step runs first on every resource that reaches here.
    if (known === null) throw new ApiError('internal');
    const { env, waitUntil } = call.x;
    const facts = factsOf(call, known);
    const shared: SharedCounter[] = [
      {
        name: counterObjectName.application(known.applicationId),
        limits: known.applicationTier === null ? [] : (applicationPolicies?.[known.applicationTier] ?? []),
      },
      ...advancedCounters(apiCounter, api.limits, api.conditional, facts),
      ...advancedCounters(resourceCounter, resource.limits, resource.conditional, facts),
      ...customCounters(custom, {
        userId: known.user,
        appId: known.applicationId,
        apiContext: api.context,
        apiVersion: api.version,
        clientIp: call.clientIp,
      }),
      ...call.counters,
    ];
    noteOperation(call);
    const admitRequest: AdmitRequest = {
      keyType: known.keyType,
      credentialId: known.credentialId,
      issuedAt: known.issuedAt,
      ...(known.grantId === null ? {} : { grantId: known.grantId }),
    };
    const admitted = await admit(
      env,
      { applicationId: known.applicationId, apiId: api.id, request: admitRequest, shared },
      waitUntil,
    ).catch((err: unknown) => deadApplication(env, known.applicationId, admitRequest, err));
    call.limits = admitted.limits;
    call.meter = admitted.meter;
    call.tier = admitted.tier;
    // An SSE stream holds one of its subscription's connection slots while it lasts (decision 0042).
    if (sse) call.streamSlot = await holdStreamSlot(env, api, known.applicationId, admitRequest, waitUntil);
  };
}

/** What the call did, as a step named it (a GraphQL operation), for the usage report. */
function noteOperation(call: GatewayCall): void {
  if (call.operation !== null && call.x.usage !== undefined) call.x.usage.operation = call.operation;
}

export function factsOf(call: GatewayCall, caller: Caller | null): CallFacts {
  const search = call.search;
  return {
    ip: call.clientIp,
    headers: call.request.headers,
    query: () => new URLSearchParams(search),
    claims: caller?.claims?.raw ?? null,
  };
}

/**
 * A call refused as unsubscribed may come from an application that no longer exists: its own
 * counter object (removed with the application) says so, and then the credential is dead — 401
 * `invalid_token`, not 403. Asked on this refusal only, so the hot path pays nothing.
 */
async function deadApplication(env: Env, applicationId: string, request: AdmitRequest, err: unknown): Promise<never> {
  if (!(err instanceof ApiError) || err.code !== 'subscription-not-found') throw err;
  const answer = await counterStub(env, counterObjectName.application(applicationId))
    .admit(request)
    .catch(() => null);
  if (answer !== null && !answer.ok && answer.error.kind === 'revoked') throw subscriptionError(answer.error);
  throw err;
}

/** Custom policies an anonymous call can be counted by: keyed by address, context or version, never by a caller it does not have. */
function anonymousPolicies(policies: readonly CustomPolicy[] | undefined): CustomPolicy[] {
  return (policies ?? []).filter((p) => !/\$(userId|appId)\b/.test(p.keyTemplate));
}
