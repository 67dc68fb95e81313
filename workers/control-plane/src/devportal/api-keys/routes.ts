import { requires } from '../../http/security.ts';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, isNull } from 'drizzle-orm';
import { KEY_TYPES } from '../../../../shared/db/schema.ts';
import { newSecret, sha256Hex } from '../../../../shared/crypto.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { revokeApiKey } from '../../gateway-sync/subscriptions.ts';
import { IpOrCidr, jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { ownApplication } from '../applications/store.ts';

const tags = ['Devportal: API keys'];

export const ApiKeySchema = z
  .object({ id: z.string(), name: z.string(), keyType: z.enum(KEY_TYPES), prefix: z.string(), expiresAt: z.number().int().nullable(), allowedIps: z.array(z.string()), allowedReferrers: z.array(z.string()), revokedAt: z.number().int().nullable(), createdAt: z.number().int() })
  .openapi('ApiKey');
type Row = typeof schema.apiKeys.$inferSelect;
const view = (k: Row) => ({ id: k.id, name: k.name, keyType: k.keyType, prefix: k.prefix, expiresAt: k.expiresAt, allowedIps: k.allowedIps, allowedReferrers: k.allowedReferrers, revokedAt: k.revokedAt, createdAt: k.createdAt });

const MAX_VALIDITY_SECONDS = 10 * 365 * 86_400;

/** The instant (ms) a new key expires, to the millisecond (WSO2 and Unkey take an exact time), or null for never. */
function expiryOf(body: { expiresAt?: string | undefined; validityPeriod?: number | undefined; expiresInDays?: number | null | undefined }, now = Date.now()): number | null {
  if (body.expiresAt !== undefined) return Date.parse(body.expiresAt);
  if (body.validityPeriod !== undefined) return now + body.validityPeriod * 1000;
  if (body.expiresInDays !== undefined && body.expiresInDays !== null) return now + body.expiresInDays * 86_400_000;
  return null;
}

/** API keys: shown once, stored as SHA-256 with a visible prefix; revocation reaches the gateway at once. */
export function apiKeyRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const AppParam = z.object({ applicationId: z.string() });

  app.openapi(
    createRoute({ security: requires('apps:manage'),
      method: 'post',
      path: '/applications/{applicationId}/api-keys',
      tags,
      summary: 'Create an API key (shown once)',
      request: {
        params: AppParam,
        body: jsonBody(
          z
            .strictObject({
              name: z.string().trim().min(1).max(100),
              keyType: z.enum(KEY_TYPES).default('PRODUCTION'),
              expiresAt: z.iso.datetime({ offset: true }).optional().openapi({ description: 'When the key stops working: an RFC 3339 date-time with an offset, e.g. 2027-01-31T12:00:00Z' }),
              validityPeriod: z.number().int().min(1).max(MAX_VALIDITY_SECONDS).optional().openapi({ description: 'Seconds from now until the key stops working (WSO2\'s validityPeriod)' }),
              expiresInDays: z.number().int().min(1).max(3650).nullable().optional().openapi({ description: 'Whole days from now (older form of validityPeriod); null: never expires' }),
              allowedIps: z.array(IpOrCidr).max(50).default([]),
              allowedReferrers: z.array(z.string().url().max(500)).max(50).default([]),
            })
            .superRefine((b, ctx) => {
              const given = (['expiresAt', 'validityPeriod', 'expiresInDays'] as const).filter((k) => b[k] !== undefined && b[k] !== null);
              if (given.length > 1) for (const k of given) ctx.addIssue({ code: 'custom', path: [k], message: `Give one of expiresAt, validityPeriod or expiresInDays, not ${given.join(' and ')}` });
              if (b.expiresAt !== undefined) {
                const at = Date.parse(b.expiresAt);
                if (!(at > Date.now())) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'The expiry must be in the future' });
                else if (at - Date.now() > MAX_VALIDITY_SECONDS * 1000) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'At most ten years from now' });
              }
            })
            .openapi('CreateApiKeyRequest'),
        ),
      },
      responses: { 201: jsonResponse(ApiKeySchema.extend({ key: z.string().openapi({ description: 'Shown once; stored only as a hash' }) }), 'The key, shown once'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const application = await ownApplication(db, principal, c.req.valid('param').applicationId);
      const body = c.req.valid('json');
      const key = newSecret('tpk_');
      const id = newId('apiKey');
      const [rows] = await db.batch([
        db
          .insert(schema.apiKeys)
          .values({ id, applicationId: application.id, keyType: body.keyType, name: body.name, keyHash: await sha256Hex(key), prefix: key.slice(0, 10), expiresAt: expiryOf(body), allowedIps: body.allowedIps, allowedReferrers: body.allowedReferrers })
          .returning(),
        auditEntry(db, principal, 'api-key.create', { type: 'api_key', id }, null, { applicationId: application.id, name: body.name, keyType: body.keyType }),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      return c.json({ ...view(row), key }, 201);
    },
  );

  app.openapi(
    createRoute({ security: requires('apps:manage'), method: 'get', path: '/applications/{applicationId}/api-keys', tags, summary: 'API keys of an application (prefixes only)', request: { params: AppParam }, responses: { 200: jsonResponse(z.object({ list: z.array(ApiKeySchema) }), 'Keys'), ...problems('unauthorized', 'forbidden', 'not-found') } }),
    async (c) => {
      const application = await ownApplication(c.var.db, principalOf(c.var.principal, ['apps:manage']), c.req.valid('param').applicationId);
      const rows = await c.var.db.select().from(schema.apiKeys).where(eq(schema.apiKeys.applicationId, application.id)).orderBy(desc(schema.apiKeys.createdAt));
      return c.json({ list: rows.map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({ security: requires('apps:manage'),
      method: 'delete',
      path: '/applications/{applicationId}/api-keys/{keyId}',
      tags,
      summary: 'Revoke an API key; the gateway refuses it on the next request',
      request: { params: AppParam.extend({ keyId: z.string() }) },
      responses: { 204: { description: 'Revoked' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const { applicationId, keyId } = c.req.valid('param');
      const application = await ownApplication(db, principal, applicationId);
      const row = (await db.select().from(schema.apiKeys).where(and(eq(schema.apiKeys.id, keyId), eq(schema.apiKeys.applicationId, application.id), isNull(schema.apiKeys.revokedAt))).limit(1))[0];
      if (row === undefined) throw new ApiError('not-found', { detail: 'No such active API key' });
      await db.batch([db.update(schema.apiKeys).set({ revokedAt: Date.now() }).where(eq(schema.apiKeys.id, row.id)), auditEntry(db, principal, 'api-key.revoke', { type: 'api_key', id: row.id }, { name: row.name }, { revoked: true })]);
      await revokeApiKey(c.env, db, application.id, row.id, row.expiresAt);
      return c.body(null, 204);
    },
  );
  return app;
}
