import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, asc, desc, eq, inArray, max } from 'drizzle-orm';
import { equal, fieldChanges, formatChange, resourceChanges, type Change } from '../../../../shared/definition-diff.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { environmentVisible } from '../../admin/environments/routes.ts';
import { schema, type Database } from '../../db.ts';
import { publishSnapshot } from '../../gateway-sync/snapshot.ts';
import { operationOf } from '../../gateway-sync/operation.ts';
import { loadDocument } from '../openapi/documents.ts';
import { storeRevision, storedDefinition } from './stored-revision.ts';
import { POLICIES } from '../../../../gateway/src/policies/registry.ts';
import { parseRevision, type RevisionDefinition } from '../../../../shared/revision.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { apiView, manageableApi } from '../apis/store.ts';
import { isPrivateHost } from './private-hosts.ts';
import { requires } from '../../http/security.ts';

const tags = ['Publisher: revisions and deployments'];
const ApiIdParam = z.object({ apiId: z.string() });

export const RevisionSchema = z
  .object({ id: z.string(), apiId: z.string(), number: z.number().int(), description: z.string(), createdAt: z.number().int() })
  .openapi('Revision');
export const DeploymentSchema = z
  .object({ id: z.string(), apiId: z.string(), revisionId: z.string(), environment: z.string(), deployedAt: z.number().int() })
  .openapi('Deployment');

type ApiRow = typeof schema.apis.$inferSelect;

/** The API as a revision would freeze it now: what the gateway would serve after the next deploy. */
async function currentDefinition(env: Env, db: Database, api: ApiRow): Promise<RevisionDefinition> {
  const view = await apiView(db, api);
  // Read (from R2 when large) only when some resource has a policy that reads its operation (validation, mock).
  const readsOperation = (r: (typeof view.resources)[number]) =>
    [...view.policies, ...r.policies].some((p) => POLICIES.get(p.name)?.readsOperation === true);
  const document = view.resources.some(readsOperation) ? await loadDocument(env.BLOBS, api) : null;
  // Endpoints as stored, so the revision carries sealed credentials and never an opened secret.
  const rows = await db.select().from(schema.endpoints).where(eq(schema.endpoints.apiId, api.id));
  const endpoint = (keyType: 'PRODUCTION' | 'SANDBOX') => {
    const e = rows.find((r) => r.keyType === keyType);
    return e === undefined
      ? undefined
      : {
          strategy: e.strategy,
          urls: e.urls,
          suspendSeconds: e.suspendSeconds,
          ...(e.securityCiphertext === null ? {} : { security: e.securityCiphertext }),
        };
  };
  return {
    type: view.type,
    name: view.name,
    context: view.context,
    version: view.version,
    ...(view.graphql === null ? {} : { graphql: view.graphql }),
    isDefaultVersion: view.isDefaultVersion,
    apiKeyHeader: view.apiKeyHeader,
    apiThrottlingPolicy: view.apiThrottlingPolicy,
    backendJwt: view.backendJwt,
    cors: view.cors,
    headerEdits: view.headerEdits,
    resources: view.resources.map((r) => {
      // Only a resource with a policy that reads the OpenAPI operation (validation, mock) carries it.
      const operation = readsOperation(r) && document !== null ? operationOf(document, r.method, r.path) : null;
      return {
        method: r.method,
        path: r.path,
        authType: r.authType as RevisionDefinition['resources'][number]['authType'],
        scopes: r.scopes,
        throttlingPolicy: r.throttlingPolicy,
        policies: r.policies,
        ...(operation === null ? {} : { operation }),
      };
    }),
    endpoints: { production: endpoint('PRODUCTION'), sandbox: endpoint('SANDBOX') },
    policies: view.policies,
    streaming: view.streaming,
  };
}

const GATEWAY_FIELDS = [
  'type',
  'streaming',
  'graphql',
  'name',
  'context',
  'version',
  'isDefaultVersion',
  'apiKeyHeader',
  'apiThrottlingPolicy',
  'backendJwt',
  'cors',
  'headerEdits',
  'policies',
] as const;

/**
 * What changed since `deployed` (a revision's definition) in `current`: the fields a gateway serves,
 * resources, endpoints. A sealed endpoint credential shows as "set", never as its ciphertext.
 */
export function undeployedChanges(deployed: RevisionDefinition, current: RevisionDefinition): Change[] {
  const changes = [...fieldChanges(deployed, current, GATEWAY_FIELDS), ...resourceChanges(deployed.resources, current.resources)];
  const shown = (e: RevisionDefinition['endpoints']['production']) =>
    e === undefined ? undefined : { ...e, security: e.security === undefined ? undefined : 'set' };
  for (const kind of ['production', 'sandbox'] as const) {
    const [was, is] = [deployed.endpoints[kind], current.endpoints[kind]];
    if (equal(was, is)) continue;
    changes.push({
      action: was === undefined ? '+' : is === undefined ? '-' : '~',
      field: `endpoints.${kind}`,
      from: shown(was),
      to: shown(is),
    });
  }
  return changes;
}

export const UndeployedSchema = z
  .object({
    environment: z.string(),
    revisionNumber: z.number().int(),
    changes: z.array(
      z.object({
        action: z.enum(['+', '-', '~']),
        field: z.string(),
        from: z.unknown().optional(),
        to: z.unknown().optional(),
        line: z.string().openapi({ description: 'The change as `turnpike diff` prints it' }),
      }),
    ),
  })
  .openapi('UndeployedChanges');

export const CachePurgeSchema = z
  .object({
    environments: z.array(z.string()),
    purgedAt: z.number().int().openapi({ description: 'Entries stored before this instant (ms) are never served again' }),
  })
  .openapi('CachePurge');

export function deploymentRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('api:deploy'),
      method: 'post',
      path: '/apis/{apiId}/revisions',
      tags,
      summary: 'Freeze the API as it is now into an immutable revision',
      request: { params: ApiIdParam, body: jsonBody(z.strictObject({ description: z.string().max(500).default('') })) },
      responses: { 201: jsonResponse(RevisionSchema, 'The revision'), ...problems('unauthorized', 'forbidden', 'not-found', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:deploy']);
      const db = c.var.db;
      const api = await manageableApi(db, principal, c.req.valid('param').apiId);
      const definition = await currentDefinition(c.env, db, api);
      const last = await db
        .select({ n: max(schema.revisions.number) })
        .from(schema.revisions)
        .where(eq(schema.revisions.apiId, api.id));
      const id = newId('revision');
      const number = (last[0]?.n ?? 0) + 1;
      const description = c.req.valid('json').description;
      try {
        await db.batch([
          db.insert(schema.revisions).values({
            id,
            apiId: api.id,
            number,
            description,
            ...(await storeRevision(c.env.BLOBS, id, definition)),
            createdBy: principal.userId,
          }),
          auditEntry(db, principal, 'api.revision.create', { type: 'revision', id }, null, { apiId: api.id, number }),
        ]);
      } catch (err) {
        if (/UNIQUE constraint failed: revisions/.test(String(err)))
          throw new ApiError('conflict', { detail: 'Another revision was created at the same moment; try again' });
        throw err;
      }
      return c.json({ id, apiId: api.id, number, description, createdAt: Date.now() }, 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}/revisions',
      tags,
      summary: 'Revisions of an API, newest first',
      request: { params: ApiIdParam },
      responses: {
        200: jsonResponse(z.object({ list: z.array(RevisionSchema) }), 'Revisions'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const api = await manageableApi(c.var.db, principalOf(c.var.principal, ['api:view']), c.req.valid('param').apiId);
      const rows = await c.var.db
        .select()
        .from(schema.revisions)
        .where(eq(schema.revisions.apiId, api.id))
        .orderBy(desc(schema.revisions.number));
      return c.json(
        { list: rows.map((r) => ({ id: r.id, apiId: r.apiId, number: r.number, description: r.description, createdAt: r.createdAt })) },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:deploy'),
      method: 'post',
      path: '/apis/{apiId}/deployments',
      tags,
      summary: 'Deploy a revision to gateway environments (or roll back to an earlier one)',
      request: {
        params: ApiIdParam,
        body: jsonBody(z.strictObject({ revisionId: z.string(), environments: z.array(z.string().min(1)).min(1).max(20) })),
      },
      responses: {
        201: jsonResponse(z.object({ list: z.array(DeploymentSchema) }), 'What each environment now serves'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:deploy']);
      const db = c.var.db;
      const api = await manageableApi(db, principal, c.req.valid('param').apiId);
      const body = c.req.valid('json');
      const revision = (
        await db
          .select()
          .from(schema.revisions)
          .where(and(eq(schema.revisions.id, body.revisionId), eq(schema.revisions.apiId, api.id)))
          .limit(1)
      )[0];
      if (revision === undefined)
        throw new ApiError('validation-failed', {
          detail: 'No such revision of this API',
          errors: [{ pointer: '/revisionId', detail: 'No such revision of this API' }],
        });
      // An environment limited to some roles (visibleRoles, as WSO2) does not exist for the others.
      const environments = (
        await db.select().from(schema.gatewayEnvironments).where(inArray(schema.gatewayEnvironments.name, body.environments))
      ).filter((e) => environmentVisible(e, principal));
      const errors = body.environments.flatMap((name, i) =>
        environments.some((e) => e.name === name)
          ? []
          : [{ pointer: `/environments/${i}`, detail: `No gateway environment named ${name}` }],
      );
      const parsed = parseRevision(await storedDefinition(c.env.BLOBS, revision));
      if (!parsed.ok)
        throw new ApiError('validation-failed', {
          detail: `This revision can no longer be deployed (${parsed.detail})`,
          errors: [{ pointer: '/revisionId', detail: parsed.detail }],
        });
      const def = parsed.definition;
      const urls = [...(def.endpoints.production?.urls ?? []), ...(def.endpoints.sandbox?.urls ?? [])].map((u) => u.url);
      environments.forEach((e) => {
        if (!e.allowPrivateBackends) {
          for (const url of urls.filter(isPrivateHost))
            errors.push({
              pointer: `/environments/${body.environments.indexOf(e.name)}`,
              detail: `${e.name} refuses the private or loopback backend ${url}`,
            });
        }
      });
      if (errors.length > 0) throw new ApiError('validation-failed', { detail: errors.map((e) => e.detail).join('; '), errors });
      const now = Date.now();
      await db.batch([
        auditEntry(db, principal, 'api.deploy', { type: 'api', id: api.id }, null, {
          revisionId: revision.id,
          environments: body.environments,
        }),
        ...environments.map((e) =>
          db
            .insert(schema.deployments)
            .values({
              id: newId('deployment'),
              apiId: api.id,
              revisionId: revision.id,
              environmentId: e.id,
              deployedBy: principal.userId,
              deployedAt: now,
            })
            .onConflictDoUpdate({
              target: [schema.deployments.apiId, schema.deployments.environmentId],
              set: { revisionId: revision.id, deployedBy: principal.userId, deployedAt: now },
            }),
        ),
      ]);
      for (const e of environments) await publishSnapshot(c.env, db, e.id);
      return c.json(
        {
          list: environments.map((e) => ({
            id: `${api.id}:${e.id}`,
            apiId: api.id,
            revisionId: revision.id,
            environment: e.name,
            deployedAt: now,
          })),
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}/deployments',
      tags,
      summary: 'Where this API is deployed and which revision each environment serves',
      request: { params: ApiIdParam },
      responses: {
        200: jsonResponse(z.object({ list: z.array(DeploymentSchema) }), 'Deployments'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const api = await manageableApi(c.var.db, principalOf(c.var.principal, ['api:view']), c.req.valid('param').apiId);
      const rows = await c.var.db
        .select({ d: schema.deployments, env: schema.gatewayEnvironments.name })
        .from(schema.deployments)
        .innerJoin(schema.gatewayEnvironments, eq(schema.gatewayEnvironments.id, schema.deployments.environmentId))
        .where(eq(schema.deployments.apiId, api.id));
      return c.json(
        {
          list: rows.map((r) => ({
            id: r.d.id,
            apiId: r.d.apiId,
            revisionId: r.d.revisionId,
            environment: r.env,
            deployedAt: r.d.deployedAt,
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}/undeployed-changes',
      tags,
      summary: 'Per gateway environment the API is deployed to: what changed in the API since the revision it serves',
      request: { params: ApiIdParam },
      responses: {
        200: jsonResponse(
          z.object({ list: z.array(UndeployedSchema) }),
          'One entry per environment serving a revision; no changes: it serves the API as it is now',
        ),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const db = c.var.db;
      const api = await manageableApi(db, principalOf(c.var.principal, ['api:view']), c.req.valid('param').apiId);
      const [current, served] = await Promise.all([
        currentDefinition(c.env, db, api),
        db
          .select({
            environment: schema.gatewayEnvironments.name,
            number: schema.revisions.number,
            definition: schema.revisions.definition,
            definitionKey: schema.revisions.definitionKey,
          })
          .from(schema.deployments)
          .innerJoin(schema.revisions, eq(schema.revisions.id, schema.deployments.revisionId))
          .innerJoin(schema.gatewayEnvironments, eq(schema.gatewayEnvironments.id, schema.deployments.environmentId))
          .where(eq(schema.deployments.apiId, api.id))
          .orderBy(asc(schema.gatewayEnvironments.createdAt)),
      ]);
      const list = await Promise.all(
        served.map(async (d) => {
          const parsed = parseRevision(await storedDefinition(c.env.BLOBS, d));
          // A stored revision that no longer parses cannot be compared field by field (nor redeployed:
          // deploy refuses it with 400): it reads as one change, the revision itself, saying why.
          const changes: Change[] = parsed.ok
            ? undeployedChanges(parsed.definition, current)
            : [{ action: '~', field: 'revision', from: `unreadable (${parsed.detail})`, to: 'the API as it is now' }];
          return {
            environment: d.environment,
            revisionNumber: d.number,
            changes: changes.map((ch) => ({ ...ch, line: formatChange(ch) })),
          };
        }),
      );
      return c.json({ list }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:deploy'),
      method: 'delete',
      path: '/apis/{apiId}/deployments/{environment}',
      tags,
      summary: 'Undeploy an API from a gateway environment',
      request: { params: z.object({ apiId: z.string(), environment: z.string() }) },
      responses: { 204: { description: 'Undeployed' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:deploy']);
      const db = c.var.db;
      const { apiId, environment } = c.req.valid('param');
      const api = await manageableApi(db, principal, apiId);
      const env = (await db.select().from(schema.gatewayEnvironments).where(eq(schema.gatewayEnvironments.name, environment)).limit(1))[0];
      if (env === undefined) throw new ApiError('not-found', { detail: `No gateway environment named ${environment}` });
      const [deleted] = await db.batch([
        db
          .delete(schema.deployments)
          .where(and(eq(schema.deployments.apiId, api.id), eq(schema.deployments.environmentId, env.id)))
          .returning({ id: schema.deployments.id }),
        auditEntry(db, principal, 'api.undeploy', { type: 'api', id: api.id }, { environment }, null),
      ]);
      if (deleted.length === 0) throw new ApiError('not-found', { detail: `${api.name} is not deployed to ${environment}` });
      await publishSnapshot(c.env, db, env.id);
      return c.body(null, 204);
    },
  );
  app.openapi(
    createRoute({
      security: requires('api:deploy'),
      method: 'post',
      path: '/apis/{apiId}/response-cache/purge',
      tags,
      summary: "Purge the API's response cache in every gateway environment serving it",
      description:
        "Moves the API's cache epoch on in each environment it is deployed to and republishes their snapshots: every gateway then keys its `response-cache` entries by the new epoch, so none stored before is served again (Cloudflare keeps a cache per data centre; this reaches all of them without a purge call to each). A redeploy does the same.",
      request: { params: ApiIdParam },
      responses: {
        200: jsonResponse(CachePurgeSchema, 'The environments whose caches no longer serve what was stored before purgedAt'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:deploy']);
      const db = c.var.db;
      const api = await manageableApi(db, principal, c.req.valid('param').apiId);
      const purgedAt = Date.now();
      const [served] = await db.batch([
        db
          .update(schema.deployments)
          .set({ cachePurgedAt: purgedAt })
          .where(eq(schema.deployments.apiId, api.id))
          .returning({ environmentId: schema.deployments.environmentId }),
        auditEntry(db, principal, 'api.cache.purge', { type: 'api', id: api.id }, null, { purgedAt }),
      ]);
      const environments =
        served.length === 0
          ? []
          : await db
              .select({ id: schema.gatewayEnvironments.id, name: schema.gatewayEnvironments.name })
              .from(schema.gatewayEnvironments)
              .where(
                inArray(
                  schema.gatewayEnvironments.id,
                  served.map((s) => s.environmentId),
                ),
              );
      for (const e of environments) await publishSnapshot(c.env, db, e.id);
      return c.json({ environments: environments.map((e) => e.name).sort(), purgedAt }, 200);
    },
  );

  return app;
}
