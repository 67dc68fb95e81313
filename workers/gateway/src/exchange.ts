import type { BodyOutcome } from './proxy/body-guard.ts';

/**
 * One request's state on its way through the gateway: what the call path learns and what the answer,
 * the request log line and the usage report need. A plain object per request: the data path does
 * not go through Hono's Context (decision 0015).
 */
export interface Exchange {
  readonly request: Request;
  /**
   * `request.url` and `request.method`, read once: each read of the runtime's getters makes a new
   * string, and the call path, the forwarding headers and the log line each need them (decision 0060).
   */
  readonly url: string;
  readonly method: string;
  readonly env: Env;
  readonly waitUntil: (p: Promise<unknown>) => void;
  readonly requestId: string;
  readonly startedAt: number;
  /** The request's headers as name/value pairs, walked once by the size cap (auth/credentials.ts); null before. */
  requestHeaders: ReadonlyArray<readonly [string, string]> | null;
  /** Headers every answer carries once the API is known (CORS), error answers included. */
  responseHeaders: Record<string, string> | null;
  /** What the usage report needs, filled in as the call path learns it. */
  usage: { apiId: string; applicationId: string | null; keyType: string | null; apiKeyId: string | null; operation?: string } | undefined;
  /** The routed API's context and version, once known: its RFC 9728 metadata URL is built from it. */
  apiPath: string | null;
  /** The numeric `code` of the problem the gateway answered with. */
  errorCode: number | undefined;
  /** How the backend's body ended, when the gateway passed one on: the usage report waits for it. */
  bodyOutcome: Promise<BodyOutcome> | null;
}

export function newExchange(request: Request, env: Env, ctx: ExecutionContext): Exchange {
  return {
    request,
    url: request.url,
    method: request.method,
    env,
    waitUntil: (p) => ctx.waitUntil(p),
    requestId: crypto.randomUUID(),
    startedAt: Date.now(),
    requestHeaders: null,
    responseHeaders: null,
    usage: undefined,
    apiPath: null,
    errorCode: undefined,
    bodyOutcome: null,
  };
}
