import type { AnswerFacts } from '../answer.ts';
import type { Exchange } from '../exchange.ts';

/**
 * One structured log line per request in the OpenTelemetry log data model
 * (https://opentelemetry.io/docs/specs/otel/logs/data-model/), attribute keys from the HTTP and URL
 * semantic conventions, so a Logpush or Tail Worker sink can hand it to an OTel collector as is.
 *
 * Nothing secret is in it: no header but the User-Agent (so no Authorization, no API key header, no
 * cookie), no body, and the query string only with every value replaced by `REDACTED`, as the
 * `url.query` convention recommends — an API key or token sent as a query parameter stays out.
 */
export interface RequestLogEntry {
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly method: string;
  readonly url: string;
  readonly userAgent: string | null;
  readonly status: number;
  readonly requestId: string;
  readonly environment: string;
  readonly apiId: string | null;
  readonly applicationId: string | null;
  readonly keyType: string | null;
  readonly errorCode: number | null;
  readonly requestBytes: number;
  readonly responseBytes: number;
}


export function otelLogRecord(entry: RequestLogEntry, observedAt = Date.now()) {
  const url = new URL(entry.url);
  const [severityText, severityNumber] = entry.status >= 500 ? ['ERROR', 17] : entry.status >= 400 ? ['WARN', 13] : ['INFO', 9];
  const attributes: Record<string, string | number> = {
    'http.request.method': entry.method,
    'url.scheme': url.protocol.replace(/:$/, ''),
    'server.address': url.hostname,
    'url.path': url.pathname,
    'http.response.status_code': entry.status,
    'http.request.body.size': entry.requestBytes,
    'http.response.body.size': entry.responseBytes,
    'turnpike.request.id': entry.requestId,
    'turnpike.duration_ms': Math.max(0, entry.finishedAt - entry.startedAt),
  };
  if (url.search !== '') attributes['url.query'] = [...url.searchParams.keys()].map((name) => `${encodeURIComponent(name)}=REDACTED`).join('&');
  if (entry.userAgent !== null) attributes['user_agent.original'] = entry.userAgent;
  if (entry.apiId !== null) attributes['turnpike.api.id'] = entry.apiId;
  if (entry.applicationId !== null) attributes['turnpike.application.id'] = entry.applicationId;
  if (entry.keyType !== null) attributes['turnpike.key_type'] = entry.keyType;
  if (entry.errorCode !== null) attributes['turnpike.error.code'] = entry.errorCode;
  return {
    timestamp: new Date(entry.startedAt).toISOString(),
    observedTimestamp: new Date(observedAt).toISOString(),
    severityText,
    severityNumber,
    body: `${entry.method} ${url.pathname} ${entry.status}`,
    resource: { 'service.name': 'turnpike-gateway', 'deployment.environment.name': entry.environment },
    attributes,
  };
}

/**
 * Notes what the line needs once the answer is made and writes it from `waitUntil` a turn later,
 * so building and serialising it never delays the answer. Called only when REQUEST_LOG is on.
 */
export function writeRequestLog(x: Exchange, answer: AnswerFacts): void {
  const usage = x.usage;
  const entry: RequestLogEntry = {
    ...answer,
    startedAt: x.startedAt,
    finishedAt: Date.now(),
    method: x.request.method,
    url: x.request.url,
    userAgent: x.request.headers.get('user-agent'),
    requestId: x.requestId,
    environment: x.env.GATEWAY_ENVIRONMENT,
    apiId: usage?.apiId ?? null,
    applicationId: usage?.applicationId ?? null,
    keyType: usage?.keyType ?? null,
  };
  x.waitUntil(new Promise((resolve) => setTimeout(resolve, 0)).then(() => console.log(JSON.stringify(otelLogRecord(entry)))));
}
