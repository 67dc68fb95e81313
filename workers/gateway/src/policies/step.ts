/**
 * The policy-step contract. A policy is one folder under `policies/`: its config schema (zod) and a
 * `build` that turns a checked config into plain functions — an inbound step run after
 * authentication and before any quota is spent or the backend is called, and/or an outbound step
 * run on the backend's response headers. `build` runs once per snapshot version (see compile.ts);
 * the request path only loops over the functions it returned. Modelled on Hono's
 * `src/middleware/<name>/` folders, without the framework (decision 0015).
 */
import type { z } from 'zod';
import type { SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import type { WindowLimit } from '../../../../durable-objects/throttle/types.ts';

/** What an inbound step sees and may change of the call on its way to the backend. */
export interface InboundCall {
  readonly request: Request;
  /** The query string as received (`?…` or empty). */
  readonly search: string;
  /** The path below context and version, as forwarded to the backend. */
  readonly rest: string;
  /** Headers the gateway adds to the backend request, over the request's own. */
  readonly extraHeaders: Record<string, string>;
  /** The request's headers as they will be forwarded; a step that drops some replaces this. */
  headers: Headers;
  /** The body as it will be forwarded; a step that reads it puts the text back here. */
  body: ReadableStream | string | null;
  /** The calling application, or null on an open resource (`authType: none`). */
  readonly applicationId: string | null;
  /** The scopes of the caller's access token; null when the call carries none (an API key, an open resource). */
  readonly scopes: ReadonlySet<string> | null;
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

export interface PolicySteps {
  readonly inbound?: InboundStep;
  readonly outbound?: OutboundStep;
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
  build(config: z.output<S>, target: PolicyTarget): PolicySteps;
}

/** A policy with its config type erased, as the registry holds it: `build` parses what it is given. */
export interface Policy {
  readonly name: string;
  readonly description: string;
  readonly config: z.ZodType;
  build(config: unknown, target: PolicyTarget): { ok: true; steps: PolicySteps } | { ok: false; detail: string };
}

export function definePolicy<S extends z.ZodType>(definition: PolicyDefinition<S>): Policy {
  return {
    name: definition.name,
    description: definition.description,
    config: definition.config,
    build(config, target) {
      const parsed = definition.config.safeParse(config);
      if (!parsed.success) return { ok: false, detail: parsed.error.issues.map((i) => `/${i.path.join('/')}: ${i.message}`).join('; ') };
      return { ok: true, steps: definition.build(parsed.data, target) };
    },
  };
}
