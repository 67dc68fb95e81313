import type { LimitStatus } from '../../../durable-objects/throttle/types.ts';
import type { KeyType } from '../../shared/db/schema.ts';
import type { AccessTokenClaims } from './auth/access-token.ts';
import type { Exchange } from './exchange.ts';
import type { InboundCall } from './policies/step.ts';
import type { CompiledSnapshot } from './snapshot/store.ts';
import type { StreamSlot } from './proxy/streaming.ts';
import type { HandshakeCredentials } from './websocket/handshake.ts';

/** Who is calling, once the credential has been checked. */
export interface Caller {
  readonly applicationId: string;
  readonly keyType: KeyType;
  /** `jti` of a token or id of an API key: what revocation names. */
  readonly credentialId: string;
  readonly issuedAt: number;
  readonly grantId: string | null;
  readonly claims: AccessTokenClaims | null;
  /** The user the call is made for (token `sub`, or the API key's application owner). */
  readonly user: string;
  readonly applicationTier: string | null;
}

/**
 * The whole per-request state of an API call: what policy steps see (InboundCall) and what the
 * gateway's own steps (CORS, blocking, authentication, throttling, backend JWT, backend security;
 * see plan.ts) fill in on the way. One object per call: the step loop allocates nothing else.
 */
export interface GatewayCall extends InboundCall {
  readonly x: Exchange;
  readonly compiled: CompiledSnapshot;
  readonly clientIp: string | null;
  caller: Caller | null;
  /** The limits the call was admitted under, for the `RateLimit` headers. */
  limits: readonly LimitStatus[];
  /** Charges the response's bytes to bandwidth quotas, when the call was admitted under any. */
  meter: ((bytes: number) => Promise<void>) | null;
  /** The subscription's tier as the counter object told it (what the backend JWT carries). */
  tier: string | null;
  /** A WebSocket API's handshake (its credential moved into `headers`, the subprotocols left); null otherwise. */
  readonly handshake: HandshakeCredentials | null;
  /** An SSE API's connection slot, held while its stream lasts (proxy/streaming.ts). */
  streamSlot: StreamSlot | null;
}

/**
 * One step of the call path. Refuses by throwing an ApiError; answers in the backend's place by
 * returning a Response (a CORS preflight), which ends the call as it stands. A policy's inbound
 * step (policies/step.ts) is one of these.
 */
export type CallStep = (call: GatewayCall) => void | Response | Promise<void | Response>;
