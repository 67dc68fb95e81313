import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { KEY_TYPES } from '../../../../shared/db/schema.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { unseal } from '../../../../shared/seal.ts';
import { allowsLoopback } from '../../admin/key-managers/routes.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { notifyApplication } from '../../gateway-sync/notify.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import { endpointRefusal } from '../../key-managers/discovery.ts';
import { enabledKeyManager } from '../../key-managers/enabled.ts';
import type { AppEnv } from '../../types.ts';
import { ownApplication } from '../applications/store.ts';
import { ExternalClientSchema } from '../external-clients/routes.ts';
import { registerClient } from './dcr.ts';

const tags = ['Devportal: external OAuth clients'];

export const KeyManagerChoiceSchema = z
  .object({
    name: z.string().nullable().openapi({ description: "The key manager's name; null for Turnpike's own Key Manager" }),
    displayName: z.string(),
    acceptedBy: z.array(z.string()).openapi({ description: "The application's subscribed APIs that accept its tokens" }),
    canMap: z.boolean().openapi({ description: 'An existing client can be mapped (the provider has a token endpoint to prove it)' }),
    canRegister: z.boolean().openapi({
      description: 'A client can be registered there from the portal (RFC 7591 registration endpoint and an initial access token)',
    }),
  })
  .openapi('KeyManagerChoice');

export const RegisterExternalClientBody = z.strictObject({
  keyManager: z.string().min(1).max(60),
  keyType: z.enum(KEY_TYPES).default('PRODUCTION'),
  grantTypes: z
    .array(z.enum(['client_credentials', 'authorization_code', 'refresh_token']))
    .min(1)
    .max(3)
    .default(['client_credentials']),
  redirectUris: z.array(z.string().url().max(1000)).max(10).default([]),
});

export const RegisteredExternalClientSchema = z
  .object({
    mapping: ExternalClientSchema,
    clientId: z.string(),
    clientSecret: z.string().openapi({ description: 'Shown once: Turnpike does not keep it' }),
    clientSecretExpiresAt: z.number().int().openapi({ description: 'RFC 7591 §3.2.1: seconds since the epoch, 0 for never' }),
  })
  .openapi('RegisteredExternalClient');

/**
 * The application page's key-manager choice (Turnpike's own, or an external one that its APIs
 * accept) and client registration at an external provider by RFC 7591 dynamic registration, the
 * new client mapped to the application at once (decision 0052).
 */
export function externalRegistrationRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const AppParam = z.object({ applicationId: z.string() });

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'get',
      path: '/applications/{applicationId}/key-managers',
      tags,
      summary: "The key managers this application's tokens can come from, and which of its APIs accept each",
      request: { params: AppParam },
      responses: {
        200: jsonResponse(z.object({ list: z.array(KeyManagerChoiceSchema) }), 'Turnpike first, then the external key managers'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const application = await ownApplication(db, principal, c.req.valid('param').applicationId);
      const [subscribed, managers] = await Promise.all([
        db
          .select({ name: schema.apis.name, version: schema.apis.version, keyManagers: schema.apis.keyManagers })
          .from(schema.subscriptions)
          .innerJoin(schema.apis, eq(schema.apis.id, schema.subscriptions.apiId))
          .where(eq(schema.subscriptions.applicationId, application.id)),
        db.select().from(schema.keyManagers).where(eq(schema.keyManagers.enabled, true)).orderBy(schema.keyManagers.name),
      ]);
      const label = (a: { name: string; version: string }) => `${a.name} ${a.version}`;
      return c.json(
        {
          list: [
            { name: null, displayName: 'Turnpike', acceptedBy: subscribed.map(label), canMap: false, canRegister: false },
            ...managers.map((k) => ({
              name: k.name,
              displayName: k.displayName,
              acceptedBy: subscribed.filter((a) => a.keyManagers.includes(k.name)).map(label),
              canMap: k.tokenEndpoint !== null,
              canRegister: k.registrationEndpoint !== null && k.registrationAccessToken !== null,
            })),
          ],
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'post',
      path: '/applications/{applicationId}/external-clients/register',
      tags,
      summary: 'Register a new client at an external key manager (RFC 7591) and map it to the application',
      description: 'The client secret is in this answer only: Turnpike does not keep it.',
      request: { params: AppParam, body: jsonBody(RegisterExternalClientBody) },
      responses: {
        201: jsonResponse(RegisteredExternalClientSchema, 'The registered client, mapped'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'bad-gateway', 'service-unavailable'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const application = await ownApplication(db, principal, c.req.valid('param').applicationId);
      const body = c.req.valid('json');
      const km = await enabledKeyManager(db, body.keyManager);
      if (km.registrationEndpoint === null || km.registrationAccessToken === null)
        throw new ApiError('validation-failed', {
          detail: `${km.displayName} does not offer client registration from the portal`,
          errors: [{ pointer: '/keyManager', detail: 'No registration endpoint or no initial access token configured' }],
        });
      if (body.grantTypes.includes('authorization_code') && body.redirectUris.length === 0)
        throw new ApiError('validation-failed', { errors: [{ pointer: '/redirectUris', detail: 'Required for authorization_code' }] });
      const refusal = endpointRefusal(km.registrationEndpoint, await allowsLoopback(db));
      if (refusal !== null)
        throw new ApiError('validation-failed', { errors: [{ pointer: '/keyManager', detail: `registration_endpoint: ${refusal}` }] });
      const outcome = await registerClient(
        km.registrationEndpoint,
        await unseal(c.env.ENCRYPTION_KEY, km.registrationAccessToken, `${km.id}:registration`),
        {
          clientName: `${application.name} (${body.keyType === 'SANDBOX' ? 'sandbox' : 'production'})`.slice(0, 200),
          grantTypes: body.grantTypes,
          redirectUris: body.redirectUris,
        },
      );
      if (!outcome.ok) {
        if (outcome.reason === 'unreachable')
          throw new ApiError('service-unavailable', { detail: `${km.displayName} could not be reached`, headers: { 'retry-after': '5' } });
        if (outcome.reason === 'invalid-response')
          throw new ApiError('bad-gateway', { detail: `${km.displayName} answered the registration without a client id and secret` });
        throw new ApiError('bad-gateway', {
          detail: `${km.displayName} refused the registration (${outcome.status}${outcome.error === null ? '' : ` ${outcome.error}`})`,
        });
      }
      const id = newId('externalClient');
      const [rows] = await db.batch([
        db
          .insert(schema.externalClients)
          .values({ id, keyManagerId: km.id, clientId: outcome.value.clientId, applicationId: application.id, keyType: body.keyType })
          .returning(),
        auditEntry(db, principal, 'external-client.register', { type: 'application', id: application.id }, null, {
          keyManager: km.name,
          clientId: outcome.value.clientId,
          keyType: body.keyType,
          grantTypes: body.grantTypes,
        }),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      await notifyApplication(c.env, application.id);
      return c.json(
        {
          mapping: {
            id: row.id,
            keyManager: km.name,
            keyManagerDisplayName: km.displayName,
            clientId: row.clientId,
            keyType: row.keyType,
            createdAt: row.createdAt,
          },
          clientId: outcome.value.clientId,
          clientSecret: outcome.value.clientSecret,
          clientSecretExpiresAt: outcome.value.clientSecretExpiresAt,
        },
        201,
      );
    },
  );
  return app;
}
