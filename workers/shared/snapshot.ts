/**
 * What a gateway environment serves: compiled by the control plane from the deployed revisions on
 * every deploy, stored in `gateway_snapshots` (a head, with the APIs in R2 shards: decision 0034),
 * cached by each gateway isolate. Versioned so an isolate can tell cheaply whether it is current.
 */
import type { JWK } from 'jose';
import type { WindowLimit } from '../../durable-objects/throttle/types.ts';
import type { ApiType, AuthType, ClaimMappings, ConditionalGroup, CorsConfig, HeaderEdits, KeyType, LifecycleState } from './db/schema.ts';
import type { PolicyRef, Streaming } from './revision.ts';
import type { SnapshotShards } from './snapshot-shards.ts';

export type ThrottleCondition = ConditionalGroup['conditions'][number];

/** A conditional group of an advanced policy: when every condition holds, its limits apply instead of the default. */
export interface ConditionalLimits {
  readonly conditions: readonly ThrottleCondition[];
  readonly limits: readonly WindowLimit[];
}

/** A custom policy (admin): limits counted per value of a key template, across every API. */
export interface CustomPolicy {
  readonly name: string;
  /** e.g. `$userId:$apiContext`; variables: $userId $appId $apiContext $apiVersion $clientIp. */
  readonly keyTemplate: string;
  readonly limits: readonly WindowLimit[];
}

export interface SnapshotEndpoint {
  readonly strategy: 'single' | 'load_balance' | 'failover';
  /**
   * `timeoutMs` bounds the wait for the response headers; `idleTimeoutMs` the gap between body
   * chunks and `totalTimeoutMs` the whole call (defaults 30 s and 60 s, the total never shorter than
   * `timeoutMs`; see workers/gateway/src/proxy/body-guard.ts).
   */
  readonly urls: ReadonlyArray<{
    readonly url: string;
    readonly timeoutMs: number;
    readonly idleTimeoutMs?: number;
    readonly totalTimeoutMs?: number;
  }>;
  readonly suspendSeconds: number;
  /** Endpoint security as stored: its secret sealed under ENCRYPTION_KEY (see endpoint-security.ts). */
  readonly security?: string;
}

export interface SnapshotResource {
  readonly method: string;
  readonly pathTemplate: string;
  readonly authType: AuthType;
  readonly scopes: readonly string[];
  readonly limits: readonly WindowLimit[];
  /** Conditional groups of the resource's advanced policy. */
  readonly conditional?: readonly ConditionalLimits[];
  /** The operation's own policies, run after the API's (absent in snapshots compiled before them). */
  readonly policies?: readonly PolicyRef[];
  /** What the API's OpenAPI document says of this operation; compiled in only when a policy reads it. */
  readonly operation?: SnapshotOperation;
  /**
   * Ids of the served API products (PUBLISHED or DEPRECATED) that bundle this operation: a call of
   * an application subscribed to one of them is admitted against that subscription's counter
   * object, named by (application, product) — one quota across the product's operations on every
   * API (decision 0049). Absent when no product bundles it.
   */
  readonly products?: readonly string[];
}

/** An OpenAPI operation's inputs, with internal `$ref`s resolved (external ones are never fetched). */
export interface SnapshotOperation {
  readonly parameters: ReadonlyArray<{
    readonly name: string;
    readonly in: 'path' | 'query' | 'header';
    readonly required: boolean;
    readonly schema: Readonly<Record<string, unknown>>;
  }>;
  /** The `application/json` request body schema, if the operation declares one. */
  readonly body: { readonly required: boolean; readonly schema: Readonly<Record<string, unknown>> } | null;
  /** 3.1 documents use JSON Schema 2020-12; 3.0 and Swagger a draft 4 dialect. */
  readonly dialect: '2020-12' | '4';
  /** The documented responses (status `200`, `2XX` or `default`), for the mock policy; absent before it. */
  readonly responses?: readonly SnapshotResponse[];
}

/** One documented response: its first media type (JSON preferred), examples and schema (internal `$ref`s inlined). */
export interface SnapshotResponse {
  readonly status: string;
  readonly mediaType: string | null;
  readonly example?: unknown;
  readonly examples: Readonly<Record<string, unknown>>;
  readonly schema: Readonly<Record<string, unknown>> | null;
}

/** A GRAPHQL API's schema and analysis limits, with its throttling policies compiled to windows. */
export interface SnapshotGraphql {
  readonly schema: string;
  readonly maxDepth: number | null;
  readonly maxComplexity: number | null;
  readonly introspection: boolean;
  readonly fieldCosts: Readonly<Record<string, number>>;
  readonly fieldScopes: Readonly<Record<string, readonly string[]>>;
  /** Per operation (root field coordinate): the windows of its advanced policy, shared by every caller. */
  readonly operationLimits: Readonly<Record<string, readonly WindowLimit[]>>;
  /** Complexity points per application on this API (`unit: 'points'`); empty: not counted. */
  readonly points: readonly WindowLimit[];
}

export interface SnapshotApi {
  readonly id: string;
  /** Absent in snapshots compiled before API types: 'HTTP'. */
  readonly type?: ApiType;
  /** WebSocket and SSE APIs: connection limits, defaults filled in (see revision.ts `StreamingSchema`). */
  readonly streaming?: Streaming;
  readonly name: string;
  readonly context: string;
  readonly version: string;
  /** Present for GRAPHQL APIs. */
  readonly graphql?: SnapshotGraphql;
  readonly isDefaultVersion: boolean;
  readonly state: Extract<LifecycleState, 'PUBLISHED' | 'PRE-RELEASED' | 'DEPRECATED' | 'BLOCKED'>;
  readonly revisionId: string;
  readonly resources: readonly SnapshotResource[];
  readonly endpoints: Partial<Record<KeyType, SnapshotEndpoint>>;
  readonly apiKeyHeader: string;
  readonly cors: CorsConfig | null;
  readonly backendJwt: boolean;
  /** Kept as its own field for snapshots and publishers that predate policies; the gateway runs it as the `header-edits` step. */
  readonly headerEdits: HeaderEdits | null;
  /** The API's policies, run before each operation's (absent in snapshots compiled before them). */
  readonly policies?: readonly PolicyRef[];
  /**
   * Changes on every deploy of the API to this environment and on every cache purge the publisher
   * asks for: part of every response-cache key, so entries of before are never read again.
   */
  readonly cacheEpoch?: number;
  /** Names of the external key managers (GatewaySnapshot.keyManagers) whose tokens this API accepts besides Turnpike's own. */
  readonly keyManagers?: readonly string[];
  /** API-level (advanced) limits, shared by every caller of the API. */
  readonly limits: readonly WindowLimit[];
  /** Conditional groups of the API-level policy. */
  readonly conditional?: readonly ConditionalLimits[];
}

export interface GatewaySnapshot {
  readonly version: number;
  readonly environment: string;
  readonly compiledAt: number;
  /** Access-token issuer and audience the gateway accepts (RFC 9068 §4). */
  readonly issuer: string;
  readonly audience: string;
  /** Public keys of the Key Manager; each carries the one `alg` it may be used with. */
  readonly jwks: readonly PublicJwk[];
  readonly allowPrivateBackends: boolean;
  /**
   * The key types this environment serves (its `type`, as WSO2's gateway environments: production,
   * sandbox, or both when hybrid or absent). A call made with another key type is refused (403).
   */
  readonly keyTypes?: readonly KeyType[];
  /** The hostname this environment serves; when set, calls for any other Host are not routed. */
  readonly hostname?: string | null;
  /** Inline APIs (a whole snapshot); empty in a head whose APIs sit in `shards`. */
  readonly apis: readonly SnapshotApi[];
  /** Where the APIs are when they are not inline: R2 objects by shard (snapshot-shards.ts, decision 0034). */
  readonly shards?: SnapshotShards;
  /** Application tiers by name: limits shared by every API an application calls. */
  readonly applicationPolicies?: Readonly<Record<string, readonly WindowLimit[]>>;
  /** Enabled blocking conditions (admin), enforced before anything reaches a backend. */
  readonly blocking?: BlockingRules;
  /** Custom policies (admin), applied to every authenticated call. */
  readonly customPolicies?: readonly CustomPolicy[];
  /** External key managers this environment accepts (enabled, and this environment among theirs). */
  readonly keyManagers?: readonly SnapshotKeyManager[];
}

/** An external OpenID Provider / authorization server whose access tokens gateways verify (decision 0036). */
export interface SnapshotKeyManager {
  readonly id: string;
  readonly name: string;
  readonly issuer: string;
  readonly audience: string;
  /** Where its signing keys are published; null when its tokens are opaque only (introspection). */
  readonly jwksUri: string | null;
  /** RFC 7662 introspection, with the client the gateway authenticates as; the secret sealed under ENCRYPTION_KEY with the key manager's id as context. */
  readonly introspection: { readonly endpoint: string; readonly clientId: string; readonly clientSecret: string } | null;
  readonly claims: ClaimMappings;
  readonly jwksMaxAgeSeconds: number;
  readonly jwksCooldownSeconds: number;
}

export interface BlockingRules {
  /** API contexts (`/petstore`: every version) and contexts with a version (`/petstore/v1`: that version only). */
  readonly apiContexts: readonly string[];
  readonly applicationIds: readonly string[];
  /** Token `sub` / API key owner (user ids). */
  readonly users: readonly string[];
  /** Addresses or CIDR ranges; `inverted` blocks everything outside the range. */
  readonly ips: ReadonlyArray<{ readonly range: string; readonly inverted: boolean }>;
}

/** A public key as published in the JWKS: `kid` and `alg` are required here. */
export type PublicJwk = JWK & { readonly kid: string; readonly alg: string; readonly use: 'sig' };
