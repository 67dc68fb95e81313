import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { newId } from '../../../shared/ids.ts';
import { ApiError } from '../../../shared/problem.ts';
import { ROLES } from '../../../shared/db/schema.ts';
import { seal } from '../../../shared/seal.ts';
import { allowsLoopback } from '../admin/key-managers/routes.ts';
import { auditEntry } from '../audit.ts';
import { principalOf } from '../auth/middleware.ts';
import { schema, type Database } from '../db.ts';
import { jsonBody, jsonResponse, problems } from '../http/openapi.ts';
import { requires } from '../http/security.ts';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { redirectUriFor } from './context.ts';
import { authorizationServer, type KeyManagerRow, type SsoProviderRow } from './flow.ts';

const tags = ['Admin: portal sign-in'];

const RoleRule = z.strictObject({
  value: z.string().min(1).max(200).openapi({ description: 'A value of the roles claim, e.g. a group name' }),
  role: z.enum(ROLES),
});

export const SsoProviderSchema = z
  .object({
    keyManagerId: z.string(),
    keyManager: z.string().openapi({ description: "The key manager's name (the sign-in button shows its display name)" }),
    displayName: z.string(),
    clientId: z.string(),
    hasClientSecret: z.boolean(),
    scopes: z.string(),
    rolesClaim: z.string(),
    roleMapping: z.array(RoleRule),
    defaultRole: z.enum(ROLES).nullable(),
    linkByEmail: z.boolean(),
    enabled: z.boolean(),
    redirectUri: z.string().openapi({ description: "Register this as the portal client's redirect URI at the provider" }),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('SsoProvider');

export const PutSsoProviderBody = z.strictObject({
  clientId: z.string().min(1).max(256),
  clientSecret: z
    .string()
    .min(1)
    .max(1000)
    .optional()
    .openapi({ description: 'Stored sealed and never shown again; required the first time, kept when left out later' }),
  scopes: z
    .string()
    .max(500)
    .regex(/(^|\s)openid(\s|$)/, 'Must include openid')
    .default('openid email profile'),
  rolesClaim: z
    .string()
    .regex(/^[A-Za-z0-9_:.\-/]+$/, 'A claim name or dotted path')
    .max(200)
    .default('groups')
    .openapi({ description: 'The claim carrying the roles: a name (groups) or a dotted path (realm_access.roles)' }),
  roleMapping: z.array(RoleRule).max(100).default([]),
  defaultRole: z.enum(ROLES).nullable().default(null).openapi({ description: 'The role when no rule matches; null: refuse such users' }),
  linkByEmail: z.boolean().default(false).openapi({
    description: 'Join a first sign-in to the local account of the same email, only when the provider says email_verified',
  }),
  enabled: z.boolean().default(true),
});

type Row = { provider: SsoProviderRow; keyManager: KeyManagerRow };

function view(env: Env, { provider, keyManager }: Row): z.infer<typeof SsoProviderSchema> {
  return {
    keyManagerId: keyManager.id,
    keyManager: keyManager.name,
    displayName: keyManager.displayName,
    clientId: provider.clientId,
    hasClientSecret: provider.clientSecret !== '',
    scopes: provider.scopes,
    rolesClaim: provider.rolesClaim,
    roleMapping: provider.roleMapping,
    defaultRole: provider.defaultRole,
    linkByEmail: provider.linkByEmail,
    enabled: provider.enabled,
    redirectUri: redirectUriFor(env, keyManager.name),
    createdAt: provider.createdAt,
    updatedAt: provider.updatedAt,
  };
}

async function rows(db: Database, keyManagerId?: string): Promise<Row[]> {
  const q = db
    .select({ provider: schema.ssoProviders, keyManager: schema.keyManagers })
    .from(schema.ssoProviders)
    .innerJoin(schema.keyManagers, eq(schema.keyManagers.id, schema.ssoProviders.keyManagerId));
  return keyManagerId === undefined ? q.orderBy(schema.keyManagers.name) : q.where(eq(schema.ssoProviders.keyManagerId, keyManagerId));
}

/** /api/admin/v1 — which key managers' OpenID Providers the portal offers sign-in with, and how their users get roles (decision 0051). */
export function ssoAdminRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const IdParam = z.object({ keyManagerId: z.string() });

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'get',
      path: '/sso-providers',
      tags,
      summary: 'Portal sign-in providers',
      responses: {
        200: jsonResponse(z.object({ list: z.array(SsoProviderSchema) }), 'Providers'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:settings']);
      return c.json({ list: (await rows(c.var.db)).map((r) => view(c.env, r)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'put',
      path: '/key-managers/{keyManagerId}/sso',
      tags,
      summary: "Offer (or change) portal sign-in with this key manager's OpenID Provider",
      description:
        "The control plane is the portal's confidential client at the provider (authorization code + PKCE). The provider is discovered again and must publish an authorization endpoint, a token endpoint and a JWKS.",
      request: { params: IdParam, body: jsonBody(PutSsoProviderBody) },
      responses: {
        200: jsonResponse(SsoProviderSchema, 'The sign-in provider'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const { keyManagerId } = c.req.valid('param');
      const { clientSecret, ...body } = c.req.valid('json');
      const keyManager = (await db.select().from(schema.keyManagers).where(eq(schema.keyManagers.id, keyManagerId)).limit(1))[0];
      if (keyManager === undefined) throw new ApiError('not-found', { detail: 'No such key manager' });
      const before = (await rows(db, keyManagerId))[0];
      if (clientSecret === undefined && before === undefined)
        throw new ApiError('validation-failed', { errors: [{ pointer: '/clientSecret', detail: 'Required the first time' }] });
      const id = before?.provider.id ?? newId('ssoProvider');
      const sealed = clientSecret === undefined ? undefined : await seal(c.env.ENCRYPTION_KEY, clientSecret, id);
      if (body.enabled) {
        try {
          await authorizationServer({ keyManager, allowLoopback: await allowsLoopback(db) });
        } catch (cause) {
          throw new ApiError('validation-failed', {
            detail: 'The provider cannot run a portal sign-in',
            errors: [{ pointer: '/enabled', detail: cause instanceof Error ? cause.message : 'Discovery failed' }],
          });
        }
      }
      const values = { ...body, ...(sealed === undefined ? {} : { clientSecret: sealed }), updatedAt: Date.now() };
      await db.batch([
        before === undefined
          ? db.insert(schema.ssoProviders).values({ id, keyManagerId, clientSecret: sealed ?? '', ...body })
          : db.update(schema.ssoProviders).set(values).where(eq(schema.ssoProviders.id, id)),
        auditEntry(
          db,
          principal,
          before === undefined ? 'sso-provider.create' : 'sso-provider.update',
          { type: 'key_manager', id: keyManagerId },
          before === undefined ? null : view(c.env, before),
          body,
        ),
      ]);
      const after = (await rows(db, keyManagerId))[0];
      if (after === undefined) throw new ApiError('internal');
      return c.json(view(c.env, after), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'delete',
      path: '/key-managers/{keyManagerId}/sso',
      tags,
      summary: 'Stop offering portal sign-in with this provider (its users keep their accounts)',
      request: { params: IdParam },
      responses: { 204: { description: 'Removed' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const { keyManagerId } = c.req.valid('param');
      const before = (await rows(db, keyManagerId))[0];
      if (before === undefined) throw new ApiError('not-found', { detail: 'This key manager offers no portal sign-in' });
      await db.batch([
        db.delete(schema.ssoProviders).where(eq(schema.ssoProviders.id, before.provider.id)),
        auditEntry(db, principal, 'sso-provider.delete', { type: 'key_manager', id: keyManagerId }, view(c.env, before), null),
      ]);
      return c.body(null, 204);
    },
  );
  return app;
}
