import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq } from 'drizzle-orm';
import { KEY_TYPES } from '../../../../shared/db/schema.ts';
import { newSecret, sha256Hex } from '../../../../shared/crypto.ts';
import { newId, randomString } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { notifyApplication } from '../../gateway-sync/notify.ts';
import { removeApplicationSubscriptions, revokeApplicationCredentials } from '../../gateway-sync/subscriptions.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { issueAccessToken } from '../../oauth/access-token.ts';
import { SELF_SERVICE_GRANT_TYPES } from '../../oauth/grant-registry.ts';
import { REDIRECT_URI_MAX_LENGTH, redirectUriProblem } from '../../oauth/redirect-uri.ts';
import { checkScope, grantableScopes } from '../../oauth/scope.ts';
import { ownApplication } from './store.ts';
import { requires } from '../../http/security.ts';
import { nameText } from '../../http/fields.ts';
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

const tags = ['Devportal: applications'];
const AppParam = z.object({ applicationId: z.string() });
/** RFC 9700 §2.1, §4.1: only web redirect URIs (oauth/redirect-uri.ts); each refusal names its index. */
const CallbackUrl = z
  .string()
  .max(REDIRECT_URI_MAX_LENGTH)
  .superRefine((value, ctx) => {
    const problem = redirectUriProblem(value);
    if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  })
  .openapi({
    format: 'uri',
    description:
      'An https: URL, or http: on 127.0.0.1, [::1] or localhost; no fragment, no userinfo. Matched exactly at /oauth2/authorize.',
  });

export const ApplicationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    throttlingPolicy: z.string(),
    tokenType: z.string(),
    status: z.string(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('Application');
type AppRow = typeof schema.applications.$inferSelect;
const view = (a: AppRow) => ({
  id: a.id,
  name: a.name,
  description: a.description,
  throttlingPolicy: a.throttlingPolicy,
  tokenType: a.tokenType,
  status: a.status,
  createdAt: a.createdAt,
  updatedAt: a.updatedAt,
});

export const KeySchema = z
  .object({
    keyType: z.enum(KEY_TYPES),
    consumerKey: z.string(),
    secretPrefix: z.string(),
    grantTypes: z.array(z.string()),
    callbackUrls: z.array(z.string()),
    createdAt: z.number().int(),
  })
  .openapi('ApplicationKey');
export const CreatedKeySchema = KeySchema.extend({
  consumerSecret: z.string().openapi({ description: 'Shown once; stored only as a hash' }),
}).openapi('CreatedApplicationKey');

async function assertApplicationTier(db: Database, name: string): Promise<void> {
  const tier = await db
    .select({ id: schema.throttlingPolicies.id })
    .from(schema.throttlingPolicies)
    .where(and(eq(schema.throttlingPolicies.kind, 'application'), eq(schema.throttlingPolicies.name, name)))
    .limit(1);
  if (tier.length === 0)
    throw new ApiError('validation-failed', {
      detail: `No application tier named ${name}`,
      errors: [{ pointer: '/throttlingPolicy', detail: 'No such application tier' }],
    });
}

export function applicationRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'post',
      path: '/applications',
      tags,
      summary: 'Create an application',
      request: {
        body: jsonBody(
          z
            .strictObject({
              name: nameText(100),
              description: z.string().max(1000).default(''),
              throttlingPolicy: z.string().max(100).default('Unlimited'),
            })
            .openapi('CreateApplicationRequest'),
        ),
      },
      responses: { 201: taggedJsonResponse(ApplicationSchema, 'The application'), ...problems('unauthorized', 'forbidden', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const body = c.req.valid('json');
      const db = c.var.db;
      await assertApplicationTier(db, body.throttlingPolicy);
      const id = newId('application');
      const workflows = (await db.select().from(schema.settings).where(eq(schema.settings.key, 'workflows')).limit(1))[0]?.value as
        Record<string, boolean> | undefined;
      const needsApproval = workflows?.['APPLICATION_CREATION'] === true;
      try {
        const [rows] = await db.batch([
          db
            .insert(schema.applications)
            .values({
              id,
              name: body.name,
              description: body.description,
              ownerId: principal.userId,
              throttlingPolicy: body.throttlingPolicy,
              status: needsApproval ? 'CREATED' : 'APPROVED',
            })
            .returning(),
          ...(needsApproval
            ? [
                db
                  .insert(schema.workflows)
                  .values({ id: newId('workflow'), type: 'APPLICATION_CREATION', referenceId: id, requestedBy: principal.userId }),
              ]
            : []),
          auditEntry(db, principal, 'application.create', { type: 'application', id }, null, body),
        ]);
        const row = rows[0];
        if (row === undefined) throw new ApiError('internal');
        const created = view(row);
        return c.json(created, 201, { etag: await entityTag(created) });
      } catch (err) {
        if (/UNIQUE constraint failed: applications/.test(String(err)))
          throw new ApiError('conflict', {
            detail: `You already have an application named ${body.name}`,
            errors: [{ pointer: '/name', detail: 'Taken' }],
          });
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'get',
      path: '/applications',
      tags,
      summary: 'Your applications',
      responses: {
        200: jsonResponse(z.object({ list: z.array(ApplicationSchema) }), 'Applications'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const rows = await c.var.db
        .select()
        .from(schema.applications)
        .where(eq(schema.applications.ownerId, principal.userId))
        .orderBy(desc(schema.applications.createdAt));
      return c.json({ list: rows.map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'get',
      path: '/applications/{applicationId}',
      tags,
      summary: 'One of your applications',
      request: { params: AppParam },
      responses: { 200: taggedJsonResponse(ApplicationSchema, 'The application'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const body = view(await ownApplication(c.var.db, principalOf(c.var.principal, ['apps:manage']), c.req.valid('param').applicationId));
      return c.json(body, 200, { etag: await entityTag(body) });
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'patch',
      path: '/applications/{applicationId}',
      tags,
      summary: 'Rename an application, change its description or its application tier',
      description:
        'A new application tier applies to access tokens issued from now on (each token carries the tier it was issued with, as in WSO2) and to API keys once gateway isolates re-read the key (at once where the gateway is told, within a minute everywhere).',
      request: {
        params: AppParam,
        headers: IfMatchHeaders,
        body: jsonBody(
          z
            .strictObject({
              name: nameText(100).optional(),
              description: z.string().max(1000).optional(),
              throttlingPolicy: z.string().max(100).optional(),
            })
            .openapi('UpdateApplicationRequest'),
        ),
      },
      responses: {
        200: taggedJsonResponse(ApplicationSchema, 'The application'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict', 'precondition-failed'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const application = await ownApplication(db, principal, c.req.valid('param').applicationId);
      assertIfMatch(c.req.header('if-match'), await entityTag(view(application)));
      const body = c.req.valid('json');
      if (body.throttlingPolicy !== undefined) await assertApplicationTier(db, body.throttlingPolicy);
      try {
        const [, rows] = await db.batch([
          versionGuard(
            db,
            schema.applications,
            schema.applications.id,
            schema.applications.updatedAt,
            application.id,
            application.updatedAt,
          ),
          db
            .update(schema.applications)
            .set({ ...body, updatedAt: nextVersion(application.updatedAt) })
            .where(eq(schema.applications.id, application.id))
            .returning(),
          auditEntry(db, principal, 'application.update', { type: 'application', id: application.id }, view(application), body),
        ]);
        const row = rows[0];
        if (row === undefined) throw new ApiError('not-found', { detail: 'No such application' });
        if (body.throttlingPolicy !== undefined && body.throttlingPolicy !== application.throttlingPolicy)
          await notifyApplication(c.env, application.id);
        const after = view(row);
        return c.json(after, 200, { etag: await entityTag(after) });
      } catch (err) {
        if (isStaleWrite(err)) throw staleWrite();
        if (/UNIQUE constraint failed: applications/.test(String(err)))
          throw new ApiError('conflict', {
            detail: `You already have an application named ${body.name ?? ''}`,
            errors: [{ pointer: '/name', detail: 'Taken' }],
          });
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'delete',
      path: '/applications/{applicationId}',
      tags,
      summary: 'Delete an application; every token, refresh token and API key it holds stops at once',
      request: { params: AppParam },
      responses: { 204: { description: 'Deleted' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const application = await ownApplication(db, principal, c.req.valid('param').applicationId);
      const subs = await db
        .select({ apiId: schema.subscriptions.apiId })
        .from(schema.subscriptions)
        .where(eq(schema.subscriptions.applicationId, application.id));
      await db.batch([
        db.delete(schema.applications).where(eq(schema.applications.id, application.id)),
        auditEntry(db, principal, 'application.delete', { type: 'application', id: application.id }, view(application), null),
      ]);
      await removeApplicationSubscriptions(
        c.env,
        application.id,
        subs.map((s) => s.apiId),
      );
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'post',
      path: '/applications/{applicationId}/keys',
      tags,
      summary: 'Generate OAuth2 client credentials for a key type (the secret is shown once)',
      request: {
        params: AppParam,
        body: jsonBody(
          z
            .strictObject({
              keyType: z.enum(KEY_TYPES),
              grantTypes: z.array(z.enum(SELF_SERVICE_GRANT_TYPES)).min(1).default(['client_credentials', 'refresh_token']),
              callbackUrls: z.array(CallbackUrl).max(20).default([]),
            })
            .openapi('GenerateKeysRequest'),
        ),
      },
      responses: {
        201: jsonResponse(CreatedKeySchema, 'The client credentials'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const application = await ownApplication(db, principal, c.req.valid('param').applicationId);
      const body = c.req.valid('json');
      if (body.grantTypes.includes('authorization_code') && body.callbackUrls.length === 0) {
        throw new ApiError('validation-failed', {
          detail: 'The authorization_code grant needs at least one callback URL',
          errors: [{ pointer: '/callbackUrls', detail: 'Required for authorization_code' }],
        });
      }
      const consumerKey = `ck_${randomString(24)}`;
      const secret = newSecret('cs_');
      const id = newId('applicationKey');
      try {
        await db.batch([
          db.insert(schema.applicationKeys).values({
            id,
            applicationId: application.id,
            keyType: body.keyType,
            consumerKey,
            secretHash: await sha256Hex(secret),
            secretPrefix: secret.slice(0, 7),
            grantTypes: body.grantTypes,
            callbackUrls: body.callbackUrls,
          }),
          auditEntry(db, principal, 'keys.generate', { type: 'application', id: application.id }, null, {
            keyType: body.keyType,
            consumerKey,
            grantTypes: body.grantTypes,
          }),
        ]);
      } catch (err) {
        if (/UNIQUE constraint failed: application_keys/.test(String(err)))
          throw new ApiError('conflict', {
            detail: `${body.keyType} keys exist; regenerate the secret instead`,
            errors: [{ pointer: '/keyType', detail: 'Keys of this type exist' }],
          });
        throw err;
      }
      return c.json(
        {
          keyType: body.keyType,
          consumerKey,
          consumerSecret: secret,
          secretPrefix: secret.slice(0, 7),
          grantTypes: body.grantTypes,
          callbackUrls: body.callbackUrls,
          createdAt: Date.now(),
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'get',
      path: '/applications/{applicationId}/keys',
      tags,
      summary: 'Client credentials of an application (without secrets)',
      request: { params: AppParam },
      responses: {
        200: jsonResponse(z.object({ list: z.array(KeySchema) }), 'Keys'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const application = await ownApplication(c.var.db, principalOf(c.var.principal, ['apps:manage']), c.req.valid('param').applicationId);
      const rows = await c.var.db.select().from(schema.applicationKeys).where(eq(schema.applicationKeys.applicationId, application.id));
      return c.json(
        {
          list: rows.map((k) => ({
            keyType: k.keyType,
            consumerKey: k.consumerKey,
            secretPrefix: k.secretPrefix,
            grantTypes: k.grantTypes,
            callbackUrls: k.callbackUrls,
            createdAt: k.createdAt,
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'post',
      path: '/applications/{applicationId}/keys/{keyType}/regenerate-secret',
      tags,
      summary: 'Replace the client secret; tokens issued with the old one stop at once',
      request: { params: AppParam.extend({ keyType: z.enum(KEY_TYPES) }) },
      responses: {
        200: jsonResponse(CreatedKeySchema, 'The new secret, shown once'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const { applicationId, keyType } = c.req.valid('param');
      const application = await ownApplication(db, principal, applicationId);
      const secret = newSecret('cs_');
      const now = Date.now();
      const [rows] = await db.batch([
        db
          .update(schema.applicationKeys)
          .set({ secretHash: await sha256Hex(secret), secretPrefix: secret.slice(0, 7), tokensValidAfter: now, updatedAt: now })
          .where(and(eq(schema.applicationKeys.applicationId, application.id), eq(schema.applicationKeys.keyType, keyType)))
          .returning(),
        auditEntry(db, principal, 'keys.regenerate-secret', { type: 'application', id: application.id }, null, { keyType }),
      ]);
      const key = rows[0];
      if (key === undefined) throw new ApiError('not-found', { detail: `No ${keyType} keys; generate them first` });
      // Refresh tokens of the old secret go too: the grant was made to the old client credentials.
      await db.update(schema.refreshTokens).set({ status: 'REVOKED' }).where(eq(schema.refreshTokens.applicationKeyId, key.id));
      await revokeApplicationCredentials(c.env, db, application.id, keyType, now);
      return c.json(
        {
          keyType,
          consumerKey: key.consumerKey,
          consumerSecret: secret,
          secretPrefix: key.secretPrefix,
          grantTypes: key.grantTypes,
          callbackUrls: key.callbackUrls,
          createdAt: key.createdAt,
        },
        200,
      );
    },
  );
  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'post',
      path: '/applications/{applicationId}/keys/{keyType}/test-token',
      tags,
      summary: 'Issue an access token for your own application (the portal\'s "generate a test token")',
      request: {
        params: AppParam.extend({ keyType: z.enum(KEY_TYPES) }),
        body: jsonBody(z.strictObject({ scope: z.string().max(1000).default('') })),
      },
      responses: {
        200: jsonResponse(z.object({ accessToken: z.string(), expiresIn: z.number().int(), scope: z.string() }), 'The token'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const { applicationId, keyType } = c.req.valid('param');
      const application = await ownApplication(db, principal, applicationId);
      if (application.status !== 'APPROVED') throw new ApiError('conflict', { detail: 'The application is waiting for approval' });
      const key = (
        await db
          .select()
          .from(schema.applicationKeys)
          .where(and(eq(schema.applicationKeys.applicationId, application.id), eq(schema.applicationKeys.keyType, keyType)))
          .limit(1)
      )[0];
      if (key === undefined) throw new ApiError('not-found', { detail: `No ${keyType} keys; generate them first` });
      // The owner is signed in, so no client secret is needed: the token is the one client_credentials would give.
      const scope = checkScope(c.req.valid('json').scope, await grantableScopes(db, application.id));
      if (!scope.ok)
        throw new ApiError('validation-failed', {
          detail:
            scope.reason === 'malformed'
              ? 'The scope is malformed (RFC 6749 §3.3)'
              : `Not a scope of this application's subscribed APIs: ${scope.outside.join(' ')}`,
          errors: [{ pointer: '/scope', detail: 'Unknown or not allowed scope' }],
        });
      const issued = await issueAccessToken(c.env, { ...key, application }, { subject: key.consumerKey, scopes: scope.scopes });
      return c.json({ accessToken: issued.token, expiresIn: issued.expiresIn, scope: issued.scope }, 200);
    },
  );
  return app;
}
