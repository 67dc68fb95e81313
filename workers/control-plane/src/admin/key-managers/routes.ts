import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { seal } from '../../../../shared/seal.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { republishAll } from '../../gateway-sync/snapshot.ts';
import { nameText } from '../../http/fields.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import { discover, type Discovered } from '../../key-managers/discovery.ts';
import type { AppEnv } from '../../types.ts';

const tags = ['Admin: key managers'];

const Claim = z
  .string()
  .regex(/^[A-Za-z0-9_:.\-/]+$/, 'A claim name')
  .max(100);
export const ClaimMappingsSchema = z.strictObject({
  clientId: Claim.default('client_id').openapi({ description: 'The claim that carries the OAuth client id (e.g. client_id, azp, appid)' }),
  scopes: Claim.default('scope').openapi({
    description: 'The claim that carries the scopes: a space-separated string or an array (e.g. scope, scp)',
  }),
  user: Claim.default('sub').openapi({ description: 'The claim that names the user; the client id when absent' }),
});

export const KeyManagerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    displayName: z.string(),
    description: z.string(),
    discoveryUrl: z.string(),
    issuer: z.string(),
    jwksUri: z.string().nullable(),
    tokenEndpoint: z.string().nullable(),
    introspectionEndpoint: z.string().nullable(),
    registrationEndpoint: z.string().nullable(),
    audience: z.string(),
    claimMappings: z.object({ clientId: z.string(), scopes: z.string(), user: z.string() }),
    environments: z.array(z.string()),
    introspectionClientId: z.string().nullable(),
    hasIntrospectionSecret: z.boolean(),
    hasRegistrationAccessToken: z
      .boolean()
      .openapi({ description: 'Developers may register clients there from the portal (PUT …/registration)' }),
    jwksMaxAgeSeconds: z.number().int(),
    jwksCooldownSeconds: z.number().int(),
    enabled: z.boolean(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('KeyManager');

type Row = typeof schema.keyManagers.$inferSelect;
const view = (k: Row): z.infer<typeof KeyManagerSchema> => ({
  id: k.id,
  name: k.name,
  displayName: k.displayName,
  description: k.description,
  discoveryUrl: k.discoveryUrl,
  issuer: k.issuer,
  jwksUri: k.jwksUri,
  tokenEndpoint: k.tokenEndpoint,
  introspectionEndpoint: k.introspectionEndpoint,
  registrationEndpoint: k.registrationEndpoint,
  audience: k.audience,
  claimMappings: k.claimMappings,
  environments: k.environments,
  introspectionClientId: k.introspectionClientId,
  hasIntrospectionSecret: k.introspectionClientSecret !== null,
  hasRegistrationAccessToken: k.registrationAccessToken !== null,
  jwksMaxAgeSeconds: k.jwksMaxAgeSeconds,
  jwksCooldownSeconds: k.jwksCooldownSeconds,
  enabled: k.enabled,
  createdAt: k.createdAt,
  updatedAt: k.updatedAt,
});

const Fields = {
  displayName: nameText(100),
  description: z.string().max(1000),
  discoveryUrl: z.string().url().max(1000).openapi({
    description:
      'OpenID Connect discovery (…/.well-known/openid-configuration) or RFC 8414 metadata (…/.well-known/oauth-authorization-server…) URL',
  }),
  audience: z.string().min(1).max(500).openapi({
    description:
      'The `aud` the provider puts in access tokens for Turnpike (RFC 9068 §4; with oidc-provider or Auth0, the resource / API identifier)',
  }),
  claimMappings: ClaimMappingsSchema,
  environments: z
    .array(z.string().max(50))
    .max(50)
    .openapi({ description: 'Gateway environments that accept its tokens; empty: every environment' }),
  introspection: z
    .strictObject({ clientId: z.string().min(1).max(256), clientSecret: z.string().min(1).max(1000) })
    .nullable()
    .openapi({
      description:
        'The client the gateways authenticate as at the introspection endpoint (RFC 7662 §2.1), for opaque tokens; null: JWTs only',
    }),
  jwksMaxAgeSeconds: z
    .number()
    .int()
    .min(60)
    .max(86_400)
    .openapi({ description: 'How long gateways use a fetched key set before fetching it again' }),
  jwksCooldownSeconds: z
    .number()
    .int()
    .min(1)
    .max(3600)
    .openapi({ description: 'The least time between two fetches of the key set, however many unknown kids arrive' }),
  enabled: z.boolean(),
};

export const CreateKeyManagerBody = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'Letters, digits, dots, dashes and underscores')
    .min(1)
    .max(60),
  displayName: Fields.displayName,
  description: Fields.description.default(''),
  discoveryUrl: Fields.discoveryUrl,
  audience: Fields.audience,
  claimMappings: Fields.claimMappings.default({ clientId: 'client_id', scopes: 'scope', user: 'sub' }),
  environments: Fields.environments.default([]),
  introspection: Fields.introspection.default(null),
  jwksMaxAgeSeconds: Fields.jwksMaxAgeSeconds.default(600),
  jwksCooldownSeconds: Fields.jwksCooldownSeconds.default(30),
  enabled: Fields.enabled.default(true),
});

const UpdateSchema = z.strictObject({
  displayName: Fields.displayName.optional(),
  description: Fields.description.optional(),
  discoveryUrl: Fields.discoveryUrl.optional(),
  rediscover: z
    .boolean()
    .optional()
    .openapi({ description: 'Fetch the discovery document again (also done whenever discoveryUrl changes)' }),
  audience: Fields.audience.optional(),
  claimMappings: Fields.claimMappings.optional(),
  environments: Fields.environments.optional(),
  introspection: Fields.introspection.optional(),
  jwksMaxAgeSeconds: Fields.jwksMaxAgeSeconds.optional(),
  jwksCooldownSeconds: Fields.jwksCooldownSeconds.optional(),
  enabled: Fields.enabled.optional(),
});

/** Plain http to loopback is allowed only where the platform itself runs locally (an environment allows private backends). */
export async function allowsLoopback(db: Database): Promise<boolean> {
  const rows = await db
    .select({ id: schema.gatewayEnvironments.id })
    .from(schema.gatewayEnvironments)
    .where(eq(schema.gatewayEnvironments.allowPrivateBackends, true))
    .limit(1);
  return rows.length > 0;
}

async function discovered(db: Database, discoveryUrl: string): Promise<Discovered> {
  const outcome = await discover(discoveryUrl, await allowsLoopback(db));
  if (!outcome.ok) throw new ApiError('validation-failed', { detail: 'The key manager could not be discovered', errors: outcome.errors });
  return outcome.value;
}

function assertUsable(d: Discovered, introspection: { clientId: string } | null | undefined, hasSecret: boolean): void {
  if (d.jwksUri === null && (d.introspectionEndpoint === null || ((introspection === null || introspection === undefined) && !hasSecret))) {
    throw new ApiError('validation-failed', {
      detail: 'The provider publishes no jwks_uri, so its tokens can only be introspected: give an introspection client',
      errors: [{ pointer: '/introspection', detail: 'Required without a jwks_uri' }],
    });
  }
  if (introspection !== null && introspection !== undefined && d.introspectionEndpoint === null) {
    throw new ApiError('validation-failed', {
      detail: 'The provider publishes no introspection_endpoint',
      errors: [{ pointer: '/introspection', detail: 'The provider does not support introspection' }],
    });
  }
}

function conflict(err: unknown, name: string): never {
  const text = String(err);
  if (/UNIQUE constraint failed: key_managers\.name/.test(text))
    throw new ApiError('conflict', { detail: `A key manager named ${name} exists`, errors: [{ pointer: '/name', detail: 'Taken' }] });
  if (/UNIQUE constraint failed: key_managers\.issuer/.test(text))
    throw new ApiError('conflict', {
      detail: 'Another key manager has this issuer',
      errors: [{ pointer: '/discoveryUrl', detail: 'Issuer already registered' }],
    });
  throw err;
}

/**
 * External key managers (WSO2's third-party key managers): registered by their discovery URL, with
 * claim mappings and the environments that accept them. Every change recompiles every
 * environment's snapshot, so gateways verify with the new settings within the snapshot's TTL.
 */
export function keyManagerRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const IdParam = z.object({ keyManagerId: z.string() });

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'get',
      path: '/key-managers',
      tags,
      summary: 'External key managers',
      responses: {
        200: jsonResponse(z.object({ list: z.array(KeyManagerSchema) }), 'Key managers'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:settings']);
      const rows = await c.var.db.select().from(schema.keyManagers).orderBy(schema.keyManagers.name);
      return c.json({ list: rows.map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'get',
      path: '/key-managers/{keyManagerId}',
      tags,
      summary: 'One external key manager',
      request: { params: IdParam },
      responses: { 200: jsonResponse(KeyManagerSchema, 'The key manager'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:settings']);
      const row = (
        await c.var.db
          .select()
          .from(schema.keyManagers)
          .where(eq(schema.keyManagers.id, c.req.valid('param').keyManagerId))
          .limit(1)
      )[0];
      if (row === undefined) throw new ApiError('not-found', { detail: 'No such key manager' });
      return c.json(view(row), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'post',
      path: '/key-managers',
      tags,
      summary: 'Register an external key manager by its discovery URL',
      request: { body: jsonBody(CreateKeyManagerBody) },
      responses: {
        201: jsonResponse(KeyManagerSchema, 'The key manager, as discovered'),
        ...problems('unauthorized', 'forbidden', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const { introspection, ...body } = c.req.valid('json');
      const found = await discovered(db, body.discoveryUrl);
      assertUsable(found, introspection, false);
      const id = newId('keyManager');
      const secret = introspection === null ? null : await seal(c.env.ENCRYPTION_KEY, introspection.clientSecret, id);
      const values = { id, ...body, ...found, introspectionClientId: introspection?.clientId ?? null, introspectionClientSecret: secret };
      try {
        const [rows] = await db.batch([
          db.insert(schema.keyManagers).values(values).returning(),
          auditEntry(db, principal, 'key-manager.create', { type: 'key_manager', id }, null, {
            ...body,
            ...found,
            introspectionClientId: values.introspectionClientId,
          }),
        ]);
        const row = rows[0];
        if (row === undefined) throw new ApiError('internal');
        await republishAll(c.env, db);
        return c.json(view(row), 201);
      } catch (err) {
        conflict(err, body.name);
      }
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'patch',
      path: '/key-managers/{keyManagerId}',
      tags,
      summary: 'Change an external key manager (discovered again when its URL changes or on request)',
      request: { params: IdParam, body: jsonBody(UpdateSchema) },
      responses: {
        200: jsonResponse(KeyManagerSchema, 'The key manager'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const { keyManagerId } = c.req.valid('param');
      const { introspection, rediscover, ...body } = c.req.valid('json');
      const before = (await db.select().from(schema.keyManagers).where(eq(schema.keyManagers.id, keyManagerId)).limit(1))[0];
      if (before === undefined) throw new ApiError('not-found', { detail: 'No such key manager' });
      const url = body.discoveryUrl ?? before.discoveryUrl;
      const found: Discovered =
        rediscover === true || url !== before.discoveryUrl
          ? await discovered(db, url)
          : {
              issuer: before.issuer,
              jwksUri: before.jwksUri,
              tokenEndpoint: before.tokenEndpoint,
              introspectionEndpoint: before.introspectionEndpoint,
              registrationEndpoint: before.registrationEndpoint,
            };
      assertUsable(found, introspection, introspection === undefined && before.introspectionClientSecret !== null);
      const secrets =
        introspection === undefined
          ? {}
          : introspection === null
            ? { introspectionClientId: null, introspectionClientSecret: null }
            : {
                introspectionClientId: introspection.clientId,
                introspectionClientSecret: await seal(c.env.ENCRYPTION_KEY, introspection.clientSecret, keyManagerId),
              };
      try {
        const [rows] = await db.batch([
          db
            .update(schema.keyManagers)
            .set({ ...body, ...found, ...secrets, updatedAt: Date.now() })
            .where(eq(schema.keyManagers.id, keyManagerId))
            .returning(),
          auditEntry(db, principal, 'key-manager.update', { type: 'key_manager', id: keyManagerId }, view(before), {
            ...body,
            ...found,
            ...(introspection === undefined ? {} : { introspectionClientId: introspection?.clientId ?? null }),
          }),
        ]);
        const row = rows[0];
        if (row === undefined) throw new ApiError('internal');
        await republishAll(c.env, db);
        return c.json(view(row), 200);
      } catch (err) {
        conflict(err, before.name);
      }
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'delete',
      path: '/key-managers/{keyManagerId}',
      tags,
      summary: 'Remove an external key manager (and every client mapped to it)',
      request: { params: IdParam },
      responses: { 204: { description: 'Removed' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const { keyManagerId } = c.req.valid('param');
      const before = (await db.select().from(schema.keyManagers).where(eq(schema.keyManagers.id, keyManagerId)).limit(1))[0];
      if (before === undefined) throw new ApiError('not-found', { detail: 'No such key manager' });
      await db.batch([
        db.delete(schema.keyManagers).where(eq(schema.keyManagers.id, keyManagerId)),
        auditEntry(db, principal, 'key-manager.delete', { type: 'key_manager', id: keyManagerId }, view(before), null),
      ]);
      await republishAll(c.env, db);
      return c.body(null, 204);
    },
  );
  return app;
}
