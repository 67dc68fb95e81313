/**
 * The policy-step contract. A policy is one folder under `policies/`: its config schema (zod) and a
 * `build` that turns a checked config into plain functions — an inbound step run after
 * authentication and before any quota is spent or the backend is called, an answer step run after
 * throttling that may answer in the backend's place, a response step run on the backend's response,
 * and/or an outbound step run on the headers of the answer. `build` runs once per snapshot version (see compile.ts);
 * the request path only loops over the functions it returned. Modelled on Hono's
 * `src/middleware/<name>/` folders, without the framework (decision 0015).
 */
import type { z } from 'zod';
import type { KeyType } from '../../../shared/db/schema.ts';
import type { SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import type { WindowLimit } from '../../../../durable-objects/throttle/types.ts';

/** What an inbound step sees and may change of the call on its way to the backend. */
export interface InboundCall {
  readonly request: Request;
  /** The query string as it will be forwarded (`?…` or empty); a transform may rewrite it. */
  search: string;
  /** The path below context and version, as it will be forwarded; a transform may rewrite it. */
  rest: string;
  /** Headers the gateway adds to the backend request, over the request's own. */
  readonly extraHeaders: Record<string, string>;
  /** The request's headers as they will be forwarded; a step that drops some replaces this. */
  headers: Headers;
  /** The body as it will be forwarded; a step that reads it puts the text back here. */
  body: ReadableStream | string | null;
  /** Work that may finish after the answer has gone (e.g. storing it in a cache). */
  readonly waitUntil: (p: Promise<unknown>) => void;
  /** Who is calling, once authenticated; null on an open resource (`authType: none`). */
  readonly caller: {
    readonly applicationId: string;
    readonly keyType: KeyType;
    readonly claims: { readonly scopes: ReadonlySet<string> } | null;
  } | null;
  /**
   * Counters the call is also counted by, added by a step (e.g. a GraphQL API's operations and
   * complexity points) and admitted with the call's other shared limits, exactly and all or none.
   */
  readonly counters: StepCounter[];
  /** What the call does, for the usage report (e.g. the GraphQL operation's name); null: the resource. */
  operation: string | null;
}

/** A counter object a step adds to the call's admission (the shape of throttle/admit.ts's SharedCounter). */
export interface StepCounter {
  readonly name: string;
  readonly limits: readonly WindowLimit[];
  /** The call's cost in the counter's `points` windows. */
  readonly cost?: number;
}

/** Refuses a call by throwing an ApiError; returns a promise only when it must wait (e.g. to read the body). */
export type InboundStep = (call: InboundCall) => void | Promise<void>;
/** Changes the headers of the answer the gateway relays (after the backend answered). */
export type OutboundStep = (headers: Headers) => void;
/**
 * Answers in place of the backend (a mock): run where the backend would be called, so the call
 * has been authenticated, authorized and counted like any other, and outbound steps still run.
 */
export type BackendStep = (call: InboundCall) => Response | Promise<Response>;

/**
 * Runs once the call has been admitted and counted, just before the backend: a Response answers in
 * the backend's place (a cache hit), null lets the call go on. The outbound steps, CORS and
 * `RateLimit` headers still apply to the answer.
 */
export type AnswerStep = (call: InboundCall) => Response | null | Promise<Response | null>;
/**
 * Sees the backend's response before it is relayed and returns the one to relay (checked, kept in a
 * cache, replaced, its JSON body rewritten); refuses it by throwing an ApiError. Run on a mock's
 * answer too (it stands for the backend's), not on an AnswerStep's.
 */
export type ResponseStep = (response: Response, call: InboundCall) => Response | Promise<Response>;

export interface PolicySteps {
  readonly inbound?: InboundStep;
  readonly answer?: AnswerStep;
  readonly response?: ResponseStep;
  readonly outbound?: OutboundStep;
  readonly backend?: BackendStep;
}

/** Where a policy is attached, for a build that reads the resource (e.g. its OpenAPI operation). */
export interface PolicyTarget {
  readonly api: SnapshotApi;
  readonly resource: SnapshotResource;
}

export interface PolicyDefinition<S extends z.ZodType> {
  readonly name: string;
  /** One sentence for the publisher (the policy catalog, GET /api/publisher/v1/policies). */
  readonly description: string;
  readonly config: S;
  /** True when `build` reads `target.resource.operation`: the control plane then freezes the operation into the revision. */
  readonly readsOperation?: boolean;
  build(config: z.output<S>, target: PolicyTarget): PolicySteps;
}

/** A policy with its config type erased, as the registry holds it: `build` parses what it is given. */
export interface Policy {
  readonly name: string;
  readonly description: string;
  readonly config: z.ZodType;
  readonly readsOperation: boolean;
  build(config: unknown, target: PolicyTarget): { ok: true; steps: PolicySteps } | { ok: false; detail: string };
}

export function definePolicy<S extends z.ZodType>(definition: PolicyDefinition<S>): Policy {
  return {
    name: definition.name,
    description: definition.description,
    config: definition.config,
    readsOperation: definition.readsOperation === true,
    build(config, target) {
      const parsed = definition.config.safeParse(config);
      if (!parsed.success) return { ok: false, detail: parsed.error.issues.map((i) => `/${i.path.join('/')}: ${i.message}`).join('; ') };
      return { ok: true, steps: definition.build(parsed.data, target) };
    },
  };
}
