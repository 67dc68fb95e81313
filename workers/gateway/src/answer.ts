import type { Context } from 'hono';
import type { GatewayEnv } from './types.ts';

/**
 * What the usage report and the request log line both say about an answer, by one rule: a problem
 * of the gateway's own carries its WSO2 code, a backend's error is known by its status.
 */
export function answerFacts(c: Context<GatewayEnv>): { status: number; errorCode: number | null; requestBytes: number; responseBytes: number } {
  const status = c.res.status;
  return {
    status,
    errorCode: status >= 400 ? (c.var.errorCode ?? status) : null,
    requestBytes: Number(c.req.header('content-length') ?? 0) || 0,
    responseBytes: Number(c.res.headers.get('content-length') ?? 0) || 0,
  };
}
