import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { KEY_TYPES } from '../../../../shared/db/schema.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { notifyApplication } from '../../gateway-sync/notify.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import { proveClient } from '../../key-managers/proof.ts';
import { enabledKeyManager } from '../../key-managers/enabled.ts';
import type { AppEnv } from '../../types.ts';
import { ownApplication } from '../applications/store.ts';

const tags = ['Devportal: external OAuth clients'];

export const PublicKeyManagerSchema = z
  .object({
    name: z.string(),
    displayName: z.string(),
    description: z.string(),
    issuer: z.string(),
    tokenEndpoint: z.string().nullable(),
    registrationEndpoint: z.string().nullable(),
  })
  .openapi('PublicKeyManager');

export const ExternalClientSchema = z
  .object({
    id: z.string(),
    keyManager: z.string(),
    keyManagerDisplayName: z.string(),
    clientId: z.string(),
    keyType: z.enum(KEY_TYPES),
    createdAt: z.number().int(),
  })
  .openapi('ExternalClient');

export const MapExternalClientSchema = z.strictObject({
  keyManager: z.string().min(1).max(60).openapi({ description: 'The key manager’s name (GET /key-managers)' }),
  clientId: z.string().min(1).max(256),
  clientSecret: z
    .string()
    .min(1)
    .max(1000)
    .openapi({ description: 'Proves the client is yours: checked once at the key manager’s token endpoint, never stored' }),
  keyType: z.enum(KEY_TYPES).default('PRODUCTION'),
});

/**
 * "Provide existing OAuth keys" (WSO2's Developer Portal): a developer maps a client they own at an
 * external key manager to one of their applications, so that client's tokens call the APIs the
 * application is subscribed to, counted and throttled as the application's.
 */
export function externalClientRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const AppParam = z.object({ applicationId: z.string() });

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'get',
      path: '/key-managers',
      tags,
      summary: 'External key managers a client can be mapped from',
      responses: {
        200: jsonResponse(z.object({ list: z.array(PublicKeyManagerSchema) }), 'Key managers'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      principalOf(c.var.principal, ['apps:manage']);
      const rows = await c.var.db
        .select()
        .from(schema.keyManagers)
        .where(eq(schema.keyManagers.enabled, true))
        .orderBy(schema.keyManagers.name);
      return c.json(
        {
          list: rows.map((k) => ({
            name: k.name,
            displayName: k.displayName,
            description: k.description,
            issuer: k.issuer,
            tokenEndpoint: k.tokenEndpoint,
            registrationEndpoint: k.registrationEndpoint,
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'get',
      path: '/applications/{applicationId}/external-clients',
      tags,
      summary: 'External OAuth clients mapped to an application',
      request: { params: AppParam },
      responses: {
        200: jsonResponse(z.object({ list: z.array(ExternalClientSchema) }), 'Mapped clients'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const application = await ownApplication(c.var.db, principal, c.req.valid('param').applicationId);
      const rows = await c.var.db
        .select({ x: schema.externalClients, name: schema.keyManagers.name, displayName: schema.keyManagers.displayName })
        .from(schema.externalClients)
        .innerJoin(schema.keyManagers, eq(schema.keyManagers.id, schema.externalClients.keyManagerId))
        .where(eq(schema.externalClients.applicationId, application.id))
        .orderBy(schema.externalClients.createdAt);
      return c.json(
        {
          list: rows.map((r) => ({
            id: r.x.id,
            keyManager: r.name,
            keyManagerDisplayName: r.displayName,
            clientId: r.x.clientId,
            keyType: r.x.keyType,
            createdAt: r.x.createdAt,
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
      path: '/applications/{applicationId}/external-clients',
      tags,
      summary: 'Map an external OAuth client to an application (provide existing OAuth keys)',
      request: { params: AppParam, body: jsonBody(MapExternalClientSchema) },
      responses: {
        201: jsonResponse(ExternalClientSchema, 'The mapping'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict', 'service-unavailable'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const application = await ownApplication(db, principal, c.req.valid('param').applicationId);
      const body = c.req.valid('json');
      const km = await enabledKeyManager(db, body.keyManager);
      if (km.tokenEndpoint === null)
        throw new ApiError('validation-failed', {
          detail: `${km.displayName} publishes no token endpoint to check the client against`,
          errors: [{ pointer: '/keyManager', detail: 'No token endpoint' }],
        });
      const taken = (
        await db
          .select({ applicationId: schema.externalClients.applicationId })
          .from(schema.externalClients)
          .where(and(eq(schema.externalClients.keyManagerId, km.id), eq(schema.externalClients.clientId, body.clientId)))
          .limit(1)
      )[0];
      // Said before the proof, without naming the other application: the client id alone is no secret.
      if (taken !== undefined)
        throw new ApiError('conflict', {
          detail: `This ${km.displayName} client is already mapped to ${taken.applicationId === application.id ? 'this' : 'another'} application`,
          errors: [{ pointer: '/clientId', detail: 'Already mapped' }],
        });
      const proof = await proveClient(km.tokenEndpoint, body.clientId, body.clientSecret);
      if (!proof.ok) {
        if (proof.reason === 'unreachable')
          throw new ApiError('service-unavailable', {
            detail: `${km.displayName} could not be reached to check the client`,
            headers: { 'retry-after': '5' },
          });
        throw new ApiError('validation-failed', {
          detail: `${km.displayName} did not accept this client id and secret`,
          errors: [{ pointer: '/clientSecret', detail: 'The key manager refused these credentials' }],
        });
      }
      const id = newId('externalClient');
      try {
        const [rows] = await db.batch([
          db
            .insert(schema.externalClients)
            .values({ id, keyManagerId: km.id, clientId: body.clientId, applicationId: application.id, keyType: body.keyType })
            .returning(),
          auditEntry(db, principal, 'external-client.map', { type: 'application', id: application.id }, null, {
            keyManager: km.name,
            clientId: body.clientId,
            keyType: body.keyType,
          }),
        ]);
        const row = rows[0];
        if (row === undefined) throw new ApiError('internal');
        // Gateways remember an unmapped client for a few seconds; told now, the next call is served.
        await notifyApplication(c.env, application.id);
        return c.json(
          {
            id: row.id,
            keyManager: km.name,
            keyManagerDisplayName: km.displayName,
            clientId: row.clientId,
            keyType: row.keyType,
            createdAt: row.createdAt,
          },
          201,
        );
      } catch (err) {
        if (/UNIQUE constraint failed: external_clients/.test(String(err)))
          throw new ApiError('conflict', {
            detail: `This ${km.displayName} client is already mapped`,
            errors: [{ pointer: '/clientId', detail: 'Already mapped' }],
          });
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'delete',
      path: '/applications/{applicationId}/external-clients/{externalClientId}',
      tags,
      summary: 'Unmap an external OAuth client',
      request: { params: AppParam.extend({ externalClientId: z.string() }) },
      responses: {
        204: { description: 'Unmapped: its tokens are refused from now on' },
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const { applicationId, externalClientId } = c.req.valid('param');
      const application = await ownApplication(db, principal, applicationId);
      const row = (
        await db
          .select()
          .from(schema.externalClients)
          .where(and(eq(schema.externalClients.id, externalClientId), eq(schema.externalClients.applicationId, application.id)))
          .limit(1)
      )[0];
      if (row === undefined) throw new ApiError('not-found', { detail: 'No such external client on this application' });
      await db.batch([
        db.delete(schema.externalClients).where(eq(schema.externalClients.id, row.id)),
        auditEntry(
          db,
          principal,
          'external-client.unmap',
          { type: 'application', id: application.id },
          { clientId: row.clientId, keyType: row.keyType },
          null,
        ),
      ]);
      await notifyApplication(c.env, application.id);
      return c.body(null, 204);
    },
  );
  return app;
}
