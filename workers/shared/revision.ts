/**
 * The shapes a revision freezes (resource, endpoint, the revision itself), defined once in zod and
 * shared by the control plane (which writes them), the snapshot compiler (which reads them back) and
 * the CLI. A stored revision is parsed, never cast: a field added after it was written takes its
 * default here, so an old revision deploys with today's behaviour instead of losing the field.
 *
 * These schemas describe what is stored and are lenient about what was valid when it was written
 * (the control plane's request schemas are the strict gate): a rule tightened later must not make
 * an already frozen revision undeployable.
 */
import { z } from 'zod';
import { API_TYPES, AUTH_TYPES } from './db/schema.ts';

/** One policy attached to an API or an operation; `config` is checked against the policy's own schema. */
export const PolicyRefSchema = z.object({
  name: z.string().min(1).max(100),
  config: z.record(z.string(), z.unknown()).default({}),
});
export type PolicyRef = z.infer<typeof PolicyRefSchema>;
export const PolicyListSchema = z.array(PolicyRefSchema).max(20).default([]);

export const CorsSchema = z.strictObject({
  enabled: z.boolean(),
  allowOrigins: z.array(z.string().max(300)).max(50).default([]),
  allowMethods: z.array(z.string()).max(10).default(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']),
  allowHeaders: z.array(z.string()).max(50).default(['authorization', 'content-type', 'apikey']),
  exposeHeaders: z.array(z.string()).max(50).default([]),
  allowCredentials: z.boolean().default(false),
  maxAgeSeconds: z.number().int().min(0).max(86_400).default(600),
});

// The gateway applies these with Headers.set/delete, which throw on a name that is not an RFC 9110
// token (§5.1) or a value with a line break (§5.5): refuse them here, not on every call.
export const HeaderName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, "A header name: letters, digits and !#$%&'*+.^_`|~-")
  .max(100);
export const HeaderValue = z
  .string()
  .max(4000)
  .regex(/^[^\r\n\0]*$/, 'No line breaks');
const HeaderEditsSide = z.strictObject({ set: z.record(HeaderName, HeaderValue).default({}), remove: z.array(HeaderName).default([]) });
export const HeaderEditsSchema = z.strictObject({
  request: HeaderEditsSide.default({ set: {}, remove: [] }),
  response: HeaderEditsSide.default({ set: {}, remove: [] }),
});

/**
 * A WebSocket or SSE API's connection limits (decision 0042). Bounded so that one connection can
 * neither pin an isolate for a day nor be cut before a handshake could complete.
 */
export const StreamingSchema = z.strictObject({
  allowQueryToken: z.boolean().default(false),
  idleTimeoutSeconds: z.number().int().min(1).max(3600).default(300),
  maxDurationSeconds: z.number().int().min(1).max(86_400).default(3600),
  maxConnectionsPerSubscription: z.number().int().min(1).max(100_000).nullable().default(null),
});
export type Streaming = z.infer<typeof StreamingSchema>;
export const DEFAULT_STREAMING: Streaming = StreamingSchema.parse({});

/** An endpoint as a revision stores it: `security` is the sealed ciphertext (see endpoint-security.ts). */
export const StoredEndpointSchema = z.object({
  strategy: z.enum(['single', 'load_balance', 'failover']).default('single'),
  urls: z
    .array(
      z.object({
        url: z.string(),
        timeoutMs: z.number().int().positive().default(30_000),
        idleTimeoutMs: z.number().int().positive().optional(),
        totalTimeoutMs: z.number().int().positive().optional(),
      }),
    )
    .min(1),
  suspendSeconds: z.number().int().min(0).default(30),
  security: z.string().optional(),
});
export type StoredEndpoint = z.infer<typeof StoredEndpointSchema>;

/** What request validation needs of an OpenAPI operation (see SnapshotOperation), frozen with the revision. */
export const StoredOperationSchema = z.object({
  parameters: z.array(
    z.object({
      name: z.string(),
      in: z.enum(['path', 'query', 'header']),
      required: z.boolean(),
      schema: z.record(z.string(), z.unknown()),
    }),
  ),
  body: z.object({ required: z.boolean(), schema: z.record(z.string(), z.unknown()) }).nullable(),
  dialect: z.enum(['2020-12', '4']),
  /** The documented responses, for the mock policy (added December 2026: older revisions have none). */
  responses: z
    .array(
      z.object({
        status: z.string(),
        mediaType: z.string().nullable(),
        example: z.unknown().optional(),
        examples: z.record(z.string(), z.unknown()).default({}),
        schema: z.record(z.string(), z.unknown()).nullable().default(null),
      }),
    )
    .default([]),
});
export type StoredOperation = z.infer<typeof StoredOperationSchema>;

export const StoredResourceSchema = z.object({
  method: z.string(),
  path: z.string(),
  authType: z.enum(AUTH_TYPES).default('oauth2_or_api_key'),
  scopes: z.array(z.string()).default([]),
  throttlingPolicy: z.string().nullable().default(null),
  /** Operation policies, run after the API's own (added December 2026: older revisions have none). */
  policies: PolicyListSchema,
  /**
   * The operation of the API's OpenAPI document, for resources a request-validation policy applies
   * to: extracted when the revision is made, so the revision neither carries the whole document
   * (a row holds 2 MB) nor changes when the document is edited later.
   */
  operation: StoredOperationSchema.optional(),
});
export type StoredResource = z.infer<typeof StoredResourceSchema>;

/**
 * A GraphQL API's schema and query analysis (WSO2's "query analysis"), frozen with the revision.
 * Field coordinates are `Type.field` (the GraphQL spec's schema coordinates); the root fields
 * (`Query.books`, `Mutation.addBook`) are the API's operations.
 */
export const GraphqlConfigSchema = z.object({
  /** The schema in SDL, as `graphql`'s printSchema writes it (an introspected schema is printed to SDL). */
  schema: z.string(),
  /** Deepest selection nesting a document may have (fragments expanded); null: no limit. */
  maxDepth: z.number().int().positive().nullable().default(null),
  /** Most complexity points one document may cost; null: no limit. */
  maxComplexity: z.number().int().positive().nullable().default(null),
  /** false: `__schema` / `__type` queries are refused (introspection blocking). */
  introspection: z.boolean().default(true),
  /** Points a field costs per resolved item, by coordinate; every other field costs 1. */
  fieldCosts: z.record(z.string(), z.number().int().min(0)).default({}),
  /** Scopes a field requires (any one of them), by coordinate. */
  fieldScopes: z.record(z.string(), z.array(z.string())).default({}),
  /** An advanced throttling policy counting the calls that select an operation (a root field), by coordinate. */
  operationPolicies: z.record(z.string(), z.string()).default({}),
  /** Complexity points an application may spend on this API per window: a call consumes its cost. */
  points: z.object({ limit: z.number().int().positive(), windowSeconds: z.number().int().positive() }).nullable().default(null),
});
export type GraphqlConfig = z.infer<typeof GraphqlConfigSchema>;
export type GraphqlConfigInput = z.input<typeof GraphqlConfigSchema>;

/** What a revision freezes of an API: everything the gateway needs to serve it. */
export const RevisionDefinitionSchema = z.object({
  /** Added with issue #24: every older revision is an HTTP API. */
  type: z.enum(API_TYPES).default('HTTP'),
  name: z.string(),
  context: z.string(),
  version: z.string(),
  /** A GRAPHQL API's schema and limits (absent for the other types). */
  graphql: GraphqlConfigSchema.optional(),
  isDefaultVersion: z.boolean().default(false),
  apiKeyHeader: z.string().default('apikey'),
  apiThrottlingPolicy: z.string().nullable().default(null),
  backendJwt: z.boolean().default(false),
  cors: CorsSchema.nullable().default(null),
  headerEdits: HeaderEditsSchema.nullable().default(null),
  resources: z.array(StoredResourceSchema).default([]),
  endpoints: z.object({ production: StoredEndpointSchema.optional(), sandbox: StoredEndpointSchema.optional() }).default({}),
  /** API policies, run before each operation's (added December 2026: older revisions have none). */
  policies: PolicyListSchema,
  /** WebSocket and SSE APIs: their connection limits (null: the defaults). */
  streaming: StreamingSchema.nullable().default(null),
});
export type RevisionDefinition = z.infer<typeof RevisionDefinitionSchema>;
/** What the control plane writes: defaults may be left to the parse. */
export type RevisionDefinitionInput = z.input<typeof RevisionDefinitionSchema>;

export type ParsedRevision =
  { readonly ok: true; readonly definition: RevisionDefinition } | { readonly ok: false; readonly detail: string };

/** Parses a stored revision definition, filling in the defaults of fields it predates. */
export function parseRevision(stored: unknown): ParsedRevision {
  const parsed = RevisionDefinitionSchema.safeParse(stored);
  if (parsed.success) return { ok: true, definition: parsed.data };
  const issue = parsed.error.issues[0];
  return { ok: false, detail: issue === undefined ? 'The stored revision does not parse' : `/${issue.path.join('/')}: ${issue.message}` };
}
