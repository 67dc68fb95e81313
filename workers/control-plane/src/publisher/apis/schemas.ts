import { z } from '@hono/zod-openapi';
import { API_TYPES, AUTH_TYPES, LIFECYCLE_STATES, ROLES } from '../../../../shared/db/schema.ts';
import { GraphqlInput } from '../graphql/schema.ts';
import { RoleListInput } from '../../auth/role-input.ts';
import { httpUrl, nameText } from '../../http/fields.ts';
import { CorsSchema, HeaderEditsSchema, StreamingSchema } from '../../../../shared/revision.ts';

import { POLICIES } from '../../../../gateway/src/policies/registry.ts';

export { CorsSchema, HeaderEditsSchema, StreamingSchema };

export const ApiTypeField = z.enum(API_TYPES).openapi({
  description:
    'HTTP (REST), GRAPHQL, WS (WebSocket: each resource is a channel, opened with GET) or SSE (server-sent events); fixed when the API is created',
});

/**
 * An ordered list of policies, each `{ name, config }` with its config checked against that
 * policy's own schema (the gateway's registry), so a bad config is a 400 naming the field now
 * rather than a failure on the gateway later. The config is stored as sent: defaults added to a
 * policy later apply to it too.
 */
export const PolicyListBase = z
  .array(z.strictObject({ name: z.string().min(1).max(100), config: z.record(z.string(), z.unknown()).default({}) }))
  .max(20)
  .superRefine((list, ctx) => {
    list.forEach((ref, i) => {
      const policy = POLICIES.get(ref.name);
      if (policy === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `No policy named ${ref.name} (known: ${[...POLICIES.keys()].join(', ')})`,
        });
        return;
      }
      const parsed = policy.config.safeParse(ref.config);
      if (!parsed.success)
        for (const issue of parsed.error.issues)
          ctx.addIssue({
            code: 'custom',
            path: [i, 'config', ...issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k))],
            message: issue.message,
          });
    });
  })
  .openapi({ description: `Policies in the order they run, each { name, config }; known policies: ${[...POLICIES.keys()].join(', ')}` });
export const PolicyListInput = PolicyListBase.default([]);
const PolicyView = z.object({ name: z.string(), config: z.record(z.string(), z.unknown()) });

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export const Context = z
  .string()
  .regex(/^(\/[A-Za-z0-9._~-]+)+$/, 'A context is one or more path segments, e.g. /petstore')
  .max(200)
  .refine(
    (c) => !c.startsWith('/_turnpike') && !/^\/oauth2(\/|$)/.test(c) && !c.startsWith('/.well-known'),
    'This context is reserved by the gateway',
  );

export const Version = z
  .string()
  .regex(/^[A-Za-z0-9._-]+$/, 'Letters, digits, dots, dashes and underscores')
  .max(30);

export const BackendUrl = httpUrl(2048, { credentials: 'refuse' });

// Headers the gateway owns or the transport needs: endpoint security may not set them.
const RESERVED_HEADERS = [
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'x-request-id',
  'x-forwarded-for',
  'x-jwt-assertion',
];

export const EndpointSecurityInput = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('basic'),
      username: z
        .string()
        .min(1)
        .max(200)
        .refine((u) => !u.includes(':'), 'A Basic user name has no colon'),
      password: z.string().min(1).max(1000),
    }),
    z.strictObject({
      type: z.literal('header'),
      name: z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, 'A header name')
        .max(100)
        .refine((n) => !RESERVED_HEADERS.includes(n.toLowerCase()), 'The gateway sets this header itself'),
      value: z
        .string()
        .min(1)
        .max(4000)
        .regex(/^[^\r\n\0]*$/, 'No line breaks'),
    }),
  ])
  .openapi('EndpointSecurity', { description: 'Credentials the gateway presents to the backend; stored encrypted, never echoed back' });

const EndpointFields = {
  strategy: z.enum(['single', 'load_balance', 'failover']).default('single'),
  urls: z
    .array(
      z
        .strictObject({
          url: BackendUrl,
          timeoutMs: z
            .number()
            .int()
            .min(100)
            .max(120_000)
            .default(30_000)
            .openapi({ description: 'How long the gateway waits for the response headers (ms)' }),
          idleTimeoutMs: z
            .number()
            .int()
            .min(100)
            .max(300_000)
            .optional()
            .openapi({ description: 'Longest gap between two body chunks before the gateway cuts the response (ms; default 30000)' }),
          totalTimeoutMs: z.number().int().min(100).max(3_600_000).optional().openapi({
            description:
              'Longest the whole call may take, body included, before the gateway cuts it (ms; default 60000, never less than timeoutMs)',
          }),
        })
        .superRefine((u, ctx) => {
          if (u.totalTimeoutMs !== undefined && u.totalTimeoutMs < u.timeoutMs)
            ctx.addIssue({ code: 'custom', path: ['totalTimeoutMs'], message: 'The total deadline cannot be shorter than timeoutMs' });
        }),
    )
    .min(1)
    .max(20),
  suspendSeconds: z.number().int().min(0).max(3600).default(30),
};

/** `security`: an object sets it, null removes it, leaving it out keeps what is stored (a PATCH need not resend a secret). */
export const EndpointSchema = z.strictObject({ ...EndpointFields, security: EndpointSecurityInput.nullable().optional() });

export const EndpointView = z
  .object({
    ...EndpointFields,
    security: z
      .union([z.object({ type: z.literal('basic'), username: z.string() }), z.object({ type: z.literal('header'), name: z.string() })])
      .nullable(),
  })
  .openapi('EndpointView');

export const ResourceInput = z.strictObject({
  method: z
    .string()
    .transform((m) => m.toUpperCase())
    .pipe(z.enum(HTTP_METHODS)),
  path: z
    .string()
    .regex(/^\/[^\s?#\p{Cc}]*$/u, 'A path template starts with / and has no query, spaces or control characters')
    .max(500),
  authType: z.enum(AUTH_TYPES).default('oauth2_or_api_key'),
  scopes: z.array(z.string().min(1).max(100)).max(20).default([]),
  throttlingPolicy: z.string().max(100).nullable().default(null),
  /** Left out: none on create; on a change, what the same method and path has now (editors that do not show policies must not drop them). */
  policies: PolicyListBase.optional(),
});

export const CreateApiBody = z
  .strictObject({
    type: ApiTypeField.default('HTTP'),
    name: nameText(100),
    context: Context,
    version: Version,
    graphql: GraphqlInput.nullable()
      .default(null)
      .openapi({ description: "A GRAPHQL API's schema (SDL) and query limits; a GRAPHQL API without resources gets POST / and GET /" }),
    description: z.string().max(10_000).default(''),
    tags: z.array(nameText(50)).max(20).default([]),
    isDefaultVersion: z.boolean().default(false),
    visibility: z.enum(['PUBLIC', 'RESTRICTED', 'PRIVATE']).default('PUBLIC').openapi({
      description: 'PUBLIC: everyone, signed in or not; PRIVATE: signed-in users; RESTRICTED: signed-in users of visibleRoles',
    }),
    visibleRoles: RoleListInput.default([]),
    subscriptionTiers: z.array(z.string().min(1).max(100)).max(20).default(['Unlimited']),
    apiThrottlingPolicy: z.string().max(100).nullable().default(null),
    apiKeyHeader: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/)
      .max(100)
      .default('apikey'),
    resources: z.array(ResourceInput).max(5000).default([]),
    endpoints: z.strictObject({ production: EndpointSchema.optional(), sandbox: EndpointSchema.optional() }).default({}),
    cors: CorsSchema.nullable().default(null),
    backendJwt: z.boolean().default(false),
    headerEdits: HeaderEditsSchema.nullable().default(null),
    policies: PolicyListInput,
    streaming: StreamingSchema.nullable().default(null).openapi({
      description:
        'WS and SSE APIs: query-token acceptance, idle and maximum connection durations, connections per subscription (null: the defaults)',
    }),
    /** Kept for export only: resources are what `resources` says, not derived from the document. */
    openapi: z.record(z.string(), z.unknown()).optional().openapi({
      description:
        'An OpenAPI 3.x or Swagger 2.0 document to keep with the API for export (the CLI sends its project definition); resources are not derived from it',
    }),
  })
  .openapi('CreateApiRequest');
export type CreateApi = z.infer<typeof CreateApiBody>;

export const ApiSchema = z
  .object({
    id: z.string(),
    type: ApiTypeField,
    name: z.string(),
    context: z.string(),
    version: z.string(),
    graphql: GraphqlInput.nullable(),
    description: z.string(),
    tags: z.array(z.string()),
    isDefaultVersion: z.boolean(),
    lifecycleState: z.enum(LIFECYCLE_STATES),
    visibility: z.string(),
    visibleRoles: z.array(z.enum(ROLES)),
    providerId: z.string(),
    subscriptionTiers: z.array(z.string()),
    apiThrottlingPolicy: z.string().nullable(),
    apiKeyHeader: z.string(),
    backendJwt: z.boolean(),
    cors: CorsSchema.nullable(),
    headerEdits: HeaderEditsSchema.nullable(),
    policies: z.array(PolicyView),
    streaming: StreamingSchema.nullable(),
    resources: z.array(
      z.object({
        id: z.string(),
        method: z.string(),
        path: z.string(),
        authType: z.string(),
        scopes: z.array(z.string()),
        throttlingPolicy: z.string().nullable(),
        policies: z.array(PolicyView),
      }),
    ),
    endpoints: z.object({ production: EndpointView.optional(), sandbox: EndpointView.optional() }),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('Api');
export type ApiView = z.infer<typeof ApiSchema>;
