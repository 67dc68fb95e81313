/**
 * One error type for both Workers, one table from code to status / type / title, one renderer to
 * RFC 9457 problem+json. Nothing internal reaches the wire: unknown errors render a generic 500 and
 * the cause goes to the log.
 */

export const PROBLEM_BASE = 'https://turnpike.dev/problems/';

interface ProblemSpec {
  readonly status: number;
  readonly title: string;
  /** WSO2 API Manager's numeric error code, where WSO2 has one. */
  readonly wso2?: number;
  /** A registered problem type (IANA HTTP Problem Types registry) used instead of PROBLEM_BASE + code. */
  readonly type?: string;
}

export const PROBLEMS = {
  'bad-request': { status: 400, title: 'Bad request' },
  'validation-failed': { status: 400, title: 'Request validation failed' },
  'malformed-json': { status: 400, title: 'Malformed JSON body' },
  'ambiguous-path': { status: 400, title: 'Ambiguous request path' },
  /** A GraphQL request that does not parse or validate against the API's schema (GraphQL spec §6); `errors` lists them GraphQL's way. */
  'graphql-invalid': { status: 400, title: 'Invalid GraphQL request' },
  /** A GraphQL operation deeper or costlier than the API allows (query analysis); `limit` names which. */
  'graphql-limit-exceeded': { status: 400, title: 'GraphQL query limit exceeded' },
  /** RFC 6750 §3.1 `invalid_request`: e.g. a token sent by more than one method (§2). */
  'invalid-request': { status: 400, title: 'Invalid request' },
  unauthorized: { status: 401, title: 'Authentication required' },
  'missing-credentials': { status: 401, title: 'Missing credentials', wso2: 900902 },
  'invalid-credentials': { status: 401, title: 'Invalid credentials', wso2: 900901 },
  forbidden: { status: 403, title: 'Forbidden' },
  'subscription-not-found': { status: 403, title: 'Resource forbidden', wso2: 900908 },
  'subscription-blocked': { status: 403, title: 'Subscription is blocked', wso2: 900909 },
  'subscription-on-hold': { status: 403, title: 'Subscription is not active', wso2: 900909 },
  'insufficient-scope': { status: 403, title: 'Insufficient scope', wso2: 900910 },
  'endpoint-unavailable': { status: 403, title: 'No endpoint for this key type', wso2: 900908 },
  'request-blocked': { status: 403, title: 'Request blocked', wso2: 900805 },
  /** A valid token of an external key manager whose client no developer has mapped to an application. */
  'external-client-not-mapped': { status: 403, title: 'External client not mapped to an application' },
  /** A portal sign-in at an external provider that proved who the user is, refused by policy: no mapped role, an email taken locally (decision 0051). */
  'sso-refused': { status: 403, title: 'Sign-in refused' },
  'not-found': { status: 404, title: 'Not found' },
  'no-matching-resource': { status: 404, title: 'No matching resource found', wso2: 900906 },
  'method-not-allowed': { status: 405, title: 'Method not allowed', wso2: 900906 },
  conflict: { status: 409, title: 'Conflict' },
  'illegal-transition': { status: 409, title: 'Illegal lifecycle transition' },
  'in-use': { status: 409, title: 'Resource in use' },
  'precondition-failed': { status: 412, title: 'Precondition failed' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  /** RFC 9110 §15.5.22: a WebSocket API answers only a WebSocket handshake (RFC 6455 §4.1). */
  'upgrade-required': { status: 426, title: 'Upgrade required' },
  /** A subscription's open WebSocket/SSE connections at its limit (decision 0042). */
  'too-many-connections': { status: 429, title: 'Too many connections', wso2: 900804 },
  /** RFC 6585 §5: a header (or all of them together) above the gateway's documented cap. */
  'request-header-fields-too-large': { status: 431, title: 'Request header fields too large' },
  'login-throttled': { status: 429, title: 'Too many login attempts' },
  // draft-ietf-httpapi-ratelimit-headers registers this type (with its `violated-policies` member).
  'quota-exceeded': {
    status: 429,
    title: 'Quota exceeded',
    wso2: 900800,
    type: 'https://iana.org/assignments/http-problem-types#quota-exceeded',
  },
  internal: { status: 500, title: 'Internal server error' },
  'bad-gateway': { status: 502, title: 'Bad gateway', wso2: 101503 },
  'api-blocked': { status: 503, title: 'API is temporarily blocked', wso2: 900907 },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
  'gateway-timeout': { status: 504, title: 'Gateway timeout', wso2: 101504 },
} as const satisfies Record<string, ProblemSpec>;

export type ProblemCode = keyof typeof PROBLEMS;

/** One field at fault, as a JSON Pointer into the request (RFC 6901) and a message. */
export interface FieldError {
  readonly pointer: string;
  readonly detail: string;
  /** 1-based line of the offending text, where the input was a document with lines (an imported OpenAPI description). */
  readonly line?: number;
}

export interface ProblemOptions {
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  /** Overrides the table's WSO2 code (e.g. 900804 for a subscription-level 429). */
  readonly wso2?: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Extension members (RFC 9457 §3.2). */
  readonly extensions?: Readonly<Record<string, unknown>>;
  readonly cause?: unknown;
}

export class ApiError extends Error {
  readonly code: ProblemCode;
  readonly options: ProblemOptions;

  constructor(code: ProblemCode, options: ProblemOptions = {}) {
    super(options.detail ?? PROBLEMS[code].title, { cause: options.cause });
    this.name = 'ApiError';
    this.code = code;
    this.options = options;
  }

  get status(): number {
    return PROBLEMS[this.code].status;
  }
}

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  code?: number;
  errors?: readonly FieldError[];
  [extension: string]: unknown;
}

/** The numeric `code` a problem carries: the option's override, else the table's WSO2 code. */
export function wso2CodeOf(error: ApiError): number | undefined {
  const spec: ProblemSpec = PROBLEMS[error.code];
  return error.options.wso2 ?? spec.wso2;
}

export function problemBody(error: ApiError, instance?: string): ProblemBody {
  const spec: ProblemSpec = PROBLEMS[error.code];
  const { detail, errors, extensions } = error.options;
  const body: ProblemBody = {
    ...extensions,
    type: spec.type ?? PROBLEM_BASE + error.code,
    title: spec.title,
    status: spec.status,
  };
  if (detail !== undefined) body.detail = detail;
  if (instance !== undefined) body.instance = instance;
  const code = wso2CodeOf(error);
  if (code !== undefined) body.code = code;
  if (errors !== undefined && errors.length > 0) body.errors = errors;
  return body;
}

export function problemResponse(error: ApiError, instance?: string, extraHeaders?: HeadersInit): Response {
  const headers = new Headers(extraHeaders);
  headers.set('content-type', 'application/problem+json');
  headers.set('cache-control', 'no-store');
  for (const [name, value] of Object.entries(error.options.headers ?? {})) headers.set(name, value);
  return new Response(JSON.stringify(problemBody(error, instance)), { status: error.status, headers });
}

/** Turns anything thrown into an ApiError; the cause of an unknown error is logged, never sent. */
export function toApiError(err: unknown, log: (message: string, cause: unknown) => void = defaultLog): ApiError {
  if (err instanceof ApiError) return err;
  if (isHttpExceptionLike(err)) {
    if (err.status === 413) return new ApiError('payload-too-large');
    if (err.status === 404) return new ApiError('not-found');
    if (err.status === 401) return new ApiError('unauthorized');
    if (err.status === 415) return new ApiError('unsupported-media-type');
    if (err.status === 400) {
      return /json/i.test(String((err as { message?: unknown }).message))
        ? new ApiError('malformed-json', { detail: 'The request body is not valid JSON' })
        : new ApiError('bad-request', { detail: 'The request could not be parsed' });
    }
  }
  log('unhandled error', err);
  return new ApiError('internal');
}

function isHttpExceptionLike(err: unknown): err is { status: number } {
  return typeof err === 'object' && err !== null && 'status' in err && typeof err.status === 'number' && 'getResponse' in err;
}

function defaultLog(message: string, cause: unknown): void {
  console.error(
    JSON.stringify({
      level: 'error',
      message,
      cause: cause instanceof Error ? { name: cause.name, message: cause.message, stack: cause.stack } : String(cause),
    }),
  );
}
