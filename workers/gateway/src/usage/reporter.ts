import { meterQueueMessage } from '../metering/meter.ts';
import {
  bucketOf,
  LATENCY_BUCKETS_MS,
  statusClass,
  type UsageErrorRow,
  type UsageMessage,
  type UsageOperationRow,
  type UsageRow,
} from '../../../shared/usage.ts';

export interface UsageEvent {
  apiId: string;
  applicationId: string | null;
  keyType: string | null;
  status: number;
  throttled: boolean;
  latencyMs: number;
  requestBytes: number;
  responseBytes: number;
  /** Set when the answer is an error (status >= 400): the problem's WSO2 `code`, else the status. */
  errorCode: number | null;
  /** The API key that authenticated the call, if one did: its `last_used_at` rides along. */
  apiKeyId: string | null;
  /** What the call did, when the API says (a GraphQL operation's name); absent: the resource is enough. */
  operation?: string | undefined;
}

/** An operation name longer than this is cut: it is a label chosen by the caller, not an identifier. */
const MAX_OPERATION_CHARS = 100;

/**
 * How long the isolate folds calls before it ships them (decision 0059): 15 s, so a quiet key (one
 * call every second or two) becomes one upsert per 15 s instead of one per call. Analytics lag by
 * up to this much (plus the queue's batch timeout). Below the 30 s a `waitUntil` may run after its
 * response, so the timer that ships the rows is not cut off when the isolate goes idle.
 */
export const USAGE_FOLD_MS = 15_000;
/**
 * Rows held at most (rollups, errors, keys and operations together): reaching it ships them all at
 * once. 5,000 rows of about 1 KB in memory; enough that 1,000 quiet keys fold for the whole period.
 */
const MAX_ROWS = 5000;
/**
 * Items (rows, errors, keys, operations) per queue message: a message holds at most 128 KB, a
 * rollup row with its histogram is some 350 bytes as JSON. A flush of more sends several messages.
 */
export const ITEMS_PER_MESSAGE = 250;

// Rows of the current fold period, keyed by minute × API × application × key type × status class
// (and × error code for errors). Bounded by MAX_ROWS together: reaching it flushes at once.
let pending = new Map<string, UsageRow>();
let pendingErrors = new Map<string, UsageErrorRow>();
// API key → last use in this flush period; counted in MAX_ROWS too. `last_used_at` is written by the
// consumer from these (one UPDATE per key per batch), never by the request that used the key.
let pendingKeys = new Map<string, number>();
let pendingOperations = new Map<string, UsageOperationRow>();
let flushScheduled = false;
/** Ends the scheduled flush's wait early, once something else has shipped the rows. */
let wakeScheduledFlush: (() => void) | null = null;

/** The in-isolate row of one minute, API, application, key type and status class, made empty on first use. */
function pendingRow(
  bucketStart: number,
  apiId: string,
  applicationId: string,
  keyType: string,
  statusClass: UsageRow['statusClass'],
): UsageRow {
  const key = `${bucketStart}|${apiId}|${applicationId}|${keyType}|${statusClass}`;
  let row = pending.get(key);
  if (row === undefined) {
    row = {
      bucketStart,
      apiId,
      applicationId,
      keyType,
      statusClass,
      requests: 0,
      throttled: 0,
      requestBytes: 0,
      responseBytes: 0,
      latencyMsSum: 0,
      latencyMsMax: 0,
      latencyHistogram: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
    };
    pending.set(key, row);
  }
  return row;
}

/**
 * Counts one call off the hot path: folded into an in-isolate row, shipped with the next flush
 * (at most USAGE_FOLD_MS later, or at once when the buffer is full) through `waitUntil`, so the response
 * never waits and no request writes to D1.
 */
export function reportUsage(env: Env, waitUntil: (p: Promise<unknown>) => void, event: UsageEvent, now = Date.now()): void {
  const bucketStart = Math.floor(now / 60_000) * 60_000;
  const cls = statusClass(event.status);
  const app = event.applicationId ?? '-';
  const keyType = event.keyType ?? '-';
  const row = pendingRow(bucketStart, event.apiId, app, keyType, cls);
  row.requests += 1;
  if (event.throttled) row.throttled += 1;
  row.requestBytes += event.requestBytes;
  row.responseBytes += event.responseBytes;
  const latency = Math.max(0, Math.round(event.latencyMs));
  row.latencyMsSum += latency;
  row.latencyMsMax = Math.max(row.latencyMsMax, latency);
  const b = bucketOf(latency);
  row.latencyHistogram[b] = (row.latencyHistogram[b] ?? 0) + 1;

  if (event.errorCode !== null) {
    const errorKey = `${bucketStart}|${event.apiId}|${app}|${keyType}|${event.errorCode}`;
    const errorRow = pendingErrors.get(errorKey);
    if (errorRow === undefined)
      pendingErrors.set(errorKey, { bucketStart, apiId: event.apiId, applicationId: app, keyType, errorCode: event.errorCode, count: 1 });
    else errorRow.count += 1;
  }
  if (event.operation !== undefined) {
    const operation = event.operation.slice(0, MAX_OPERATION_CHARS);
    const operationKey = `${bucketStart}|${event.apiId}|${app}|${operation}`;
    let operationRow = pendingOperations.get(operationKey);
    if (operationRow === undefined) {
      operationRow = { bucketStart, apiId: event.apiId, applicationId: app, operation, requests: 0, errors: 0, latencyMsSum: 0 };
      pendingOperations.set(operationKey, operationRow);
    }
    operationRow.requests += 1;
    if (event.status >= 400) operationRow.errors += 1;
    operationRow.latencyMsSum += latency;
  }
  if (event.apiKeyId !== null) pendingKeys.set(event.apiKeyId, now);
  scheduleFlush(env, waitUntil);
}

/** What an ended WebSocket connection adds to usage: frames and bytes per direction. */
export interface ConnectionUsage {
  apiId: string;
  applicationId: string | null;
  keyType: string | null;
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * Folds an ended connection's frames and bytes into the row of its handshake's status class (1xx),
 * whose `requests` already counted the connection: so per minute a WebSocket API's 1xx row reads
 * connections opened, frames and bytes each way. Not a call: `requests` does not move.
 */
export function reportConnection(env: Env, waitUntil: (p: Promise<unknown>) => void, usage: ConnectionUsage, now = Date.now()): void {
  const bucketStart = Math.floor(now / 60_000) * 60_000;
  const app = usage.applicationId ?? '-';
  const keyType = usage.keyType ?? '-';
  const row = pendingRow(bucketStart, usage.apiId, app, keyType, '1xx');
  row.framesIn = (row.framesIn ?? 0) + usage.framesIn;
  row.framesOut = (row.framesOut ?? 0) + usage.framesOut;
  row.requestBytes += usage.bytesIn;
  row.responseBytes += usage.bytesOut;
  scheduleFlush(env, waitUntil);
}

function scheduleFlush(env: Env, waitUntil: (p: Promise<unknown>) => void): void {
  if (pending.size + pendingErrors.size + pendingKeys.size + pendingOperations.size >= MAX_ROWS) {
    waitUntil(flush(env));
  } else if (!flushScheduled) {
    flushScheduled = true;
    // The wait ends early when something else ships the rows first (a full buffer, the bench's
    // metering route, a test), so no invocation's waitUntil is held for the rest of the period.
    waitUntil(
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, USAGE_FOLD_MS);
        wakeScheduledFlush = () => {
          clearTimeout(timer);
          resolve();
        };
      }).then(() => flush(env)),
    );
  }
}

/**
 * Ships what the isolate folded: one message per ITEMS_PER_MESSAGE items, each with its own id (the
 * consumer counts each message once). Also called by the bench's metering route to end a case.
 */
export async function flush(env: Env): Promise<void> {
  flushScheduled = false;
  const wake = wakeScheduledFlush;
  wakeScheduledFlush = null;
  wake?.();
  if (pending.size === 0) return;
  const rows = [...pending.values()];
  const errors = [...pendingErrors.values()];
  const keysUsed = [...pendingKeys].map(([id, at]) => ({ id, at }));
  const operations = [...pendingOperations.values()];
  pending = new Map();
  pendingErrors = new Map();
  pendingKeys = new Map();
  pendingOperations = new Map();
  await Promise.all(split(rows, errors, keysUsed, operations).map((message) => send(env, message)));
}

/** The folded items cut into messages of at most ITEMS_PER_MESSAGE items; rows first, then the rest. */
function split(
  rows: UsageRow[],
  errors: UsageErrorRow[],
  keysUsed: Array<{ id: string; at: number }>,
  operations: UsageOperationRow[],
): UsageMessage[] {
  const messages: UsageMessage[] = [];
  let [r, e, k, o] = [0, 0, 0, 0];
  while (r < rows.length || e < errors.length || k < keysUsed.length || o < operations.length) {
    let room = ITEMS_PER_MESSAGE;
    const take = <T>(list: T[], from: number): T[] => {
      const part = list.slice(from, from + room);
      room -= part.length;
      return part;
    };
    const mRows = take(rows, r);
    const mErrors = take(errors, e);
    const mKeys = take(keysUsed, k);
    const mOperations = take(operations, o);
    [r, e, k, o] = [r + mRows.length, e + mErrors.length, k + mKeys.length, o + mOperations.length];
    messages.push({
      id: crypto.randomUUID(),
      rows: mRows,
      errors: mErrors,
      ...(mKeys.length === 0 ? {} : { keysUsed: mKeys }),
      ...(mOperations.length === 0 ? {} : { operations: mOperations }),
    });
  }
  return messages;
}

async function send(env: Env, message: UsageMessage): Promise<void> {
  try {
    meterQueueMessage(message);
    await env.USAGE.send(message);
  } catch (cause) {
    console.error(JSON.stringify({ level: 'error', message: 'usage batch not sent', rows: message.rows.length, cause: String(cause) }));
  }
}
