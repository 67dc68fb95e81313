import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { KEY_TYPES } from '../../../../shared/db/schema.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { requires } from '../../http/security.ts';
import { containsText } from '../../http/search.ts';

const tags = ['Admin: applications'];

export const PasswordGrantBody = z.strictObject({ enabled: z.boolean() }).openapi('PasswordGrantRequest');

export const PasswordGrantResult = z.object({ consumerKey: z.string(), grantTypes: z.array(z.string()) });

export const IntrospectionBody = z.strictObject({ enabled: z.boolean() }).openapi('IntrospectionPermissionRequest');
export const IntrospectionResult = z.object({ consumerKey: z.string(), mayIntrospect: z.boolean() }).openapi('IntrospectionPermission');

export const AdminApplicationSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    owner: z.string(),
    status: z.string(),
    throttlingPolicy: z.string(),
    keys: z.array(
      z.object({ keyType: z.enum(KEY_TYPES), consumerKey: z.string(), grantTypes: z.array(z.string()), mayIntrospect: z.boolean() }),
    ),
  })
  .openapi('AdminApplication');

/**
 * Admins see every application with its clients' grant types; the resource-owner password grant is off for every client; an admin turns it on for one client
 * (an application's production or sandbox keys) that cannot do better, and off again.
 */
export function adminApplicationRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'get',
      path: '/applications',
      tags,
      summary: "Every developer's applications with their clients' grant types, newest first",
      request: {
        query: z.object({
          query: z.string().max(100).optional().openapi({ description: 'Part of the name or of the owner email' }),
          limit: z.coerce.number().int().min(1).max(500).default(100),
        }),
      },
      responses: {
        200: jsonResponse(z.object({ list: z.array(AdminApplicationSchema) }), 'Applications'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:settings']);
      const q = c.req.valid('query');
      const db = c.var.db;
      const a = schema.applications;
      const text = q.query?.trim() ?? '';
      const rows = await db
        .select({ id: a.id, name: a.name, owner: schema.users.email, status: a.status, throttlingPolicy: a.throttlingPolicy })
        .from(a)
        .innerJoin(schema.users, eq(schema.users.id, a.ownerId))
        .where(text === '' ? undefined : containsText(text, a.name, schema.users.email))
        .orderBy(desc(a.createdAt))
        .limit(q.limit);
      const k = schema.applicationKeys;
      const keys =
        rows.length === 0
          ? []
          : await db
              .select({
                applicationId: k.applicationId,
                keyType: k.keyType,
                consumerKey: k.consumerKey,
                grantTypes: k.grantTypes,
                mayIntrospect: k.mayIntrospect,
              })
              .from(k)
              .where(
                inArray(
                  k.applicationId,
                  rows.map((r) => r.id),
                ),
              );
      return c.json(
        {
          list: rows.map((r) => ({
            ...r,
            keys: keys
              .filter((key) => key.applicationId === r.id)
              .map(({ keyType, consumerKey, grantTypes, mayIntrospect }) => ({ keyType, consumerKey, grantTypes, mayIntrospect })),
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'put',
      path: '/applications/{applicationId}/keys/{keyType}/password-grant',
      tags,
      summary: "Enable or disable the password grant for one application's client",
      request: { params: z.object({ applicationId: z.string(), keyType: z.enum(KEY_TYPES) }), body: jsonBody(PasswordGrantBody) },
      responses: {
        200: jsonResponse(PasswordGrantResult, "The client's grant types"),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const { applicationId, keyType } = c.req.valid('param');
      const { enabled } = c.req.valid('json');
      const db = c.var.db;
      const key = await clientKeys(db, applicationId, keyType);
      const grantTypes = enabled ? [...new Set([...key.grantTypes, 'password'])] : key.grantTypes.filter((g) => g !== 'password');
      await db.batch([
        db.update(schema.applicationKeys).set({ grantTypes, updatedAt: Date.now() }).where(eq(schema.applicationKeys.id, key.id)),
        auditEntry(
          db,
          principal,
          enabled ? 'keys.password-grant.enable' : 'keys.password-grant.disable',
          { type: 'application', id: applicationId },
          { grantTypes: key.grantTypes },
          { grantTypes },
        ),
      ]);
      return c.json({ consumerKey: key.consumerKey, grantTypes }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'put',
      path: '/applications/{applicationId}/keys/{keyType}/introspection',
      tags,
      summary: "Let one application's client introspect any token (a resource server, RFC 7662 §2.1), or stop it",
      description: 'Without this, a client introspecting a token it was not issued gets {"active":false}, exactly as for an unknown token.',
      request: { params: z.object({ applicationId: z.string(), keyType: z.enum(KEY_TYPES) }), body: jsonBody(IntrospectionBody) },
      responses: {
        200: jsonResponse(IntrospectionResult, 'Whether the client may introspect any token'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const { applicationId, keyType } = c.req.valid('param');
      const { enabled } = c.req.valid('json');
      const db = c.var.db;
      const key = await clientKeys(db, applicationId, keyType);
      await db.batch([
        db
          .update(schema.applicationKeys)
          .set({ mayIntrospect: enabled, updatedAt: Date.now() })
          .where(eq(schema.applicationKeys.id, key.id)),
        auditEntry(
          db,
          principal,
          enabled ? 'keys.introspection.enable' : 'keys.introspection.disable',
          { type: 'application', id: applicationId },
          { mayIntrospect: key.mayIntrospect },
          { mayIntrospect: enabled },
        ),
      ]);
      return c.json({ consumerKey: key.consumerKey, mayIntrospect: enabled }, 200);
    },
  );
  return app;
}

/** One application's client of one key type, or 404. */
async function clientKeys(db: Database, applicationId: string, keyType: (typeof KEY_TYPES)[number]) {
  const key = (
    await db
      .select()
      .from(schema.applicationKeys)
      .where(and(eq(schema.applicationKeys.applicationId, applicationId), eq(schema.applicationKeys.keyType, keyType)))
      .limit(1)
  )[0];
  if (key === undefined) throw new ApiError('not-found', { detail: `The application has no ${keyType} keys` });
  return key;
}
