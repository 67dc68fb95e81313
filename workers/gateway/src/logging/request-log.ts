import type { AnswerFacts } from '../answer.ts';
import type { Exchange } from '../exchange.ts';
import { meter } from '../metering/meter.ts';
import { pathAndSearch } from '../routing/canonical-path.ts';

/**
 * One record per request in the OpenTelemetry log data model
 * (https://opentelemetry.io/docs/specs/otel/logs/data-model/), attribute keys from the HTTP and URL
 * semantic conventions, written in batches as OTLP/JSON `ExportLogsServiceRequest` lines
 * (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding), so a Logpush or Tail Worker
 * sink can hand each line to an OTel collector as is.
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

/** One OTLP `AnyValue` (OTLP/JSON encoding: 64-bit integers as decimal strings). */
type AnyValue = { stringValue: string } | { intValue: string };
interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

/** An OTLP/JSON `LogRecord` (opentelemetry-proto logs/v1, JSON Protobuf encoding). */
export interface OtlpLogRecord {
  readonly timeUnixNano: string;
  readonly observedTimeUnixNano: string;
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: { stringValue: string };
  readonly attributes: KeyValue[];
}

const nanos = (ms: number) => `${Math.trunc(ms)}000000`;
const attribute = (key: string, value: string | number): KeyValue => ({
  key,
  value: typeof value === 'number' ? { intValue: String(Math.trunc(value)) } : { stringValue: value },
});

/**
 * The parts of a serialized absolute http(s) URL the record names, cut from the string: `request.url`
 * is the runtime's own serialization, so its authority ends at the path's first `/` and the path and
 * query are where the call path finds them (`pathAndSearch`, routing/canonical-path.ts); a `new URL`
 * per record was a share of the log's cost (bench profile, 2026-12-02). Held equal to `new URL`'s
 * fields by a test over ports, IPv6, user info, empty paths, queries and fragments.
 */
export function urlParts(href: string): { scheme: string; hostname: string; pathname: string; search: string } {
  const schemeEnd = href.indexOf('://');
  const pathStart = schemeEnd === -1 ? -1 : href.indexOf('/', schemeEnd + 3);
  if (pathStart === -1) {
    const url = new URL(href);
    return { scheme: url.protocol.replace(/:$/, ''), hostname: url.hostname, pathname: url.pathname, search: url.search };
  }
  // User info, when the URL has any, ends at the authority's last `@`.
  const at = href.lastIndexOf('@', pathStart);
  const host = href.slice(at > schemeEnd ? at + 1 : schemeEnd + 3, pathStart);
  const portAt = host.lastIndexOf(':');
  const { path, search } = pathAndSearch(href);
  return {
    scheme: href.slice(0, schemeEnd),
    hostname: portAt !== -1 && portAt > host.lastIndexOf(']') ? host.slice(0, portAt) : host,
    pathname: path,
    // WHATWG URL: `search` is empty for a lone `?`.
    search: search === '?' ? '' : search,
  };
}

export function otelLogRecord(entry: RequestLogEntry, observedAt = Date.now()): OtlpLogRecord {
  const url = urlParts(entry.url);
  const [severityText, severityNumber] = entry.status >= 500 ? ['ERROR', 17] : entry.status >= 400 ? ['WARN', 13] : ['INFO', 9];
  const attributes = [
    attribute('http.request.method', entry.method),
    attribute('url.scheme', url.scheme),
    attribute('server.address', url.hostname),
    attribute('url.path', url.pathname),
    attribute('http.response.status_code', entry.status),
    attribute('http.request.body.size', entry.requestBytes),
    attribute('http.response.body.size', entry.responseBytes),
    attribute('turnpike.request.id', entry.requestId),
    attribute('turnpike.duration_ms', Math.max(0, entry.finishedAt - entry.startedAt)),
  ];
  if (url.search !== '')
    attributes.push(
      attribute('url.query', [...new URLSearchParams(url.search).keys()].map((name) => `${encodeURIComponent(name)}=REDACTED`).join('&')),
    );
  if (entry.userAgent !== null) attributes.push(attribute('user_agent.original', entry.userAgent));
  if (entry.apiId !== null) attributes.push(attribute('turnpike.api.id', entry.apiId));
  if (entry.applicationId !== null) attributes.push(attribute('turnpike.application.id', entry.applicationId));
  if (entry.keyType !== null) attributes.push(attribute('turnpike.key_type', entry.keyType));
  if (entry.errorCode !== null) attributes.push(attribute('turnpike.error.code', entry.errorCode));
  return {
    timeUnixNano: nanos(entry.startedAt),
    observedTimeUnixNano: nanos(observedAt),
    severityNumber,
    severityText: severityText ?? 'INFO',
    body: { stringValue: `${entry.method} ${url.pathname} ${entry.status}` },
    attributes,
  };
}

/**
 * The records of one flush as one OTLP/JSON `ExportLogsServiceRequest` (what an OpenTelemetry
 * collector's OTLP/HTTP receiver takes at /v1/logs as is), a `resourceLogs` entry per environment.
 */
export function otlpExport(entries: readonly RequestLogEntry[], observedAt = Date.now()) {
  const byEnvironment = new Map<string, OtlpLogRecord[]>();
  for (const entry of entries) {
    let records = byEnvironment.get(entry.environment);
    if (records === undefined) byEnvironment.set(entry.environment, (records = []));
    records.push(otelLogRecord(entry, observedAt));
  }
  return {
    resourceLogs: [...byEnvironment].map(([environment, logRecords]) => ({
      resource: { attributes: [attribute('service.name', 'turnpike-gateway'), attribute('deployment.environment.name', environment)] },
      scopeLogs: [{ scope: { name: 'turnpike-gateway/request-log' }, logRecords }],
    })),
  };
}

/**
 * Records per log line, and how long the first record of a batch waits for company. One line per
 * request cost more than the rest of the gateway's work under `wrangler dev` (bench, decision 0032),
 * and deployed each line is a billed Workers Logs event ($0.60 per million beyond the plan's 20
 * million a month); a line of 100 records is about 80 KB, well inside the 256 KB of log a single
 * invocation may write.
 */
export const LOG_BATCH_RECORDS = 100;
export const LOG_FLUSH_AFTER_MS = 1000;

// This isolate's records not yet written: at most LOG_BATCH_RECORDS (reaching it writes them).
let pending: RequestLogEntry[] = [];
let flushScheduled = false;

/**
 * Notes what the record needs once the answer is made; the records are written in batches from
 * `waitUntil` (at once when LOG_BATCH_RECORDS are waiting, else at most LOG_FLUSH_AFTER_MS after the
 * first), so building and serialising them never delays an answer. Called only when REQUEST_LOG is on.
 */
export function writeRequestLog(x: Exchange, answer: AnswerFacts): void {
  const usage = x.usage;
  pending.push({
    ...answer,
    startedAt: x.startedAt,
    finishedAt: Date.now(),
    method: x.method,
    url: x.url,
    userAgent: x.request.headers.get('user-agent'),
    requestId: x.requestId,
    environment: x.env.GATEWAY_ENVIRONMENT,
    apiId: usage?.apiId ?? null,
    applicationId: usage?.applicationId ?? null,
    keyType: usage?.keyType ?? null,
  });
  if (pending.length >= LOG_BATCH_RECORDS) {
    x.waitUntil(new Promise((resolve) => setTimeout(resolve, 0)).then(() => flushRequestLog()));
  } else if (!flushScheduled) {
    flushScheduled = true;
    x.waitUntil(new Promise((resolve) => setTimeout(resolve, LOG_FLUSH_AFTER_MS)).then(() => flushRequestLog()));
  }
}

/** Writes every pending record as one log line (nothing when none is pending). */
export function flushRequestLog(observedAt = Date.now()): void {
  flushScheduled = false;
  if (pending.length === 0) return;
  const entries = pending;
  pending = [];
  meter.logLines += 1;
  console.log(JSON.stringify(otlpExport(entries, observedAt)));
}
