import type { Exchange } from './exchange.ts';

/**
 * What the usage report and the request log line both say about an answer, by one rule: a problem
 * of the gateway's own carries its WSO2 code, a backend's error is known by its status.
 */
export interface AnswerFacts {
  readonly status: number;
  readonly errorCode: number | null;
  readonly requestBytes: number;
  readonly responseBytes: number;
}

export function answerFacts(x: Exchange, response: Response): AnswerFacts {
  const status = response.status;
  return {
    status,
    errorCode: status >= 400 ? (x.errorCode ?? status) : null,
    requestBytes: Number(x.request.headers.get('content-length') ?? 0) || 0,
    responseBytes: Number(response.headers.get('content-length') ?? 0) || 0,
  };
}
