/**
 * The contract of the Traffic Manager's counter objects, shared by the gateway (which admits
 * requests), the control plane (which pushes live state) and the objects themselves. Expected
 * outcomes are values, not exceptions: RPC drops stacks, and a 429 is not an error.
 */
import type { KeyType, SubscriptionStatus } from '../../workers/shared/db/schema.ts';

/** WSO2's throttle codes by the scope of the limit that was hit. */
export const THROTTLE_CODES = {
  api: 900800,
  resource: 900802,
  application: 900803,
  subscription: 900804,
  custom: 900806,
  burst: 900807,
} as const;
export type LimitScope = keyof typeof THROTTLE_CODES;

/** One request-count limit over a fixed window aligned to the Unix epoch. */
export interface WindowLimit {
  /** Policy name, reported in `RateLimit-Policy`. */
  readonly policy: string;
  readonly scope: LimitScope;
  readonly limit: number;
  readonly windowSeconds: number;
  /**
   * What the gateway does when the object cannot answer for this limit: let the call through
   * (true, the default for throttling) or refuse it with 503. Subscription checks always fail closed.
   */
  readonly failOpen?: boolean;
  /**
   * `bytes`: a bandwidth quota — the window counts response bytes, added after each call by
   * `addBytes`; a call is admitted while the window is not used up (so the call that crosses the
   * line completes, as with WSO2 and Kong). `points`: the window counts what each call costs
   * (GraphQL query complexity), passed to `take` — a call is admitted only if its whole cost fits, so
   * the sum of admitted costs never exceeds the limit. Absent: the window counts requests, exactly.
   */
  readonly unit?: 'bytes' | 'points';
  /**
   * WSO2's `stopOnQuotaReach: false` (overage allowed, e.g. billed): the window counts every call
   * and refuses none; RateLimit shows it used up (`r=0`). Only a subscription tier's quota.
   */
  readonly allowOverage?: true;
}

/** What the control plane tells a subscription's object; it is the authority for all of it. */
export interface SubscriptionState {
  readonly subscriptionId: string;
  readonly applicationId: string;
  readonly apiId: string;
  readonly status: SubscriptionStatus;
  readonly tier: string;
  readonly limits: readonly WindowLimit[];
  /**
   * Application-wide revocations, so a subscription made after a revocation inherits it: credentials
   * issued before these instants (ms) per key type, and single revoked credentials until they expire.
   */
  readonly validAfter: { readonly PRODUCTION: number; readonly SANDBOX: number };
  readonly revokedCredentials: ReadonlyArray<{ readonly id: string; readonly expiresAt: number }>;
}

export interface AdmitRequest {
  readonly keyType: KeyType;
  /** Token id (`jti`), or the API key id. */
  readonly credentialId: string;
  /** When the credential was issued (ms); tokens issued before a revocation watermark are refused. */
  readonly issuedAt: number;
  /** The grant (refresh-token family) a token came from: revoking the grant revokes its tokens. */
  readonly grantId?: string;
}

export interface LimitStatus {
  readonly policy: string;
  readonly scope: LimitScope;
  readonly limit: number;
  readonly windowSeconds: number;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSeconds: number;
  readonly unit?: 'bytes' | 'points';
}

export type AdmitError =
  | { readonly kind: 'unknown-subscription' }
  | { readonly kind: 'blocked'; readonly status: SubscriptionStatus }
  | { readonly kind: 'revoked' }
  | {
      readonly kind: 'throttled';
      readonly violated: readonly LimitStatus[];
      readonly limits: readonly LimitStatus[];
      readonly retryAfterSeconds: number;
    };

export type AdmitResult =
  | { readonly ok: true; readonly tier: string; readonly limits: readonly LimitStatus[]; readonly windowStarts: readonly number[] }
  | { readonly ok: false; readonly error: AdmitError };

/** How long a lease may be spent: bounds how stale a lease's view of revocation can be. */
export const LEASE_MAX_MS = 1000;
/** No lease takes more than this share of what remains, so many isolates can hold one at once. */
export const LEASE_MAX_SHARE = 0.1;

/**
 * The durable ceiling (decision 0058): a counter object writes `min(limit, count + slack)` when a
 * call takes its count above what is stored, and nothing while the count stays at or below it, with
 * `slack = floor(limit × RESERVE_SHARE)` in the window's unit (at most `RESERVE_MAX_CALLS` for a
 * request window). Limits below 100 have no slack: every change is written, exactly as stored counts
 * were before. What is stored is never below the true count, so a restarted object never admits
 * more than the limit; it may refuse at most the slack (twice it after refunds) that had quota, once
 * per window: a window its object restarted in is written through from then on.
 */
export const RESERVE_SHARE = 0.01;
/** A request window's slack never exceeds this many calls: one write per thousand calls already costs nothing measurable. */
export const RESERVE_MAX_CALLS = 1000;

export interface Lease {
  readonly granted: number;
  /** The object's counts after the grant (the lease already spent, from everyone's point of view). */
  readonly limits: readonly LimitStatus[];
  readonly windowStarts: readonly number[];
  readonly tier: string;
  /** The lease ends at this instant (ms) or at the first window's end, whichever comes first. */
  readonly expiresAt: number;
  /** What the holder must check per request while spending the lease (revocation state at grant). */
  readonly validAfter: { readonly PRODUCTION: number; readonly SANDBOX: number };
  readonly revoked: readonly string[];
}

export type LeaseResult = { readonly ok: true; readonly lease: Lease } | { readonly ok: false; readonly error: AdmitError };

export type TakeResult =
  | { readonly ok: true; readonly limits: readonly LimitStatus[]; readonly windowStarts: readonly number[] }
  | { readonly ok: false; readonly error: Extract<AdmitError, { kind: 'throttled' }> };

/**
 * A long-lived connection (WebSocket, SSE) held under a subscription (decision 0042): `openConnection`
 * checks the credential as `admit` does, counting nothing, and holds a slot until `closeConnection`
 * or until `ttlMs` passes without a `checkConnection` renewing it (an isolate that died gives its slots back).
 */
export interface ConnectionSlot {
  readonly id: string;
  /** Open connections the subscription may hold at once; null: no limit (the slot is still tracked). */
  readonly max: number | null;
  readonly ttlMs: number;
}

export type ConnectError = AdmitError | { readonly kind: 'too-many-connections'; readonly limit: number };

export type CheckResult = { readonly ok: true; readonly tier: string } | { readonly ok: false; readonly error: ConnectError };

/** Counter objects for limits shared beyond one subscription. */
export const counterObjectName = {
  application: (applicationId: string) => `app:${applicationId}`,
  api: (apiId: string) => `api:${apiId}`,
  resource: (apiId: string, method: string, pathTemplate: string) => `res:${apiId}:${method}:${pathTemplate}`,
  /** A conditional group of an advanced policy: one counter per group, shared by the calls it matches. */
  group: (base: string, group: number) => `${base}:g${group}`,
  /** A custom policy: one counter per value of its key template (e.g. per user across every API). */
  custom: (policy: string, key: string) => `custom:${policy}:${key}`,
  /** A GraphQL operation's policy (a root field coordinate, `Query.books`), shared by every caller of the API. */
  graphqlOperation: (apiId: string, coordinate: string) => `gqlop:${apiId}:${coordinate}`,
  /** A GraphQL API's complexity points spent by one application (`-`: anonymous calls of an open API). */
  graphqlPoints: (apiId: string, applicationId: string) => `gqlpts:${apiId}:${applicationId}`,
} as const;

export function subscriptionObjectName(applicationId: string, apiId: string): string {
  return `sub:${applicationId}:${apiId}`;
}
