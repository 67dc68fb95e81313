import { ApiError } from '../../../shared/problem.ts';
import { MAX_SNAPSHOT_BYTES, decodeSnapshot, encodeSnapshot } from '../../../shared/snapshot-codec.ts';
import { collectShards, storeShards } from '../../../shared/snapshot-shards.ts';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { GatewaySnapshot, SnapshotApi, SnapshotKeyManager } from '../../../shared/snapshot.ts';
import type { WindowLimit } from '../../../../durable-objects/throttle/types.ts';
import { schema, type Database } from '../db.ts';
import { signingKeys } from '../keys/signing-keys.ts';
import { conditionalLimits, policyToLimits } from '../policies/limits.ts';
import { notifyGateway } from './notify.ts';
import { DEFAULT_STREAMING, parseRevision } from '../../../shared/revision.ts';
import { storedDefinition } from '../publisher/deployments/stored-revision.ts';
import { productsOf, servedProductOperations } from './products.ts';

const SERVED_STATES = ['PUBLISHED', 'PRE-RELEASED', 'DEPRECATED', 'BLOCKED'] as const;

/** Compiles what a gateway environment serves from its deployed revisions (not the live API rows). */
export async function compileSnapshot(env: Env, db: Database, environmentId: string, version: number): Promise<GatewaySnapshot> {
  // Joins stay out of db.batch(): D1 returns batch rows as objects, and columns both tables share
  // (id, created_at) would overwrite each other.
  const deployed = await db
    .select({
      api: schema.apis,
      revision: schema.revisions,
      deployedAt: schema.deployments.deployedAt,
      cachePurgedAt: schema.deployments.cachePurgedAt,
    })
    .from(schema.deployments)
    .innerJoin(schema.apis, eq(schema.apis.id, schema.deployments.apiId))
    .innerJoin(schema.revisions, eq(schema.revisions.id, schema.deployments.revisionId))
    .where(and(eq(schema.deployments.environmentId, environmentId), inArray(schema.apis.lifecycleState, [...SERVED_STATES])));
  const [environments, policies, blocks, managers] = await db.batch([
    db.select().from(schema.gatewayEnvironments).where(eq(schema.gatewayEnvironments.id, environmentId)),
    db.select().from(schema.throttlingPolicies),
    db.select().from(schema.blockingConditions).where(eq(schema.blockingConditions.enabled, true)),
    db.select().from(schema.keyManagers).where(eq(schema.keyManagers.enabled, true)),
  ]);
  const environment = environments[0];
  if (environment === undefined) throw new Error(`no gateway environment ${environmentId}`);
  const products = await servedProductOperations(db);
  const keyManagers = snapshotKeyManagers(managers, environment.name);
  const accepted = new Set(keyManagers.map((k) => k.name));
  const advanced = (name: string | null) => (name === null ? undefined : policies.find((p) => p.kind === 'advanced' && p.name === name));
  const limitsOf = (name: string | null, scope: WindowLimit['scope']): WindowLimit[] => {
    const policy = advanced(name);
    return policy === undefined ? [] : policyToLimits(policy, scope);
  };
  const conditionalOf = (name: string | null, scope: WindowLimit['scope']) => {
    const policy = advanced(name);
    const groups = policy === undefined ? [] : conditionalLimits(policy, scope);
    return groups.length === 0 ? {} : { conditional: groups };
  };
  // Only a revision too large for its row is read from R2 (decision 0035): 100,000 small ones cost none.
  const definitions = await Promise.all(
    deployed.map(({ revision }) => (revision.definitionKey === null ? revision.definition : storedDefinition(env.BLOBS, revision))),
  );
  const apis: SnapshotApi[] = deployed.map(({ api, revision, deployedAt, cachePurgedAt }, i) => {
    const parsed = parseRevision(definitions[i]);
    // Deploy refuses a revision that does not parse, so this is a stored row damaged since.
    // Answered as a 409 naming the revision, not a 500: the publisher can redeploy or undeploy it.
    if (!parsed.ok) {
      throw new ApiError('conflict', {
        detail: `Revision ${revision.number} of ${api.name} ${api.version}, deployed to this environment, no longer parses (${parsed.detail}): redeploy the API or undeploy it`,
        extensions: { apiId: api.id, revisionId: revision.id },
      });
    }
    const def = parsed.definition;
    const endpoints: SnapshotApi['endpoints'] = {};
    if (def.endpoints.production !== undefined) endpoints.PRODUCTION = def.endpoints.production;
    if (def.endpoints.sandbox !== undefined) endpoints.SANDBOX = def.endpoints.sandbox;
    const graphql = def.type === 'GRAPHQL' && def.graphql !== undefined ? def.graphql : undefined;
    return {
      id: api.id,
      // Only what differs from an HTTP API's defaults goes in: REST snapshots stay as they were.
      ...(def.type === 'HTTP' ? {} : { type: def.type }),
      ...(def.type === 'WS' || def.type === 'SSE' ? { streaming: def.streaming ?? DEFAULT_STREAMING } : {}),
      name: def.name,
      context: def.context,
      version: def.version,
      ...(def.type === 'HTTP' ? {} : { type: def.type }),
      ...(graphql === undefined
        ? {}
        : {
            graphql: {
              schema: graphql.schema,
              maxDepth: graphql.maxDepth,
              maxComplexity: graphql.maxComplexity,
              introspection: graphql.introspection,
              fieldCosts: graphql.fieldCosts,
              fieldScopes: graphql.fieldScopes,
              operationLimits: Object.fromEntries(
                Object.entries(graphql.operationPolicies).map(([coordinate, policy]) => [coordinate, limitsOf(policy, 'resource')]),
              ),
              // Per application on this API, as a subscription's own quota; throttling fails open like any shared counter.
              points:
                graphql.points === null
                  ? []
                  : [
                      {
                        policy: 'graphql-points',
                        scope: 'subscription',
                        limit: graphql.points.limit,
                        windowSeconds: graphql.points.windowSeconds,
                        unit: 'points',
                        failOpen: true,
                      },
                    ],
            },
          }),
      // The default-version flag is live: marking another version default must not wait for a redeploy.
      isDefaultVersion: api.isDefaultVersion,
      state: api.lifecycleState as SnapshotApi['state'],
      revisionId: revision.id,
      resources: def.resources.map((r) => {
        return {
          method: r.method,
          pathTemplate: r.path,
          authType: r.authType,
          scopes: r.scopes,
          limits: limitsOf(r.throttlingPolicy, 'resource'),
          ...conditionalOf(r.throttlingPolicy, 'resource'),
          ...(r.policies.length === 0 ? {} : { policies: r.policies }),
          ...(r.operation === undefined ? {} : { operation: r.operation }),
          ...productsOf(products, api.id, r.method, r.path),
        };
      }),
      endpoints,
      apiKeyHeader: def.apiKeyHeader,
      cors: def.cors,
      backendJwt: def.backendJwt,
      headerEdits: def.headerEdits,
      ...(def.policies.length === 0 ? {} : { policies: def.policies }),
      // A redeploy and a purge both move it on: response-cache keys of before are never read again.
      cacheEpoch: Math.max(deployedAt, cachePurgedAt),
      ...keyManagersOf(api.keyManagers, accepted),
      limits: limitsOf(def.apiThrottlingPolicy, 'api'),
      ...conditionalOf(def.apiThrottlingPolicy, 'api'),
    };
  });
  const applicationPolicies: Record<string, WindowLimit[]> = {};
  for (const p of policies) if (p.kind === 'application') applicationPolicies[p.name] = policyToLimits(p, 'application');
  const keys = await signingKeys(env);
  return {
    version,
    environment: environment.name,
    compiledAt: Date.now(),
    issuer: env.ISSUER,
    audience: env.TOKEN_AUDIENCE,
    jwks: keys.publicJwks,
    allowPrivateBackends: environment.allowPrivateBackends,
    hostname: environment.hostname,
    ...(environment.type === 'production'
      ? { keyTypes: ['PRODUCTION'] as const }
      : environment.type === 'sandbox'
        ? { keyTypes: ['SANDBOX'] as const }
        : {}),
    apis,
    applicationPolicies,
    ...(keyManagers.length === 0 ? {} : { keyManagers }),
    customPolicies: policies
      .filter((p) => p.kind === 'custom' && p.keyTemplate !== null)
      .map((p) => ({ name: p.name, keyTemplate: p.keyTemplate ?? '', limits: policyToLimits(p, 'custom') })),
    blocking: {
      apiContexts: blocks.filter((b) => b.conditionType === 'API').map((b) => b.conditionValue),
      applicationIds: blocks.filter((b) => b.conditionType === 'APPLICATION').map((b) => b.conditionValue),
      users: blocks.filter((b) => b.conditionType === 'USER').map((b) => b.conditionValue),
      ips: blocks
        .filter((b) => b.conditionType === 'IP' || b.conditionType === 'IP_RANGE')
        .map((b) => ({ range: b.conditionValue, inverted: b.inverted })),
    },
  };
}

/** The enabled key managers this environment accepts, as gateways verify with them. */
function snapshotKeyManagers(rows: ReadonlyArray<typeof schema.keyManagers.$inferSelect>, environment: string): SnapshotKeyManager[] {
  return rows
    .filter((k) => k.environments.length === 0 || k.environments.includes(environment))
    .map((k) => ({
      id: k.id,
      name: k.name,
      issuer: k.issuer,
      audience: k.audience,
      jwksUri: k.jwksUri,
      introspection:
        k.introspectionEndpoint !== null && k.introspectionClientId !== null && k.introspectionClientSecret !== null
          ? { endpoint: k.introspectionEndpoint, clientId: k.introspectionClientId, clientSecret: k.introspectionClientSecret }
          : null,
      claims: k.claimMappings,
      jwksMaxAgeSeconds: k.jwksMaxAgeSeconds,
      jwksCooldownSeconds: k.jwksCooldownSeconds,
    }));
}

/** An API's chosen key managers that this environment accepts (a name no longer registered, or not here, is dropped). */
function keyManagersOf(names: readonly string[], accepted: ReadonlySet<string>): { keyManagers?: string[] } {
  const here = names.filter((n) => accepted.has(n));
  return here.length === 0 ? {} : { keyManagers: here };
}

/**
 * Compiles and stores a new version of an environment's snapshot, then tells the gateway. The APIs
 * go to R2 in shards first, the head naming them to D1 last: a gateway that reads the row in
 * between still gets a complete older version (decision 0034).
 */
export async function publishSnapshot(env: Env, db: Database, environmentId: string): Promise<number> {
  const current = await db
    .select({ version: schema.gatewaySnapshots.version, body: schema.gatewaySnapshots.body })
    .from(schema.gatewaySnapshots)
    .where(eq(schema.gatewaySnapshots.environmentId, environmentId))
    .limit(1);
  // Time-based so two concurrent publishes never reuse a version a gateway already holds.
  const version = Math.max((current[0]?.version ?? 0) + 1, Date.now());
  const snapshot = await compileSnapshot(env, db, environmentId, version);
  const before = current[0] === undefined ? null : await decodeSnapshot(current[0].body);
  const { head } = await storeShards(env.BLOBS, environmentId, snapshot, new Set(before?.shards?.keys ?? []));
  const body = await encodeSnapshot(head);
  if (body.length > MAX_SNAPSHOT_BYTES) {
    throw new ApiError('payload-too-large', {
      detail: `What ${snapshot.environment} serves has a head of ${body.length} bytes compressed (${snapshot.apis.length} APIs); one head holds at most ${MAX_SNAPSHOT_BYTES}.`,
    });
  }
  await db
    .insert(schema.gatewaySnapshots)
    .values({ environmentId, version, body })
    .onConflictDoUpdate({
      target: schema.gatewaySnapshots.environmentId,
      set: { version: sql`excluded.version`, body: sql`excluded.body`, compiledAt: sql`excluded.compiled_at` },
    });
  await notifyGateway(env);
  await collectShards(env.BLOBS, environmentId, new Set(head.shards?.keys ?? []));
  return version;
}

/** Recompiles every environment an API is deployed to (lifecycle changes, undeploy). */
export async function republishApi(env: Env, db: Database, apiId: string): Promise<void> {
  const rows = await db
    .select({ environmentId: schema.deployments.environmentId })
    .from(schema.deployments)
    .where(eq(schema.deployments.apiId, apiId));
  for (const { environmentId } of rows) await publishSnapshot(env, db, environmentId);
}

/** Recompiles every environment (policy or blocking-condition changes). */
export async function republishAll(env: Env, db: Database): Promise<void> {
  const rows = await db.select({ id: schema.gatewayEnvironments.id }).from(schema.gatewayEnvironments);
  for (const { id } of rows) await publishSnapshot(env, db, id);
}
