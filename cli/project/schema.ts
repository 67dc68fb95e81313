/**
 * The API project file, `turnpike.yaml`: one API (its OpenAPI definition in a file beside it, and
 * what the definition does not say — tiers, policies, endpoints, lifecycle) and the target
 * environments, each with its control plane, gateway environments and parameters. The `api`
 * section is the control plane's own create schema (plus `definition` and `lifecycle`), so the CLI
 * and the server can never disagree on what a valid API is.
 */
import { z } from '@hono/zod-openapi';
import { AUTH_TYPES, LIFECYCLE_STATES } from '../../workers/shared/db/schema.ts';
import { CreateApiBody, EndpointSchema, PolicyListBase } from '../../workers/control-plane/src/publisher/apis/schemas.ts';
import { GraphqlInput } from '../../workers/control-plane/src/publisher/graphql/schema.ts';

export const PROJECT_FILE = 'turnpike.yaml';

/** `production: https://orders.internal` is short for one URL with the default timeout. */
const Endpoint = z.preprocess((v) => (typeof v === 'string' ? { urls: [{ url: v }] } : v), EndpointSchema);

export const OPERATION_KEY = /^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/\S*$/;

/** What an operation of the definition cannot say by itself; each key is `METHOD /path`. */
const ResourceSettings = z.strictObject({
  authType: z.enum(AUTH_TYPES).optional(),
  scopes: z.array(z.string().min(1).max(100)).max(20).optional(),
  throttlingPolicy: z.string().max(100).nullable().optional(),
  /** The operation's policies (`[{ name, config }]`), after the API's `policies`. */
  policies: PolicyListBase.optional(),
});

export const ApiSection = CreateApiBody.omit({ resources: true, endpoints: true, openapi: true }).extend({
  /** The OpenAPI 3.x / Swagger 2.0 file (JSON or YAML), relative to turnpike.yaml; for `type: GRAPHQL`, the schema's SDL file. */
  definition: z.string().min(1),
  /** A GraphQL API's limits (maxDepth, maxComplexity, fieldScopes…); its schema is the definition file. */
  graphql: GraphqlInput.extend({ schema: z.string().optional() }).nullable().default(null),
  /** The lifecycle state `apply` moves the API to (one legal transition at a time). */
  lifecycle: z.enum(LIFECYCLE_STATES).optional(),
  resources: z
    .record(z.string().regex(OPERATION_KEY, 'A key is an HTTP method and a path template, e.g. "GET /orders/{id}"'), ResourceSettings)
    .default({}),
  endpoints: z.strictObject({ production: Endpoint.optional(), sandbox: Endpoint.optional() }).default({}),
});

export const EnvironmentSchema = z.strictObject({
  /** The control plane's URL; else the login profile's. */
  controlPlane: z.string().url().optional(),
  /** The `turnpike login --profile` whose token this environment uses. */
  profile: z.string().min(1).optional(),
  /** Gateway environments that `deploy` and `rollback` act on. */
  gateways: z.array(z.string().min(1)).min(1),
  /** Values for `${params.NAME}` in the api section; `${env.NAME}` reads the shell's environment (for secrets). */
  params: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), z.string()).default({}),
});
export type TargetEnvironment = z.infer<typeof EnvironmentSchema>;

export const ProjectShape = z.strictObject({
  api: z.record(z.string(), z.unknown()),
  /** API products that bundle operations of this API (and of others): `ProductSection` in products.ts, decision 0049. */
  products: z.array(z.record(z.string(), z.unknown())).max(50).default([]),
  environments: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'Letters, digits, dashes and underscores'), EnvironmentSchema)
    .refine((e) => Object.keys(e).length > 0, 'Name at least one environment'),
});
