/**
 * The one D1 database: definitions (source of truth), secrets as hashes, rollups and the audit log.
 * Times are Unix epoch milliseconds. JSON columns hold small documents validated by zod on write.
 * docs/storage-schema.md explains each table; migrations are generated from this file by drizzle-kit.
 */
import { sql } from 'drizzle-orm';
import { customType, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import type { GraphqlConfig, PolicyRef } from '../revision.ts';
import { ROLES, storedRole, storedRoles, type Role } from '../roles.ts';
import type { PublicJwk } from '../snapshot.ts';

const now = sql`(cast(unixepoch('subsec') * 1000 as integer))`;
const createdAt = () => integer('created_at').notNull().default(now);
const updatedAt = () => integer('updated_at').notNull().default(now);
const json = <T>(name: string) => text(name, { mode: 'json' }).$type<T>();

export { ROLES, type Role };

/**
 * A role column: text in SQL (as `text(…, { enum: ROLES })`), read through `storedRole` so a row
 * written before the rename (decision 0057) reads as `developer`.
 */
const role = customType<{ data: Role; driverData: string }>({
  dataType: () => 'text',
  fromDriver: (value) => storedRole(value),
});

/** A JSON array of roles (`visible_roles`): JSON text in SQL, read through `storedRoles` (decision 0057). */
const roleList = customType<{ data: Role[]; driverData: string }>({
  dataType: () => 'text',
  toDriver: (value) => JSON.stringify(value),
  fromDriver: (value) => storedRoles(JSON.parse(value)),
});

export const users = sqliteTable('users', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  displayName: text('display_name').notNull(),
  passwordHash: text('password_hash').notNull(),
  role: role('role').notNull(),
  status: text('status', { enum: ['ACTIVE', 'PENDING', 'REJECTED', 'DISABLED'] })
    .notNull()
    .default('ACTIVE'),
  failedLogins: integer('failed_logins').notNull().default(0),
  lockedUntil: integer('locked_until'),
  /** False from a self sign-up until its verification link is followed; accounts made otherwise start verified. */
  emailVerified: integer('email_verified', { mode: 'boolean' }).notNull().default(true),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const ACCOUNT_TOKEN_PURPOSES = ['VERIFY_EMAIL', 'RESET_PASSWORD'] as const;

/**
 * Single-use links sent by mail (email verification, password reset): the mail holds the secret,
 * the row its SHA-256; a row is deleted when used (or superseded) and is void after `expiresAt`.
 */
export const accountTokens = sqliteTable(
  'account_tokens',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    purpose: text('purpose', { enum: ACCOUNT_TOKEN_PURPOSES }).notNull(),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('account_tokens_user_idx').on(t.userId, t.purpose)],
);

/** Portal sessions; the cookie holds the secret, the row holds its SHA-256. */
export const sessions = sqliteTable(
  'sessions',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

/** Bearer tokens for scripts and the CLI, scoped like WSO2's REST API scopes. */
export const managementTokens = sqliteTable(
  'management_tokens',
  {
    id: text('id').primaryKey(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    prefix: text('prefix').notNull(),
    scopes: json<string[]>('scopes').notNull(),
    expiresAt: integer('expires_at'),
    lastUsedAt: integer('last_used_at'),
    createdAt: createdAt(),
  },
  (t) => [index('management_tokens_user_idx').on(t.userId)],
);

export const LIFECYCLE_STATES = ['CREATED', 'PRE-RELEASED', 'PUBLISHED', 'BLOCKED', 'DEPRECATED', 'RETIRED'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export interface CorsConfig {
  enabled: boolean;
  allowOrigins: string[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  allowCredentials: boolean;
  maxAgeSeconds: number;
}

/**
 * What an API carries (issue #24): plain HTTP (REST), GraphQL, WebSocket or server-sent events.
 * Stored on the API, frozen with each revision, carried into the snapshot; 'HTTP' for everything
 * made before the types existed.
 */
export const API_TYPES = ['HTTP', 'GRAPHQL', 'WS', 'SSE'] as const;
export type ApiType = (typeof API_TYPES)[number];

/**
 * How the gateway holds a WebSocket or SSE API's long-lived connections (decision 0042); the zod
 * schema with its defaults is `StreamingSchema` in ../revision.ts.
 */
export interface StreamingConfig {
  /** Accept `?access_token=` at the handshake: browsers cannot set Authorization on a WebSocket. Off unless the publisher allows it. */
  allowQueryToken: boolean;
  /** WebSocket: no frame in either direction for this long closes the connection (4408). */
  idleTimeoutSeconds: number;
  /** Any connection, WebSocket or SSE, ends after this long (WebSocket close 4410). */
  maxDurationSeconds: number;
  /** Open connections one subscription may hold at once; null: no limit. */
  maxConnectionsPerSubscription: number | null;
}

/**
 * What a row of `apis` is (decision 0049): an API, or an API product — a bundle of other APIs'
 * operations with its own tiers, documents, visibility and lifecycle, subscribed to like an API
 * (WSO2 keeps its products in AM_API too). A product has no resources, endpoints or revisions.
 */
export const API_KINDS = ['API', 'PRODUCT'] as const;
export type ApiKind = (typeof API_KINDS)[number];

export interface HeaderEdits {
  request: { set: Record<string, string>; remove: string[] };
  response: { set: Record<string, string>; remove: string[] };
}

export const apis = sqliteTable(
  'apis',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    context: text('context').notNull(),
    version: text('version').notNull(),
    isDefaultVersion: integer('is_default_version', { mode: 'boolean' }).notNull().default(false),
    lifecycleState: text('lifecycle_state', { enum: LIFECYCLE_STATES }).notNull().default('CREATED'),
    visibility: text('visibility', { enum: ['PUBLIC', 'RESTRICTED', 'PRIVATE'] })
      .notNull()
      .default('PUBLIC'),
    visibleRoles: roleList('visible_roles').notNull().default([]),
    tags: json<string[]>('tags').notNull().default([]),
    description: text('description').notNull().default(''),
    openapi: json<Record<string, unknown>>('openapi'),
    /** R2 key of the document when it is too large for the row (`openapi` is then null; decision 0035). */
    openapiKey: text('openapi_key'),
    providerId: text('provider_id')
      .notNull()
      .references(() => users.id, { onDelete: 'restrict' }),
    /** Subscription tiers (policy names) this API offers. */
    subscriptionTiers: json<string[]>('subscription_tiers').notNull().default([]),
    /** Advanced (API-level) throttling policy name, if any. */
    apiThrottlingPolicy: text('api_throttling_policy'),
    cors: json<CorsConfig>('cors'),
    backendJwt: integer('backend_jwt', { mode: 'boolean' }).notNull().default(false),
    headerEdits: json<HeaderEdits>('header_edits'),
    /** The API's policies, in the order they run (see workers/gateway/src/policies/). */
    policies: json<PolicyRef[]>('policies').notNull().default([]),
    apiKeyHeader: text('api_key_header').notNull().default('apikey'),
    /**
     * Names of the external key managers whose tokens this API accepts besides Turnpike's own (live,
     * not part of a revision: decision 0036). Empty: Turnpike's own tokens and API keys only.
     */
    keyManagers: json<string[]>('key_managers').notNull().default([]),
    type: text('type', { enum: API_TYPES }).notNull().default('HTTP'),
    /** WebSocket and SSE APIs only (null: the defaults of `StreamingSchema`). */
    streaming: json<StreamingConfig>('streaming'),
    /** A GRAPHQL API's schema (SDL) and query limits; null for every other type. */
    graphql: json<GraphqlConfig>('graphql'),
    kind: text('kind', { enum: API_KINDS }).notNull().default('API'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('apis_context_version_uq').on(t.context, t.version),
    index('apis_provider_idx').on(t.providerId),
    index('apis_state_idx').on(t.lifecycleState),
  ],
);

/** Other publishers an API is shared with (they may read and change it). */
export const apiCollaborators = sqliteTable(
  'api_collaborators',
  {
    apiId: text('api_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.apiId, t.userId] })],
);

/**
 * The operations an API product bundles (decision 0049): each names an operation of another API by
 * its method and path template, as its revisions and the snapshot do — a resource row's id changes
 * when the API's resources are edited, its method and path do not.
 */
export const apiProductOperations = sqliteTable(
  'api_product_operations',
  {
    productId: text('product_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    apiId: text('api_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    method: text('method').notNull(),
    pathTemplate: text('path_template').notNull(),
    sortOrder: integer('sort_order').notNull().default(0),
  },
  // (api): the snapshot compile reads the products of the APIs an environment serves.
  (t) => [primaryKey({ columns: [t.productId, t.apiId, t.method, t.pathTemplate] }), index('api_product_operations_api_idx').on(t.apiId)],
);

export const AUTH_TYPES = ['oauth2', 'api_key', 'oauth2_or_api_key', 'none'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];

export const apiResources = sqliteTable(
  'api_resources',
  {
    id: text('id').primaryKey(),
    apiId: text('api_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    method: text('method').notNull(),
    pathTemplate: text('path_template').notNull(),
    authType: text('auth_type', { enum: AUTH_TYPES }).notNull().default('oauth2_or_api_key'),
    scopes: json<string[]>('scopes').notNull().default([]),
    throttlingPolicy: text('throttling_policy'),
    sortOrder: integer('sort_order').notNull().default(0),
    /** The operation's policies, run after the API's. */
    policies: json<PolicyRef[]>('policies').notNull().default([]),
  },
  (t) => [uniqueIndex('api_resources_uq').on(t.apiId, t.method, t.pathTemplate)],
);

export interface EndpointUrl {
  url: string;
  timeoutMs: number;
}

export const endpoints = sqliteTable(
  'endpoints',
  {
    id: text('id').primaryKey(),
    apiId: text('api_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    keyType: text('key_type', { enum: ['PRODUCTION', 'SANDBOX'] }).notNull(),
    strategy: text('strategy', { enum: ['single', 'load_balance', 'failover'] })
      .notNull()
      .default('single'),
    urls: json<EndpointUrl[]>('urls').notNull(),
    /** Seconds a failed URL stays suspended before it is tried again. */
    suspendSeconds: integer('suspend_seconds').notNull().default(30),
    /** Endpoint security (basic or header secret), AES-GCM encrypted; never echoed back. */
    securityCiphertext: text('security_ciphertext'),
  },
  (t) => [uniqueIndex('endpoints_api_key_type_uq').on(t.apiId, t.keyType)],
);

export const apiDocuments = sqliteTable(
  'api_documents',
  {
    id: text('id').primaryKey(),
    apiId: text('api_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    type: text('type', { enum: ['HOWTO', 'SAMPLES', 'PUBLIC_FORUM', 'SUPPORT_FORUM', 'OTHER'] })
      .notNull()
      .default('HOWTO'),
    sourceType: text('source_type', { enum: ['INLINE', 'URL'] })
      .notNull()
      .default('INLINE'),
    content: text('content'),
    url: text('url'),
    sortOrder: integer('sort_order').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('api_documents_name_uq').on(t.apiId, t.name)],
);

/** An immutable snapshot of an API (definition, resources, endpoints, policies) at a point in time. */
export const revisions = sqliteTable(
  'revisions',
  {
    id: text('id').primaryKey(),
    apiId: text('api_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    number: integer('number').notNull(),
    description: text('description').notNull().default(''),
    definition: json<Record<string, unknown>>('definition').notNull(),
    /** R2 key of the definition when it is too large for the row (`definition` is then `{}`; decision 0035). */
    definitionKey: text('definition_key'),
    createdBy: text('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('revisions_api_number_uq').on(t.apiId, t.number)],
);

export const gatewayEnvironments = sqliteTable('gateway_environments', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  displayName: text('display_name').notNull(),
  type: text('type', { enum: ['production', 'sandbox', 'hybrid'] })
    .notNull()
    .default('hybrid'),
  visibleRoles: roleList('visible_roles').notNull().default([]),
  hostname: text('hostname'),
  /** Local development proxies to 127.0.0.1; deployed environments refuse private and loopback backends. */
  allowPrivateBackends: integer('allow_private_backends', { mode: 'boolean' }).notNull().default(false),
  createdAt: createdAt(),
});

/** Which revision of an API each gateway environment serves: at most one per (API, environment). */
export const deployments = sqliteTable(
  'deployments',
  {
    id: text('id').primaryKey(),
    apiId: text('api_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    revisionId: text('revision_id')
      .notNull()
      .references(() => revisions.id, { onDelete: 'cascade' }),
    environmentId: text('environment_id')
      .notNull()
      .references(() => gatewayEnvironments.id, { onDelete: 'cascade' }),
    deployedBy: text('deployed_by').references(() => users.id, { onDelete: 'set null' }),
    deployedAt: integer('deployed_at').notNull().default(now),
    /** When the publisher last purged the API's response cache here (0: never); with deployedAt, the snapshot's `cacheEpoch`. */
    cachePurgedAt: integer('cache_purged_at').notNull().default(0),
  },
  (t) => [uniqueIndex('deployments_api_env_uq').on(t.apiId, t.environmentId), index('deployments_env_idx').on(t.environmentId)],
);

/** What a gateway environment serves, compiled on every deploy; gateways cache it in memory. */
export const gatewaySnapshots = sqliteTable('gateway_snapshots', {
  environmentId: text('environment_id')
    .primaryKey()
    .references(() => gatewayEnvironments.id, { onDelete: 'cascade' }),
  version: integer('version').notNull(),
  body: text('body').notNull(),
  compiledAt: integer('compiled_at').notNull().default(now),
});

export const applications = sqliteTable(
  'applications',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Application-level throttling policy name (shared across all the APIs it calls). */
    throttlingPolicy: text('throttling_policy').notNull().default('Unlimited'),
    tokenType: text('token_type', { enum: ['JWT'] })
      .notNull()
      .default('JWT'),
    status: text('status', { enum: ['APPROVED', 'CREATED', 'REJECTED'] })
      .notNull()
      .default('APPROVED'),
    attributes: json<Record<string, string>>('attributes').notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('applications_owner_name_uq').on(t.ownerId, t.name)],
);

export const KEY_TYPES = ['PRODUCTION', 'SANDBOX'] as const;
export type KeyType = (typeof KEY_TYPES)[number];

/** OAuth2 client credentials of an application, one pair per key type. */
export const applicationKeys = sqliteTable(
  'application_keys',
  {
    id: text('id').primaryKey(),
    applicationId: text('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    keyType: text('key_type', { enum: KEY_TYPES }).notNull(),
    consumerKey: text('consumer_key').notNull().unique(),
    secretHash: text('secret_hash').notNull(),
    secretPrefix: text('secret_prefix').notNull(),
    grantTypes: json<string[]>('grant_types').notNull(),
    callbackUrls: json<string[]>('callback_urls').notNull().default([]),
    /** Tokens issued before this instant are refused (secret regeneration revokes what it issued). */
    tokensValidAfter: integer('tokens_valid_after').notNull().default(0),
    /**
     * A resource server's client: an admin lets it introspect any token (RFC 7662 §2.1). Every other
     * client learns only about its own tokens.
     */
    mayIntrospect: integer('may_introspect', { mode: 'boolean' }).notNull().default(false),
    /** RFC 7592: SHA-256 of the registration access token of a client made by dynamic registration; null otherwise. */
    registrationTokenHash: text('registration_token_hash'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('application_keys_app_type_uq').on(t.applicationId, t.keyType)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    applicationId: text('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    keyType: text('key_type', { enum: KEY_TYPES }).notNull(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters of the key, shown so a user can tell keys apart. */
    prefix: text('prefix').notNull(),
    expiresAt: integer('expires_at'),
    allowedIps: json<string[]>('allowed_ips').notNull().default([]),
    allowedReferrers: json<string[]>('allowed_referrers').notNull().default([]),
    revokedAt: integer('revoked_at'),
    /** Written off the hot path: the gateway's usage batches carry the keys they saw (usage/consumer.ts). */
    lastUsedAt: integer('last_used_at'),
    /** Set when the key was rolled: its successor; the key itself works until its `expires_at` (the overlap). */
    rolledTo: text('rolled_to'),
    createdAt: createdAt(),
  },
  (t) => [index('api_keys_app_idx').on(t.applicationId)],
);

export const SUBSCRIPTION_STATUSES = ['UNBLOCKED', 'BLOCKED', 'PROD_ONLY_BLOCKED', 'ON_HOLD', 'REJECTED'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const subscriptions = sqliteTable(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    applicationId: text('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    apiId: text('api_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    tier: text('tier').notNull(),
    status: text('status', { enum: SUBSCRIPTION_STATUSES }).notNull().default('UNBLOCKED'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // (tier, id): a tier edit walks the tier's subscriptions in id order, a page at a time.
  (t) => [
    uniqueIndex('subscriptions_app_api_uq').on(t.applicationId, t.apiId),
    index('subscriptions_api_idx').on(t.apiId),
    index('subscriptions_tier_idx').on(t.tier, t.id),
  ],
);

export const POLICY_KINDS = ['subscription', 'application', 'advanced', 'custom'] as const;
export type PolicyKind = (typeof POLICY_KINDS)[number];
export const TIME_UNITS = ['sec', 'min', 'hour', 'day', 'month'] as const;
export type TimeUnit = (typeof TIME_UNITS)[number];

export interface ConditionalGroup {
  description: string;
  conditions: Array<
    | { type: 'ip'; cidr: string; invert: boolean }
    | { type: 'header'; name: string; value: string; invert: boolean }
    | { type: 'query'; name: string; value: string; invert: boolean }
    | { type: 'jwtClaim'; claim: string; value: string; invert: boolean }
  >;
  limit: { quotaType: 'requestCount' | 'bandwidth'; limit: number; unitTime: number; timeUnit: TimeUnit };
}

export const throttlingPolicies = sqliteTable(
  'throttling_policies',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: POLICY_KINDS }).notNull(),
    name: text('name').notNull(),
    displayName: text('display_name').notNull(),
    description: text('description').notNull().default(''),
    quotaType: text('quota_type', { enum: ['requestCount', 'bandwidth'] })
      .notNull()
      .default('requestCount'),
    /** Requests, or bytes for bandwidth policies; null means unlimited. */
    limit: integer('limit'),
    unitTime: integer('unit_time').notNull().default(1),
    timeUnit: text('time_unit', { enum: TIME_UNITS }).notNull().default('min'),
    burstLimit: integer('burst_limit'),
    burstTimeUnit: text('burst_time_unit', { enum: ['sec', 'min'] }),
    stopOnQuotaReach: integer('stop_on_quota_reach', { mode: 'boolean' }).notNull().default(true),
    conditionalGroups: json<ConditionalGroup[]>('conditional_groups').notNull().default([]),
    /** Custom policies: the counter key, e.g. `$userId:$apiContext`. */
    keyTemplate: text('key_template'),
    /** What the gateway does when the counter store cannot answer. */
    failMode: text('fail_mode', { enum: ['open', 'closed'] })
      .notNull()
      .default('open'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('throttling_policies_kind_name_uq').on(t.kind, t.name)],
);

/**
 * Where the push of a subscription tier's last edit to its subscriptions' counter objects stands
 * (workers/control-plane/src/gateway-sync/tier-fanout.ts). One row per tier; each edit bumps the
 * generation, which makes the messages of an older push stop.
 */
export const tierFanouts = sqliteTable('tier_fanouts', {
  policyId: text('policy_id')
    .primaryKey()
    .references(() => throttlingPolicies.id, { onDelete: 'cascade' }),
  generation: integer('generation').notNull(),
  /** The id of the last subscription synced (keyset cursor); '' before the first page. */
  cursor: text('cursor').notNull().default(''),
  /** Subscriptions on the tier, counted by the first page; the number synced once finished. */
  total: integer('total'),
  done: integer('done').notNull().default(0),
  startedAt: integer('started_at').notNull(),
  finishedAt: integer('finished_at'),
  lastError: text('last_error'),
  updatedAt: updatedAt(),
});

export const blockingConditions = sqliteTable('blocking_conditions', {
  id: text('id').primaryKey(),
  conditionType: text('condition_type', { enum: ['API', 'APPLICATION', 'USER', 'IP', 'IP_RANGE'] }).notNull(),
  conditionValue: text('condition_value').notNull(),
  inverted: integer('inverted', { mode: 'boolean' }).notNull().default(false),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  createdAt: createdAt(),
});

/** Refresh tokens as hashes; a family is one grant, and reuse of a rotated member revokes it whole. */
export const refreshTokens = sqliteTable(
  'refresh_tokens',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    familyId: text('family_id').notNull(),
    applicationKeyId: text('application_key_id')
      .notNull()
      .references(() => applicationKeys.id, { onDelete: 'cascade' }),
    userId: text('user_id').references(() => users.id, { onDelete: 'cascade' }),
    scope: text('scope').notNull().default(''),
    status: text('status', { enum: ['ACTIVE', 'ROTATED', 'REVOKED'] })
      .notNull()
      .default('ACTIVE'),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('refresh_tokens_family_idx').on(t.familyId), index('refresh_tokens_key_idx').on(t.applicationKeyId)],
);

export const authorizationCodes = sqliteTable('authorization_codes', {
  codeHash: text('code_hash').primaryKey(),
  applicationKeyId: text('application_key_id')
    .notNull()
    .references(() => applicationKeys.id, { onDelete: 'cascade' }),
  userId: text('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  redirectUri: text('redirect_uri').notNull(),
  scope: text('scope').notNull().default(''),
  codeChallenge: text('code_challenge').notNull(),
  /** OpenID Connect Core §3.1.2.1: the client's nonce, echoed in the id_token of this code's grant. */
  nonce: text('nonce'),
  expiresAt: integer('expires_at').notNull(),
  usedAt: integer('used_at'),
});

/** Access tokens revoked before they expire (by jti), kept until they would have expired. */
export const revokedTokens = sqliteTable(
  'revoked_tokens',
  {
    jti: text('jti').primaryKey(),
    applicationId: text('application_id').notNull(),
    expiresAt: integer('expires_at').notNull(),
    revokedAt: integer('revoked_at').notNull().default(now),
  },
  // (application, expiry): a subscription's sync, or a page of them, reads its applications' revocations.
  (t) => [index('revoked_tokens_exp_idx').on(t.expiresAt), index('revoked_tokens_app_idx').on(t.applicationId, t.expiresAt)],
);

export const SIGNING_KEY_STATUSES = ['PUBLISHED', 'ACTIVE', 'PREVIOUS', 'RETIRED'] as const;
export type SigningKeyStatus = (typeof SIGNING_KEY_STATUSES)[number];

/**
 * The Key Manager's token-signing keys and where each stands in its rotation (decision 0038):
 * PUBLISHED (in the JWKS and every snapshot, not signing yet) → ACTIVE (signs; one at a time) →
 * PREVIOUS (verifies until `retire_after`, past the longest lifetime of what it signed) → RETIRED
 * (gone from the JWKS; its private half erased). The private JWK is sealed under ENCRYPTION_KEY
 * with the kid as additional data. Keys of the SIGNING_KEYS secret are adopted into this table
 * the first time the control plane loads its keys (`origin` SECRET).
 */
export const signingKeys = sqliteTable('signing_keys', {
  kid: text('kid').primaryKey(),
  alg: text('alg').notNull(),
  publicJwk: json<PublicJwk>('public_jwk').notNull(),
  status: text('status', { enum: SIGNING_KEY_STATUSES }).notNull().default('ACTIVE'),
  privateJwkSealed: text('private_jwk_sealed'),
  origin: text('origin', { enum: ['SECRET', 'GENERATED'] })
    .notNull()
    .default('GENERATED'),
  activatedAt: integer('activated_at'),
  retireAfter: integer('retire_after'),
  createdAt: createdAt(),
  retiredAt: integer('retired_at'),
});

/** Per-minute usage, compacted to hour and day; upserts are keyed so a retried batch adds nothing twice. */
export const usageRollups = sqliteTable(
  'usage_rollups',
  {
    granularity: text('granularity', { enum: ['minute', 'hour', 'day'] }).notNull(),
    bucketStart: integer('bucket_start').notNull(),
    apiId: text('api_id').notNull(),
    applicationId: text('application_id').notNull(),
    keyType: text('key_type').notNull(),
    statusClass: text('status_class').notNull(),
    requests: integer('requests').notNull().default(0),
    throttled: integer('throttled').notNull().default(0),
    requestBytes: integer('request_bytes').notNull().default(0),
    responseBytes: integer('response_bytes').notNull().default(0),
    /**
     * WebSocket frames client → backend (relayed) and backend → client, on the row of the
     * connection's handshake (status class 1xx, whose `requests` are the connections; its
     * request/response bytes are the frames' bytes per direction). 0 for HTTP calls.
     */
    framesIn: integer('frames_in').notNull().default(0),
    framesOut: integer('frames_out').notNull().default(0),
    latencyMsSum: integer('latency_ms_sum').notNull().default(0),
    latencyMsMax: integer('latency_ms_max').notNull().default(0),
    /** Counts per latency bucket, for percentiles. */
    latencyHistogram: json<number[]>('latency_histogram').notNull().default([]),
  },
  // The key leads with the API (decision 0059), so it also serves the publisher's and the alerts'
  // reads by API and period: no index of its own for them, one index row fewer for each new row.
  // Compaction's reads by granularity and period scan the table, once an hour.
  // WITHOUT ROWID since migration 0018 (decision 0061), as are usage_errors, usage_operations and
  // usage_batches: sqliteTable cannot say it, so a generated rebuild of any of them must add it back.
  (t) => [
    primaryKey({ columns: [t.apiId, t.granularity, t.bucketStart, t.applicationId, t.keyType, t.statusClass] }),
    index('usage_rollups_app_idx').on(t.applicationId, t.granularity, t.bucketStart),
  ],
);

/**
 * Error answers per bucket, keyed like `usage_rollups` but by error code instead of status class:
 * the WSO2-style `code` of the gateway's own problem answers (900901 invalid credentials, 900804
 * throttled, …), or the HTTP status of a backend's (or a code-less problem's) 4xx / 5xx.
 */
export const usageErrors = sqliteTable(
  'usage_errors',
  {
    granularity: text('granularity', { enum: ['minute', 'hour', 'day'] }).notNull(),
    bucketStart: integer('bucket_start').notNull(),
    apiId: text('api_id').notNull(),
    applicationId: text('application_id').notNull(),
    keyType: text('key_type').notNull(),
    errorCode: integer('error_code').notNull(),
    count: integer('count').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.granularity, t.bucketStart, t.apiId, t.applicationId, t.keyType, t.errorCode] }),
    index('usage_errors_app_idx').on(t.applicationId, t.granularity, t.bucketStart),
    index('usage_errors_api_idx').on(t.apiId, t.granularity, t.bucketStart),
  ],
);

/**
 * Calls per bucket × API × application × operation: the GraphQL operation's name (or, for an
 * anonymous operation, its root fields), so a GraphQL API's usage reads per operation, not as one
 * POST resource. Errors are answers with status 400 or above.
 */
export const usageOperations = sqliteTable(
  'usage_operations',
  {
    granularity: text('granularity', { enum: ['minute', 'hour', 'day'] }).notNull(),
    bucketStart: integer('bucket_start').notNull(),
    apiId: text('api_id').notNull(),
    applicationId: text('application_id').notNull(),
    operation: text('operation').notNull(),
    requests: integer('requests').notNull().default(0),
    errors: integer('errors').notNull().default(0),
    latencyMsSum: integer('latency_ms_sum').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.granularity, t.bucketStart, t.apiId, t.applicationId, t.operation] }),
    index('usage_operations_api_idx').on(t.apiId, t.granularity, t.bucketStart),
  ],
);

/** Batches of usage events already folded into the rollups: makes consumer retries idempotent. */
export const usageBatches = sqliteTable('usage_batches', {
  batchId: text('batch_id').primaryKey(),
  processedAt: integer('processed_at').notNull().default(now),
});

export const alertRules = sqliteTable(
  'alert_rules',
  {
    id: text('id').primaryKey(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    scopeType: text('scope_type', { enum: ['API', 'SUBSCRIPTION'] }).notNull(),
    scopeId: text('scope_id').notNull(),
    metric: text('metric', { enum: ['error_rate', 'latency_p95', 'quota_use'] }).notNull(),
    threshold: integer('threshold').notNull(),
    webhookUrl: text('webhook_url').notNull(),
    /** HMAC key for the webhook signature, AES-GCM encrypted (it must be usable, so not a hash). */
    secretCiphertext: text('secret_ciphertext').notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    lastFiredAt: integer('last_fired_at'),
    createdAt: createdAt(),
  },
  (t) => [index('alert_rules_scope_idx').on(t.scopeType, t.scopeId)],
);

/** Every time a rule fired: what it measured and what the webhook answered. */
export const alertEvents = sqliteTable(
  'alert_events',
  {
    id: text('id').primaryKey(),
    ruleId: text('rule_id')
      .notNull()
      .references(() => alertRules.id, { onDelete: 'cascade' }),
    firedAt: integer('fired_at').notNull(),
    value: real('value').notNull(),
    threshold: integer('threshold').notNull(),
    /** The webhook's HTTP status; NULL when it could not be reached (or timed out). */
    deliveryStatus: integer('delivery_status'),
  },
  (t) => [index('alert_events_rule_idx').on(t.ruleId, t.firedAt)],
);

export const workflows = sqliteTable(
  'workflows',
  {
    id: text('id').primaryKey(),
    type: text('type', { enum: ['USER_SIGNUP', 'APPLICATION_CREATION', 'SUBSCRIPTION_CREATION'] }).notNull(),
    referenceId: text('reference_id').notNull(),
    status: text('status', { enum: ['PENDING', 'APPROVED', 'REJECTED'] })
      .notNull()
      .default('PENDING'),
    requestedBy: text('requested_by').references(() => users.id, { onDelete: 'set null' }),
    decidedBy: text('decided_by').references(() => users.id, { onDelete: 'set null' }),
    reason: text('reason'),
    createdAt: createdAt(),
    decidedAt: integer('decided_at'),
  },
  (t) => [index('workflows_status_idx').on(t.status, t.type)],
);

/** Which claims of an external key manager's tokens carry the client id, the scopes and the user. */
export interface ClaimMappings {
  clientId: string;
  scopes: string;
  user: string;
}

/**
 * External key managers (WSO2's third-party key managers): OpenID Providers / RFC 8414
 * authorization servers whose access tokens gateways accept for the APIs that choose them.
 * Registered by discovery; what discovery said is stored, refreshed when an admin saves again.
 */
export const keyManagers = sqliteTable('key_managers', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  displayName: text('display_name').notNull(),
  description: text('description').notNull().default(''),
  discoveryUrl: text('discovery_url').notNull(),
  issuer: text('issuer').notNull().unique(),
  jwksUri: text('jwks_uri'),
  tokenEndpoint: text('token_endpoint'),
  introspectionEndpoint: text('introspection_endpoint'),
  registrationEndpoint: text('registration_endpoint'),
  /** The `aud` its access tokens must carry for Turnpike's gateways (RFC 9068 §4). */
  audience: text('audience').notNull(),
  claimMappings: json<ClaimMappings>('claim_mappings').notNull().default({ clientId: 'client_id', scopes: 'scope', user: 'sub' }),
  /** Gateway environment names that accept its tokens; empty: every environment. */
  environments: json<string[]>('environments').notNull().default([]),
  /** The client the gateway authenticates as at the introspection endpoint (RFC 7662 §2.1); its secret sealed under ENCRYPTION_KEY. */
  introspectionClientId: text('introspection_client_id'),
  introspectionClientSecret: text('introspection_client_secret'),
  /** The initial access token for dynamic client registration there (RFC 7591 §3), sealed; null: registration not offered. */
  registrationAccessToken: text('registration_access_token'),
  jwksMaxAgeSeconds: integer('jwks_max_age_seconds').notNull().default(600),
  jwksCooldownSeconds: integer('jwks_cooldown_seconds').notNull().default(30),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * An external key manager's OAuth client mapped to a Turnpike application ("provide existing OAuth
 * keys"): its tokens then count as that application's, under one key type.
 */
export const externalClients = sqliteTable(
  'external_clients',
  {
    id: text('id').primaryKey(),
    keyManagerId: text('key_manager_id')
      .notNull()
      .references(() => keyManagers.id, { onDelete: 'cascade' }),
    clientId: text('client_id').notNull(),
    applicationId: text('application_id')
      .notNull()
      .references(() => applications.id, { onDelete: 'cascade' }),
    keyType: text('key_type', { enum: KEY_TYPES }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('external_clients_km_client_uq').on(t.keyManagerId, t.clientId),
    index('external_clients_app_idx').on(t.applicationId),
  ],
);

/** Platform settings (workflow switches, self sign-up), one JSON value per key. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: json<unknown>('value').notNull(),
});

export const apiRatings = sqliteTable(
  'api_ratings',
  {
    id: text('id').primaryKey(),
    apiId: text('api_id')
      .notNull()
      .references(() => apis.id, { onDelete: 'cascade' }),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    rating: integer('rating').notNull(),
    comment: text('comment').notNull().default(''),
    hidden: integer('hidden', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('api_ratings_api_user_uq').on(t.apiId, t.userId)],
);

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    actorId: text('actor_id'),
    actorEmail: text('actor_email'),
    action: text('action').notNull(),
    entityType: text('entity_type').notNull(),
    entityId: text('entity_id').notNull(),
    before: json<unknown>('before'),
    after: json<unknown>('after'),
    createdAt: createdAt(),
  },
  (t) => [index('audit_log_created_idx').on(t.createdAt), index('audit_log_entity_idx').on(t.entityType, t.entityId)],
);

/** Login attempts per account and per IP, for throttling password guessing. */
export const loginAttempts = sqliteTable('login_attempts', {
  key: text('key').primaryKey(),
  count: integer('count').notNull().default(0),
  windowStart: integer('window_start').notNull(),
});

/** A claim value of the provider's role claim and the Turnpike role it grants (decision 0051). */
export interface SsoRoleRule {
  readonly value: string;
  readonly role: Role;
}

/**
 * Portal sign-in through an external key manager's OpenID Provider (decision 0051): one per key
 * manager. The portal is a confidential client there; its secret is sealed under ENCRYPTION_KEY
 * with the row's id as context.
 */
export const ssoProviders = sqliteTable('sso_providers', {
  id: text('id').primaryKey(),
  keyManagerId: text('key_manager_id')
    .notNull()
    .unique()
    .references(() => keyManagers.id, { onDelete: 'cascade' }),
  clientId: text('client_id').notNull(),
  clientSecret: text('client_secret').notNull(),
  scopes: text('scopes').notNull().default('openid email profile'),
  /** Where the roles are in the id_token (or userinfo): a claim name or a dotted path, e.g. `groups`, `realm_access.roles`. */
  rolesClaim: text('roles_claim').notNull().default('groups'),
  roleMapping: json<SsoRoleRule[]>('role_mapping').notNull().default([]),
  /** The role of a user none of whose claim values is mapped; null: such a user is refused. */
  defaultRole: text('default_role', { enum: ROLES }),
  /** Whether a first sign-in may join the local account of the same email (only when the provider says email_verified). */
  linkByEmail: integer('link_by_email', { mode: 'boolean' }).notNull().default(false),
  enabled: integer('enabled', { mode: 'boolean' }).notNull().default(false),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Who a provider's (issuer, sub) is here (OIDC Core §5.7: only that pair identifies a user). */
export const ssoIdentities = sqliteTable(
  'sso_identities',
  {
    issuer: text('issuer').notNull(),
    subject: text('subject').notNull(),
    userId: text('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
    lastSignInAt: integer('last_sign_in_at'),
  },
  (t) => [primaryKey({ columns: [t.issuer, t.subject] }), index('sso_identities_user_idx').on(t.userId)],
);

/**
 * A sign-in under way: keyed by the SHA-256 of its `state`, bound to the browser that started it by
 * the SHA-256 of a cookie secret, deleted by the callback that uses it (one use), void after
 * `expiresAt`. The PKCE verifier is sealed (context: the state hash).
 */
export const ssoLogins = sqliteTable(
  'sso_logins',
  {
    stateHash: text('state_hash').primaryKey(),
    providerId: text('provider_id')
      .notNull()
      .references(() => ssoProviders.id, { onDelete: 'cascade' }),
    bindingHash: text('binding_hash').notNull(),
    codeVerifier: text('code_verifier').notNull(),
    nonce: text('nonce').notNull(),
    returnTo: text('return_to').notNull(),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('sso_logins_expires_idx').on(t.expiresAt)],
);

/**
 * Initial access tokens for Turnpike's own dynamic client registration (RFC 7591 §3), issued by an
 * admin for a developer who will own the registered clients (decision 0052): SHA-256 of the token,
 * limited in uses and time. A use is spent in the same statement that checks it.
 */
export const registrationTokens = sqliteTable(
  'registration_tokens',
  {
    id: text('id').primaryKey(),
    tokenHash: text('token_hash').notNull().unique(),
    prefix: text('prefix').notNull(),
    ownerId: text('owner_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    maxUses: integer('max_uses').notNull().default(1),
    uses: integer('uses').notNull().default(0),
    expiresAt: integer('expires_at').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('registration_tokens_owner_idx').on(t.ownerId)],
);
