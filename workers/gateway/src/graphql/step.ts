/**
 * The GraphQL API step: run on every resource of a GRAPHQL API, after authentication and before any
 * quota is spent. It reads the GraphQL request (GraphQL over HTTP: a JSON POST, an
 * `application/graphql` POST, or a GET with `query`), validates the operation against the API's
 * schema, enforces depth, complexity, introspection and field scopes, and names the counters the
 * call must also be admitted by: each operation's policy and the application's complexity points,
 * consuming the call's cost. Refusals are problem+json whose `errors` member is the GraphQL
 * response's error list (GraphQL spec §7.1.2), so GraphQL clients and HTTP clients both read them.
 *
 * `graphql` is imported on a GraphQL API's first call, and the schema built once per snapshot
 * version (memoised on the snapshot's own object): REST APIs never evaluate it.
 */
import { counterObjectName } from '../../../../durable-objects/throttle/types.ts';
import { ApiError } from '../../../shared/problem.ts';
import type { SnapshotApi, SnapshotGraphql } from '../../../shared/snapshot.ts';
import type { InboundCall, InboundStep } from '../policies/step.ts';
import type * as analysis from './analysis.ts';
import type { CompiledSchema, WireError } from './analysis.ts';

type AnalysisModule = typeof analysis;

const NO_SCOPES: ReadonlySet<string> = new Set();

/** A GraphQL request body above this is refused (413) rather than read whole into the isolate. */
export const MAX_GRAPHQL_BODY_BYTES = 256 * 1024;

interface Compiled {
  readonly module: AnalysisModule;
  readonly schema: CompiledSchema;
}

/** Per snapshot version: the snapshot's own object is the key, so a new version builds anew and the old one is collected with it. */
const compiledSchemas = new WeakMap<SnapshotGraphql, Promise<Compiled>>();

function compiledFor(config: SnapshotGraphql): Promise<Compiled> {
  let compiled = compiledSchemas.get(config);
  if (compiled === undefined) {
    compiled = import('./analysis.ts').then((module) => ({ module, schema: module.compileSchema(config.schema) }));
    compiledSchemas.set(config, compiled);
  }
  return compiled;
}

interface GraphqlRequest {
  readonly query: string;
  readonly operationName: string | null;
  readonly variables: Readonly<Record<string, unknown>>;
}

/** The inbound step of a GRAPHQL API's resources; null for any other API. */
export function graphqlStep(api: SnapshotApi): InboundStep | null {
  const config = api.graphql;
  if (api.type !== 'GRAPHQL' || config === undefined) return null;
  return async function graphql(call: InboundCall): Promise<void> {
    const { module, schema } = await compiledFor(config);
    const request = await readGraphqlRequest(call);
    const checked = module.checkDocument(schema, request.query);
    if (!checked.ok) throw invalid(checked.errors[0]?.message ?? 'The document is not valid against the schema', checked.errors);
    const operation = module.selectOperation(checked.document, request.operationName);
    if (typeof operation === 'string')
      throw invalid(operation, [{ message: operation, extensions: { code: 'OPERATION_RESOLUTION_FAILURE' } }]);
    // GraphQL over HTTP §7.2.1: GET is for queries, so that a link cannot change anything.
    if (operation.operation === 'mutation' && call.request.method === 'GET') {
      throw new ApiError('method-not-allowed', {
        detail: 'A mutation is sent with POST',
        headers: { allow: 'POST' },
        extensions: { errors: [{ message: 'A mutation is sent with POST' }] },
      });
    }
    if (operation.operation === 'subscription')
      throw invalid('Subscriptions are not served over HTTP by this API', [
        { message: 'Subscriptions are not served over HTTP by this API', extensions: { code: 'SUBSCRIPTION_NOT_SUPPORTED' } },
      ]);
    const analysis = module.analyse(schema.schema, checked.document, operation, request.variables, config);
    if (analysis.introspection && !config.introspection) {
      throw invalid('Introspection is disabled for this API', [
        { message: 'Introspection is disabled for this API', extensions: { code: 'INTROSPECTION_DISABLED' } },
      ]);
    }
    if (config.maxDepth !== null && analysis.depth > config.maxDepth) {
      const message = `The query is ${analysis.depth} levels deep; this API allows at most ${config.maxDepth} (maxDepth)`;
      throw new ApiError('graphql-limit-exceeded', {
        detail: message,
        extensions: {
          limit: 'maxDepth',
          allowed: config.maxDepth,
          actual: analysis.depth,
          errors: [{ message, extensions: { code: 'QUERY_TOO_DEEP' } }],
        },
      });
    }
    if (config.maxComplexity !== null && analysis.complexity > config.maxComplexity) {
      const message = `The query costs ${analysis.complexity} complexity points; this API allows at most ${config.maxComplexity} (maxComplexity)`;
      throw new ApiError('graphql-limit-exceeded', {
        detail: message,
        extensions: {
          limit: 'maxComplexity',
          allowed: config.maxComplexity,
          actual: analysis.complexity,
          errors: [{ message, extensions: { code: 'QUERY_TOO_COMPLEX' } }],
        },
      });
    }
    // Field scopes bind access tokens, as resource scopes do (an API key carries no scopes); a call
    // without any credential (an open resource) holds none, so it never reads a scoped field.
    const held = call.caller === null ? NO_SCOPES : (call.caller.claims?.scopes ?? null);
    if (held !== null) {
      const scopes = held;
      for (const field of analysis.fields) {
        const required = config.fieldScopes[field];
        if (required === undefined || required.length === 0 || required.some((s) => scopes.has(s))) continue;
        const message = `The field ${field} requires the scope ${required.join(' or ')}`;
        throw new ApiError('insufficient-scope', {
          detail: message,
          // RFC 6750 §3.1: the scope the token lacks.
          headers: { 'www-authenticate': `Bearer realm="turnpike", error="insufficient_scope", scope="${required.join(' ')}"` },
          extensions: { field, requiredScopes: required, errors: [{ message, extensions: { code: 'FORBIDDEN', field } }] },
        });
      }
    }
    for (const coordinate of analysis.operations) {
      const limits = config.operationLimits[coordinate];
      if (limits !== undefined && limits.length > 0)
        call.counters.push({ name: counterObjectName.graphqlOperation(api.id, coordinate), limits });
    }
    if (config.points.length > 0) {
      call.counters.push({
        name: counterObjectName.graphqlPoints(api.id, call.caller?.applicationId ?? '-'),
        limits: config.points,
        cost: analysis.complexity,
      });
    }
    call.operation = operation.name?.value ?? analysis.operations.join(',');
  };
}

function invalid(detail: string, errors: readonly WireError[]): ApiError {
  return new ApiError('graphql-invalid', { detail, extensions: { errors } });
}

/** The GraphQL request of a call, its body put back as text for the backend (the bytes sent, not a re-serialisation). */
async function readGraphqlRequest(call: InboundCall): Promise<GraphqlRequest> {
  const { request } = call;
  if (request.method === 'GET') {
    const params = new URLSearchParams(call.search);
    return shaped(
      params.get('query'),
      params.get('operationName'),
      params.has('variables') ? parseJson(params.get('variables') ?? '', 'variables') : undefined,
    );
  }
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type !== 'application/json' && type !== 'application/graphql') {
    throw new ApiError('unsupported-media-type', {
      detail: 'A GraphQL request is application/json (or application/graphql)',
      extensions: { errors: [{ message: 'A GraphQL request is application/json' }] },
    });
  }
  const declared = Number(request.headers.get('content-length'));
  if (request.headers.has('content-length') && Number.isFinite(declared) && declared > MAX_GRAPHQL_BODY_BYTES) throw tooLarge();
  const text = typeof call.body === 'string' ? call.body : call.body === null ? '' : await readBounded(call.body);
  call.body = text;
  if (type === 'application/graphql') return shaped(text, null, undefined);
  const body = parseJson(text, 'body');
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid('The body is a JSON object with `query`', [{ message: 'The body is a JSON object with `query`' }]);
  const fields = body as Record<string, unknown>;
  return shaped(fields.query, fields.operationName ?? null, fields.variables ?? undefined);
}

function shaped(query: unknown, operationName: unknown, variables: unknown): GraphqlRequest {
  if (typeof query !== 'string' || query.trim() === '')
    throw invalid('The request has no `query`', [{ message: 'The request has no `query`' }]);
  if (operationName !== null && typeof operationName !== 'string')
    throw invalid('`operationName` is a string', [{ message: '`operationName` is a string' }]);
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables)))
    throw invalid('`variables` is an object', [{ message: '`variables` is an object' }]);
  return { query, operationName, variables: (variables ?? {}) as Record<string, unknown> };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError('malformed-json', {
      detail: `The GraphQL request (${where}) is not valid JSON (RFC 8259)`,
      extensions: { errors: [{ message: `The GraphQL request (${where}) is not valid JSON` }] },
    });
  }
}

function tooLarge(): ApiError {
  return new ApiError('payload-too-large', { detail: `A GraphQL request body is at most ${MAX_GRAPHQL_BODY_BYTES} bytes` });
}

/** Reads a body of unknown length (chunked) without ever holding more than the limit. */
async function readBounded(stream: ReadableStream): Promise<string> {
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > MAX_GRAPHQL_BODY_BYTES) {
      await reader.cancel();
      throw tooLarge();
    }
    text += decoder.decode(value, { stream: true });
  }
}
