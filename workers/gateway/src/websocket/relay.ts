import {
  subscriptionObjectName,
  type AdmitRequest,
  type CheckResult,
  type ConnectError,
} from '../../../../durable-objects/throttle/types.ts';
import { canonicalPath } from '../routing/canonical-path.ts';
import type { KeyType } from '../../../shared/db/schema.ts';
import { ApiError, problemBody, toApiError } from '../../../shared/problem.ts';
import { DEFAULT_STREAMING } from '../../../shared/revision.ts';
import type { CustomPolicy, SnapshotApi, SnapshotResource } from '../../../shared/snapshot.ts';
import type { AccessTokenClaims } from '../auth/access-token.ts';
import type { Exchange } from '../exchange.ts';
import { BACKEND_JWT_HEADER, backendJwt } from '../proxy/backend-jwt.ts';
import { backendSecurity } from '../proxy/endpoint-security.ts';
import { forward } from '../proxy/forward.ts';
import { currentSnapshot, type CompiledSnapshot } from '../snapshot/store.ts';
import { admitCall, admitShared, counterObjectName, subscriptionError, type SharedCounter } from '../throttle/admit.ts';
import { assertNotBlocked } from '../throttle/blocking.ts';
import { advancedCounters, customCounters, type CallFacts } from '../throttle/conditions.ts';
import { counterStub } from '../throttle/counters.ts';
import { CLOSE, closeCodeFor, closeReason, relayedCloseCode } from './close-codes.ts';
import { register, unregister, type OpenConnection } from './registry.ts';
import { reportConnection } from '../usage/reporter.ts';

/**
 * How often an open connection asks its subscription's counter object whether its credential still
 * holds (revocation, block, unsubscription, application deleted), when no notification reached this
 * isolate first: the bound on how long a revoked credential's socket can stay open in an isolate the
 * control plane did not reach (decision 0042). Also how often the connection's slot is renewed.
 */
export const RECHECK_MS = 5_000;
/** A slot not renewed for this long is given back (the isolate holding it died). */
export const SLOT_TTL_MS = 3 * RECHECK_MS;
/** Client frames waiting for admission, per connection; beyond it a frame gets an error frame. */
export const MAX_PENDING_FRAMES = 256;

/** Who opened the socket, as the call path knows it after authentication. */
export interface SocketCaller {
  readonly applicationId: string;
  readonly keyType: KeyType;
  readonly credentialId: string;
  readonly issuedAt: number;
  readonly grantId: string | null;
  readonly claims: AccessTokenClaims | null;
  readonly user: string;
  readonly applicationTier: string | null;
}

export interface WebSocketHandshake {
  readonly compiled: CompiledSnapshot;
  readonly api: SnapshotApi;
  readonly resource: SnapshotResource;
  /** Null on a channel that needs no credential (authType none). */
  readonly caller: SocketCaller | null;
  readonly facts: CallFacts;
  readonly clientIp: string | null;
  /** The request headers as the policies left them. */
  readonly headers: Headers;
  readonly extraHeaders: Record<string, string>;
  readonly rest: string;
  readonly search: string;
  /** The subprotocols the client offered, less a credential. */
  readonly protocols: readonly string[];
  /** Selected back when the backend selects none (handshake.ts BEARER_ACK_SUBPROTOCOL), or null. */
  readonly fallbackProtocol: string | null;
}

/** What one connection did, for the log line and usage: frames and bytes per direction. */
export interface ConnectionTally {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Client frames refused (over a limit, or the admission queue full), each answered with an error frame. */
  refused: number;
}

/**
 * Accepts a WebSocket handshake on a WS API once the caller has been authenticated: holds a
 * connection slot in the subscription's counter object (connections per subscription; the call
 * counts no frame), opens the gateway's own WebSocket to the backend, and relays frames both ways.
 * Each client frame is admitted through the counter objects exactly as a request is (the
 * subscription tier's window, and the application, API, resource and custom policies): one frame,
 * one count, leased when the connection is busy. Refused before the 101, the handshake answers
 * problem+json like any call; once open, the connection ends with a close code (close-codes.ts).
 */
export async function openWebSocket(x: Exchange, h: WebSocketHandshake): Promise<Response> {
  const { env } = x;
  const { api, caller } = h;
  const streaming = api.streaming ?? DEFAULT_STREAMING;
  const id = crypto.randomUUID();
  const admitRequest: AdmitRequest | null =
    caller === null
      ? null
      : {
          keyType: caller.keyType,
          credentialId: caller.credentialId,
          issuedAt: caller.issuedAt,
          ...(caller.grantId === null ? {} : { grantId: caller.grantId }),
        };
  const slotObject = caller === null ? null : subscriptionObjectName(caller.applicationId, api.id);
  let tier: string | null = null;
  if (slotObject !== null && admitRequest !== null) {
    let held: CheckResult;
    try {
      held = await counterStub(env, slotObject).openConnection(admitRequest, {
        id,
        max: streaming.maxConnectionsPerSubscription,
        ttlMs: SLOT_TTL_MS,
      });
    } catch (cause) {
      throw new ApiError('service-unavailable', {
        detail: 'The subscription could not be verified',
        cause,
        headers: { 'retry-after': '1' },
      });
    }
    if (!held.ok) throw connectError(held.error);
    tier = held.tier;
  }
  const releaseSlot = () => {
    if (slotObject !== null)
      x.waitUntil(
        counterStub(env, slotObject)
          .closeConnection(id)
          .catch(() => undefined),
      );
  };
  try {
    const served = h.compiled.snapshot.keyTypes;
    const endpoint = api.endpoints[caller?.keyType ?? (served === undefined || served.includes('PRODUCTION') ? 'PRODUCTION' : 'SANDBOX')];
    const extraHeaders: Record<string, string> = { ...h.extraHeaders };
    if (endpoint?.security !== undefined) Object.assign(extraHeaders, await backendSecurity(env, endpoint.security));
    if (api.backendJwt && caller?.claims != null && tier !== null)
      extraHeaders[BACKEND_JWT_HEADER] = await backendJwt(env, caller.claims, api, tier);
    if (h.protocols.length > 0) extraHeaders['sec-websocket-protocol'] = h.protocols.join(', ');
    const { response } = await forward({
      endpoint,
      keyType: caller?.keyType ?? null,
      method: 'GET',
      rest: h.rest,
      search: h.search,
      headers: h.headers,
      body: null,
      apiKeyHeader: api.apiKeyHeader,
      clientIp: h.clientIp,
      requestUrl: x.request.url,
      requestId: x.requestId,
      extraHeaders,
      upgrade: 'websocket',
    });
    const backend = response.webSocket;
    if (response.status !== 101 || backend === null) {
      await response.body?.cancel().catch(() => undefined);
      throw new ApiError('bad-gateway', { detail: `The backend answered the WebSocket handshake with ${response.status}, not 101` });
    }
    const pair = new WebSocketPair();
    const client = pair[0];
    const server = pair[1];
    const connection = new Relay(x, h, { id, admitRequest, slotObject, shared: frameCounters(h), releaseSlot }, server, backend);
    if (!register(connection)) {
      backend.accept();
      backend.close(CLOSE.normal, 'gateway busy');
      throw new ApiError('service-unavailable', {
        detail: 'This gateway isolate holds as many connections as it may',
        headers: { 'retry-after': '1' },
      });
    }
    connection.start();
    const selected = response.headers.get('sec-websocket-protocol') ?? h.fallbackProtocol;
    return new Response(null, { status: 101, webSocket: client, headers: selected === null ? {} : { 'sec-websocket-protocol': selected } });
  } catch (err) {
    releaseSlot();
    throw err;
  }
}

function connectError(error: ConnectError): ApiError {
  if (error.kind === 'too-many-connections') {
    return new ApiError('too-many-connections', {
      detail: `This subscription holds ${error.limit} open connections to this API, its limit`,
      headers: { 'retry-after': '1' },
      extensions: { limit: error.limit },
    });
  }
  return subscriptionError(error);
}

/**
 * What each client frame is counted against: the same shared counters a request to this resource
 * would be (the application tier, the API's and the resource's policies with their conditional
 * groups, the custom policies), beside the subscription's own window that `admitCall` counts.
 */
function frameCounters(h: WebSocketHandshake): SharedCounter[] {
  const { api, resource, caller, compiled } = h;
  const facts: CallFacts = caller === null ? h.facts : { ...h.facts, claims: caller.claims?.raw ?? null };
  const vars = {
    userId: caller?.user ?? '-',
    appId: caller?.applicationId ?? '-',
    apiContext: api.context,
    apiVersion: api.version,
    clientIp: h.clientIp,
  };
  const custom: readonly CustomPolicy[] = (compiled.snapshot.customPolicies ?? []).filter(
    (p) => caller !== null || !/\$(userId|appId)\b/.test(p.keyTemplate),
  );
  return [
    ...(caller === null || caller.applicationTier === null
      ? []
      : [
          {
            name: counterObjectName.application(caller.applicationId),
            limits: compiled.snapshot.applicationPolicies?.[caller.applicationTier] ?? [],
          },
        ]),
    ...advancedCounters(counterObjectName.api(api.id), api.limits, api.conditional, facts),
    ...advancedCounters(
      counterObjectName.resource(api.id, resource.method, resource.pathTemplate),
      resource.limits,
      resource.conditional,
      facts,
    ),
    ...customCounters(custom, vars),
  ];
}

interface RelayState {
  readonly id: string;
  readonly admitRequest: AdmitRequest | null;
  readonly slotObject: string | null;
  readonly shared: readonly SharedCounter[];
  readonly releaseSlot: () => void;
}

const encoder = new TextEncoder();
const sizeOf = (data: string | ArrayBuffer) => (typeof data === 'string' ? encoder.encode(data).byteLength : data.byteLength);

/**
 * One proxied connection: the client's side (`server`, the half of the pair the gateway holds) and
 * the backend's. Client frames go through admission one at a time, in order (a WebSocket is an
 * ordered stream: RFC 6455 §6.1); backend frames are relayed as they come and counted, not
 * throttled — the client cannot stop them, and dropping one would lose it silently.
 */
class Relay implements OpenConnection {
  readonly id: string;
  readonly applicationId: string | null;
  readonly tally: ConnectionTally = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, refused: 0 };
  readonly #x: Exchange;
  readonly #h: WebSocketHandshake;
  /** The handshake's path, to find the API again in a newer snapshot (whole or sharded). */
  readonly #path: string;
  readonly #state: RelayState;
  readonly #client: WebSocket;
  readonly #backend: WebSocket;
  readonly #openedAt = Date.now();
  readonly #endsAt: number;
  readonly #idleMs: number;
  #lastFrameAt = Date.now();
  #closed = false;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;
  #woken = false;
  #alarm: (() => void) | null = null;

  constructor(x: Exchange, h: WebSocketHandshake, state: RelayState, client: WebSocket, backend: WebSocket) {
    this.#x = x;
    this.#h = h;
    this.#path = canonicalPath(x.request.url).path;
    this.#state = state;
    this.#client = client;
    this.#backend = backend;
    this.id = state.id;
    this.applicationId = h.caller?.applicationId ?? null;
    const streaming = h.api.streaming ?? DEFAULT_STREAMING;
    this.#idleMs = streaming.idleTimeoutSeconds * 1000;
    // The connection lives no longer than its access token (RFC 6750 §3.1: an expired token is invalid).
    const tokenEnds = h.caller?.claims?.expiresAtMs ?? Infinity;
    this.#endsAt = Math.min(this.#openedAt + streaming.maxDurationSeconds * 1000, tokenEnds);
  }

  /** From any request context: the connection's own context wakes and checks itself. */
  wake(): void {
    this.#woken = true;
    this.#alarm?.();
  }

  start(): void {
    this.#client.accept();
    this.#backend.accept();
    this.#client.addEventListener('message', (event) => this.#fromClient(event.data));
    this.#backend.addEventListener('message', (event) => {
      if (this.#closed) return;
      this.#lastFrameAt = Date.now();
      this.tally.framesOut += 1;
      this.tally.bytesOut += sizeOf(event.data);
      this.#send(this.#client, event.data);
    });
    this.#client.addEventListener('close', (event) => this.#end('client', relayedCloseCode(event.code), event.reason, this.#backend));
    this.#backend.addEventListener('close', (event) => this.#end('backend', relayedCloseCode(event.code), event.reason, this.#client));
    this.#client.addEventListener('error', () => this.#end('client', CLOSE.backendError, 'client connection failed', this.#backend));
    this.#backend.addEventListener('error', () => this.#end('backend', CLOSE.backendError, 'backend connection failed', this.#client));
    void this.#watch();
  }

  #fromClient(data: string | ArrayBuffer): void {
    if (this.#closed) return;
    this.#lastFrameAt = Date.now();
    if (this.#pending >= MAX_PENDING_FRAMES) {
      this.#refuse(
        new ApiError('service-unavailable', {
          detail: `More than ${MAX_PENDING_FRAMES} frames are waiting for admission on this connection; this one was not relayed`,
          headers: { 'retry-after': '1' },
        }),
      );
      return;
    }
    this.#pending += 1;
    this.#queue = this.#queue
      .then(async () => {
        if (this.#closed) return;
        const refused = await this.#admitFrame();
        if (this.#closed) return;
        if (refused === null) {
          this.tally.framesIn += 1;
          this.tally.bytesIn += sizeOf(data);
          this.#send(this.#backend, data);
        } else if (refused.code === 'quota-exceeded' || refused.code === 'service-unavailable') {
          this.#refuse(refused);
        } else {
          this.#closeBoth(closeCodeFor(refused), refused.options.detail ?? refused.message);
        }
      })
      .catch((err: unknown) => this.#closeBoth(CLOSE.backendError, String(toApiError(err).message)))
      .finally(() => {
        this.#pending -= 1;
      });
  }

  /** Null when the frame may go through; else why not. */
  async #admitFrame(): Promise<ApiError | null> {
    const { env, waitUntil } = this.#x;
    const { admitRequest, shared } = this.#state;
    try {
      if (admitRequest === null || this.#h.caller === null) await admitShared(env, shared);
      else
        await admitCall(
          env,
          { applicationId: this.#h.caller.applicationId, apiId: this.#h.api.id, request: admitRequest, shared },
          waitUntil,
        );
      return null;
    } catch (err) {
      return toApiError(err);
    }
  }

  /**
   * A client frame that was not relayed gets an error frame, never silence: the problem+json body
   * (RFC 9457 members, the WSO2 `code`, and `retryAfterSeconds` when the window says when) as a
   * text frame. The connection stays open; the next window admits again.
   */
  #refuse(error: ApiError): void {
    this.tally.refused += 1;
    const retryAfter = Number(error.options.headers?.['retry-after']);
    const body = { ...problemBody(error), ...(Number.isFinite(retryAfter) ? { retryAfterSeconds: retryAfter } : {}) };
    this.#send(this.#client, JSON.stringify(body));
  }

  /** A side that is closing refuses a send; its close event ends the connection. */
  #send(socket: WebSocket, data: string | ArrayBuffer): void {
    try {
      socket.send(data);
    } catch {
      // Closing already: the close event that follows ends the relay.
    }
  }

  /**
   * The connection's own clock, in its own request context: idle timeout, maximum duration, the
   * periodic credential check and the checks a notification asks for (`wake`).
   */
  async #watch(): Promise<void> {
    let nextCheck = Date.now() + RECHECK_MS;
    while (!this.#closed) {
      const now = Date.now();
      const next = Math.min(this.#lastFrameAt + this.#idleMs, this.#endsAt, nextCheck);
      if (!this.#woken) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.max(0, next - now));
          this.#alarm = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.#alarm = null;
      }
      if (this.#closed) return;
      const at = Date.now();
      if (at >= this.#endsAt) {
        const byToken = (this.#h.caller?.claims?.expiresAtMs ?? Infinity) <= at;
        this.#closeBoth(
          byToken ? CLOSE.credential : CLOSE.maxDuration,
          byToken ? 'the access token expired' : 'maximum connection duration reached',
        );
      } else if (at >= this.#lastFrameAt + this.#idleMs) {
        this.#closeBoth(CLOSE.idle, 'idle timeout');
      } else if (this.#woken || at >= nextCheck) {
        this.#woken = false;
        nextCheck = at + RECHECK_MS;
        await this.#recheck();
      }
    }
  }

  /** Is the connection still allowed: the API still served and not blocked, no blocking condition, the credential still good? */
  async #recheck(): Promise<void> {
    const { env, waitUntil } = this.#x;
    const { caller } = this.#h;
    const compiled = await currentSnapshot(env, waitUntil).catch(() => null);
    if (compiled !== null) {
      // Through the routes, not `snapshot.apis`: a sharded snapshot's head holds no APIs (decision 0034).
      const routed = compiled.routes.match('GET', this.#path);
      const match = routed instanceof Promise ? await routed.catch(() => null) : routed;
      const api = match !== null && match.api.id === this.#h.api.id ? match.api : undefined;
      if (api === undefined || api.state === 'BLOCKED')
        return this.#closeBoth(CLOSE.forbidden, api === undefined ? 'the API is no longer deployed here' : 'the API is blocked');
      const blocking = compiled.snapshot.blocking;
      if (blocking !== undefined) {
        try {
          assertNotBlocked(blocking, {
            api,
            ip: this.#h.clientIp,
            ...(caller === null ? {} : { applicationId: caller.applicationId, user: caller.user }),
          });
        } catch (err) {
          return this.#closeBoth(CLOSE.forbidden, toApiError(err).options.detail ?? 'blocked');
        }
      }
    }
    const { slotObject, admitRequest, id } = this.#state;
    if (slotObject === null || admitRequest === null) return;
    // An object that cannot answer now is asked again at the next check: the frames it admits
    // meanwhile are each still checked by `admit`, which fails closed.
    const answer = await counterStub(env, slotObject)
      .checkConnection(admitRequest, { id, ttlMs: SLOT_TTL_MS })
      .catch(() => null);
    if (answer !== null && !answer.ok) {
      const error = connectError(answer.error);
      this.#closeBoth(closeCodeFor(error), error.options.detail ?? error.message);
    }
  }

  /** The gateway ends the connection: both sides get the same code and reason. */
  #closeBoth(code: number, reason: string): void {
    if (this.#closed) return;
    const text = closeReason(reason);
    for (const socket of [this.#client, this.#backend]) {
      try {
        socket.close(code, text);
      } catch {
        // Already closing: nothing to tell it.
      }
    }
    this.#finish(code, 'gateway', text);
  }

  /** One side closed: the other is told with the same code (as relayed), and the connection ends. */
  #end(side: 'client' | 'backend', code: number, reason: string, other: WebSocket): void {
    if (this.#closed) return;
    try {
      other.close(code, closeReason(reason));
    } catch {
      // The other side is gone as well.
    }
    this.#finish(code, side, reason);
  }

  #finish(code: number, by: 'client' | 'backend' | 'gateway', reason: string): void {
    this.#closed = true;
    this.#alarm?.();
    unregister(this);
    this.#state.releaseSlot();
    const { framesIn, framesOut, bytesIn, bytesOut } = this.tally;
    reportConnection(this.#x.env, this.#x.waitUntil, {
      apiId: this.#h.api.id,
      applicationId: this.applicationId,
      keyType: this.#h.caller?.keyType ?? null,
      framesIn,
      framesOut,
      bytesIn,
      bytesOut,
    });
    console.log(
      JSON.stringify({
        level: 'info',
        message: 'websocket closed',
        requestId: this.#x.requestId,
        apiId: this.#h.api.id,
        applicationId: this.applicationId,
        closedBy: by,
        code,
        reason,
        durationMs: Date.now() - this.#openedAt,
        ...this.tally,
      }),
    );
  }
}
