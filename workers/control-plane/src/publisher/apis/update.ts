import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, count, eq, ne } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { storeSecurity } from '../../../../shared/endpoint-security.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { republishApi } from '../../gateway-sync/snapshot.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { RESOURCES_PER_INSERT, assertChannelMethods, assertPoliciesExist, assertVisibility, createApi } from './create.ts';
import { parseDefinition } from '../openapi/parse.ts';
import { storeDocument } from '../openapi/documents.ts';
import { ApiSchema, CreateApiBody, EndpointSchema, Version } from './schemas.ts';
import { apiView, manageableApi } from './store.ts';
import { requires } from '../../http/security.ts';
import { checkGraphql, graphqlPolicies } from '../graphql/schema.ts';
import {
  IfMatchHeaders,
  assertIfMatch,
  entityTag,
  isStaleWrite,
  nextVersion,
  staleWrite,
  taggedJsonResponse,
  versionGuard,
} from '../../http/etag.ts';

const tags = ['Publisher: APIs'];
const ApiIdParam = z.object({ apiId: z.string() });

export const UpdateApiBody = CreateApiBody.omit({ type: true, context: true, version: true, endpoints: true })
  .partial()
  .extend({
    endpoints: z
      .strictObject({ production: EndpointSchema.nullable().optional(), sandbox: EndpointSchema.nullable().optional() })
      .optional(),
    openapi: z
      .record(z.string(), z.unknown())
      .nullable()
      .optional()
      .openapi({ description: 'Replace (or with null drop) the OpenAPI document kept for export' }),
  })
  .strict()
  .openapi('UpdateApiRequest');

/** Only one version of a context is the default: marking one unmarks the others, in the same batch. */
function unsetOtherDefaults(db: Database, context: string, keepId: string) {
  return db
    .update(schema.apis)
    .set({ isDefaultVersion: false })
    .where(and(eq(schema.apis.context, context), ne(schema.apis.id, keepId)));
}

export function apiUpdateRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'patch',
      path: '/apis/{apiId}',
      tags,
      summary: 'Change an API; gateways serve the change once a new revision is deployed',
      request: { params: ApiIdParam, headers: IfMatchHeaders, body: jsonBody(UpdateApiBody) },
      responses: {
        200: taggedJsonResponse(ApiSchema, 'The API'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'precondition-failed'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const api = await manageableApi(db, principal, c.req.valid('param').apiId);
      const before = await apiView(db, api);
      assertIfMatch(c.req.header('if-match'), await entityTag(before));
      // The create schema's defaults must not overwrite what a PATCH leaves out: keep sent keys only.
      const sent = new Set(Object.keys((await c.req.json()) as Record<string, unknown>));
      const body = Object.fromEntries(Object.entries(c.req.valid('json')).filter(([k]) => sent.has(k))) as z.infer<typeof UpdateApiBody>;
      // The result must be consistent: check the visibility the API will have after the change.
      if (body.visibility !== undefined || body.visibleRoles !== undefined)
        assertVisibility(
          body.visibility ?? api.visibility,
          body.visibleRoles ?? (body.visibility !== undefined && body.visibility !== 'RESTRICTED' ? [] : api.visibleRoles),
        );
      if (body.visibility !== undefined && body.visibility !== 'RESTRICTED' && body.visibleRoles === undefined) body.visibleRoles = [];
      assertChannelMethods(api.type, body.resources ?? []);
      if (body.graphql !== undefined) checkGraphql(api.type, body.graphql);
      await assertPoliciesExist(
        db,
        body.subscriptionTiers ?? [],
        body.apiThrottlingPolicy ?? null,
        (body.resources ?? []).map((r) => r.throttlingPolicy),
        graphqlPolicies(body.graphql),
      );
      const seen = new Set<string>();
      (body.resources ?? []).forEach((r, i) => {
        const key = `${r.method} ${r.path}`;
        if (seen.has(key))
          throw new ApiError('validation-failed', {
            detail: `Resource ${key} is listed twice`,
            errors: [{ pointer: `/resources/${i}`, detail: `Duplicate resource ${key}` }],
          });
        seen.add(key);
      });
      const { resources, endpoints, openapi, ...fields } = body;
      const document =
        openapi === undefined
          ? undefined
          : openapi === null
            ? { openapi: null, openapiKey: null }
            : await storeDocument(c.env.BLOBS, parseDefinition(openapi, '/openapi').document);
      const statements: BatchItem<'sqlite'>[] = [
        versionGuard(db, schema.apis, schema.apis.id, schema.apis.updatedAt, api.id, api.updatedAt),
        db
          .update(schema.apis)
          .set({
            ...fields,
            ...(fields.apiKeyHeader === undefined ? {} : { apiKeyHeader: fields.apiKeyHeader.toLowerCase() }),
            ...(document === undefined ? {} : { openapi: document.openapi, openapiKey: document.openapiKey }),
            updatedAt: nextVersion(api.updatedAt),
          })
          .where(eq(schema.apis.id, api.id)),
      ];
      if (fields.isDefaultVersion === true) statements.push(unsetOtherDefaults(db, api.context, api.id));
      if (resources !== undefined) {
        statements.push(db.delete(schema.apiResources).where(eq(schema.apiResources.apiId, api.id)));
        const rows = resources.map((r, i) => ({
          id: newId('resource'),
          apiId: api.id,
          method: r.method,
          pathTemplate: r.path,
          authType: r.authType,
          scopes: r.scopes,
          throttlingPolicy: r.throttlingPolicy,
          policies: r.policies ?? before.resources.find((b) => b.method === r.method && b.path === r.path)?.policies ?? [],
          sortOrder: i,
        }));
        for (let i = 0; i < rows.length; i += RESOURCES_PER_INSERT)
          statements.push(db.insert(schema.apiResources).values(rows.slice(i, i + RESOURCES_PER_INSERT)));
      }
      const current = endpoints === undefined ? [] : await db.select().from(schema.endpoints).where(eq(schema.endpoints.apiId, api.id));
      for (const kind of ['production', 'sandbox'] as const) {
        const e = endpoints?.[kind];
        if (e === undefined) continue;
        const keyType = kind === 'production' ? 'PRODUCTION' : 'SANDBOX';
        // Security left out keeps what is stored: a change of URL need not resend the secret.
        const kept = current.find((x) => x.keyType === keyType)?.securityCiphertext ?? null;
        const security =
          e === null || e.security === undefined
            ? kept
            : e.security === null
              ? null
              : await storeSecurity(c.env.ENCRYPTION_KEY, e.security);
        statements.push(db.delete(schema.endpoints).where(and(eq(schema.endpoints.apiId, api.id), eq(schema.endpoints.keyType, keyType))));
        if (e !== null)
          statements.push(
            db.insert(schema.endpoints).values({
              id: newId('endpoint'),
              apiId: api.id,
              keyType,
              strategy: e.strategy,
              urls: e.urls,
              suspendSeconds: e.suspendSeconds,
              securityCiphertext: security,
            }),
          );
      }
      // The audit keeps what changed: never a secret (only whether security was set), never a copy
      // of a document that may weigh megabytes.
      const audited =
        endpoints === undefined
          ? body
          : {
              ...body,
              endpoints: Object.fromEntries(
                Object.entries(endpoints).map(([k, e]) => [
                  k,
                  e === null || e === undefined || e.security === undefined || e.security === null
                    ? e
                    : { ...e, security: { type: e.security.type } },
                ]),
              ),
            };
      statements.push(
        auditEntry(
          db,
          principal,
          'api.update',
          { type: 'api', id: api.id },
          before,
          openapi === undefined ? audited : { ...audited, openapi: openapi === null ? null : '(document replaced)' },
        ),
      );
      try {
        await db.batch(statements as [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]]);
      } catch (err) {
        if (isStaleWrite(err)) throw staleWrite();
        throw err;
      }
      // The default version is live routing, not part of a revision: it reaches gateways now.
      if (fields.isDefaultVersion !== undefined) await republishApi(c.env, db, api.id);
      const row = (await db.select().from(schema.apis).where(eq(schema.apis.id, api.id)).limit(1))[0];
      if (row === undefined) throw new ApiError('not-found', { detail: 'No such API' });
      const after = await apiView(db, row);
      return c.json(after, 200, { etag: await entityTag(after) });
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'post',
      path: '/apis/{apiId}/new-version',
      tags,
      summary: 'Create a new version of an API, copying its definition (in state CREATED)',
      request: { params: ApiIdParam, body: jsonBody(z.strictObject({ version: Version, isDefaultVersion: z.boolean().default(false) })) },
      responses: { 201: jsonResponse(ApiSchema, 'The new version'), ...problems('unauthorized', 'forbidden', 'not-found', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const source = await manageableApi(db, principal, c.req.valid('param').apiId);
      const { version, isDefaultVersion } = c.req.valid('json');
      const view = await apiView(db, source);
      // The new version keeps the endpoints' sealed credentials as they are: no secret is ever opened here.
      const sourceEndpoints = await db.select().from(schema.endpoints).where(eq(schema.endpoints.apiId, source.id));
      const sealedOf = (keyType: 'PRODUCTION' | 'SANDBOX') =>
        sourceEndpoints.find((e) => e.keyType === keyType)?.securityCiphertext ?? null;
      const withoutSecurity = (e: (typeof view.endpoints)['production']) =>
        e === undefined ? undefined : { strategy: e.strategy, urls: e.urls, suspendSeconds: e.suspendSeconds };
      const row = await createApi(
        db,
        principal,
        {
          type: view.type,
          streaming: view.streaming,
          name: view.name,
          context: view.context,
          version,
          graphql: view.graphql,
          description: view.description,
          tags: view.tags,
          isDefaultVersion,
          visibility: view.visibility as 'PUBLIC' | 'RESTRICTED' | 'PRIVATE',
          visibleRoles: view.visibleRoles,
          subscriptionTiers: view.subscriptionTiers,
          apiThrottlingPolicy: view.apiThrottlingPolicy,
          apiKeyHeader: view.apiKeyHeader,
          resources: view.resources.map((r) => ({
            method: r.method as 'GET',
            path: r.path,
            authType: r.authType as 'oauth2',
            scopes: r.scopes,
            throttlingPolicy: r.throttlingPolicy,
            policies: r.policies,
          })),
          endpoints: { production: withoutSecurity(view.endpoints.production), sandbox: withoutSecurity(view.endpoints.sandbox) },
          cors: view.cors,
          backendJwt: view.backendJwt,
          headerEdits: view.headerEdits,
          policies: view.policies,
        },
        { openapi: source.openapi, openapiKey: source.openapiKey },
        { production: sealedOf('PRODUCTION'), sandbox: sealedOf('SANDBOX') },
      );
      if (isDefaultVersion) {
        await db.batch([unsetOtherDefaults(db, row.context, row.id)]);
        await republishApi(c.env, db, source.id);
      }
      return c.json(await apiView(db, row), 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'delete',
      path: '/apis/{apiId}',
      tags,
      summary: 'Delete an API that nobody subscribes to and no gateway serves',
      request: { params: ApiIdParam },
      responses: { 204: { description: 'Deleted' }, ...problems('unauthorized', 'forbidden', 'not-found', 'in-use') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const api = await manageableApi(db, principal, c.req.valid('param').apiId);
      // Counted, and at most 20 named: an API can have a great many subscriptions.
      const [subCount, subs, deployed] = await db.batch([
        db.select({ n: count() }).from(schema.subscriptions).where(eq(schema.subscriptions.apiId, api.id)),
        db.select({ id: schema.subscriptions.id }).from(schema.subscriptions).where(eq(schema.subscriptions.apiId, api.id)).limit(20),
        db.select({ id: schema.deployments.id }).from(schema.deployments).where(eq(schema.deployments.apiId, api.id)),
      ]);
      const subscriptions = subCount[0]?.n ?? 0;
      if (subscriptions > 0 || deployed.length > 0) {
        throw new ApiError('in-use', {
          detail: `${api.name} ${api.version} has ${subscriptions} subscription(s) and ${deployed.length} deployment(s); retire or undeploy it first`,
          extensions: { usedBy: [...subs.map((s) => `subscription ${s.id}`), ...deployed.map((d) => `deployment ${d.id}`)] },
        });
      }
      await db.batch([
        db.delete(schema.apis).where(eq(schema.apis.id, api.id)),
        auditEntry(
          db,
          principal,
          'api.delete',
          { type: 'api', id: api.id },
          { name: api.name, context: api.context, version: api.version },
          null,
        ),
      ]);
      return c.body(null, 204);
    },
  );
  return app;
}
