import { requires } from '../../http/security.ts';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { KEY_TYPES } from '../../../../shared/db/schema.ts';
import { newSecret, sha256Hex } from '../../../../shared/crypto.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { notifyApplication } from '../../gateway-sync/notify.ts';
import { revokeApiKey } from '../../gateway-sync/subscriptions.ts';
import { IpOrCidr, jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { ownApplication } from '../applications/store.ts';

const tags = ['Devportal: API keys'];

export const ApiKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    keyType: z.enum(KEY_TYPES),
    prefix: z.string(),
    expiresAt: z.number().int().nullable(),
    allowedIps: z.array(z.string()),
    allowedReferrers: z.array(z.string()),
    revokedAt: z.number().int().nullable(),
    lastUsedAt: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Last successful authentication at a gateway, recorded within seconds (off the request path)' }),
    rolledTo: z
      .string()
      .nullable()
      .openapi({ description: 'Rolled: the id of the key that replaces this one; this one works until expiresAt (the overlap)' }),
    createdAt: z.number().int(),
  })
  .openapi('ApiKey');
type Row = typeof schema.apiKeys.$inferSelect;
const view = (k: Row) => ({
  id: k.id,
  name: k.name,
  keyType: k.keyType,
  prefix: k.prefix,
  expiresAt: k.expiresAt,
  allowedIps: k.allowedIps,
  allowedReferrers: k.allowedReferrers,
  revokedAt: k.revokedAt,
  lastUsedAt: k.lastUsedAt,
  rolledTo: k.rolledTo,
  createdAt: k.createdAt,
});

/** The longest overlap a roll grants the old key. */
const MAX_OVERLAP_SECONDS = 30 * 86_400;

export const RollApiKeySchema = z
  .strictObject({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_OVERLAP_SECONDS)
      .default(3600)
      .openapi({ description: 'How long the old key keeps working beside the new one (0: it stops at once)' }),
  })
  .openapi('RollApiKeyRequest');

const MAX_VALIDITY_SECONDS = 10 * 365 * 86_400;

/** The instant (ms) a new key expires, to the millisecond (WSO2 and Unkey take an exact time), or null for never. */
function expiryOf(
  body: { expiresAt?: string | undefined; validityPeriod?: number | undefined; expiresInDays?: number | null | undefined },
  now = Date.now(),
): number | null {
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
    createRoute({
      security: requires('apps:manage'),
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
              expiresAt: z.iso
                .datetime({ offset: true })
                .optional()
                .openapi({ description: 'When the key stops working: an RFC 3339 date-time with an offset, e.g. 2027-01-31T12:00:00Z' }),
              validityPeriod: z
                .number()
                .int()
                .min(1)
                .max(MAX_VALIDITY_SECONDS)
                .optional()
                .openapi({ description: "Seconds from now until the key stops working (WSO2's validityPeriod)" }),
              expiresInDays: z
                .number()
                .int()
                .min(1)
                .max(3650)
                .nullable()
                .optional()
                .openapi({ description: 'Whole days from now (older form of validityPeriod); null: never expires' }),
              allowedIps: z.array(IpOrCidr).max(50).default([]),
              allowedReferrers: z.array(z.string().url().max(500)).max(50).default([]),
            })
            .superRefine((b, ctx) => {
              const given = (['expiresAt', 'validityPeriod', 'expiresInDays'] as const).filter((k) => b[k] !== undefined && b[k] !== null);
              if (given.length > 1)
                for (const k of given)
                  ctx.addIssue({
                    code: 'custom',
                    path: [k],
                    message: `Give one of expiresAt, validityPeriod or expiresInDays, not ${given.join(' and ')}`,
                  });
              if (b.expiresAt !== undefined) {
                const at = Date.parse(b.expiresAt);
                if (!(at > Date.now())) ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'The expiry must be in the future' });
                else if (at - Date.now() > MAX_VALIDITY_SECONDS * 1000)
                  ctx.addIssue({ code: 'custom', path: ['expiresAt'], message: 'At most ten years from now' });
              }
            })
            .openapi('CreateApiKeyRequest'),
        ),
      },
      responses: {
        201: jsonResponse(
          ApiKeySchema.extend({ key: z.string().openapi({ description: 'Shown once; stored only as a hash' }) }),
          'The key, shown once',
        ),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
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
          .values({
            id,
            applicationId: application.id,
            keyType: body.keyType,
            name: body.name,
            keyHash: await sha256Hex(key),
            prefix: key.slice(0, 10),
            expiresAt: expiryOf(body),
            allowedIps: body.allowedIps,
            allowedReferrers: body.allowedReferrers,
          })
          .returning(),
        auditEntry(db, principal, 'api-key.create', { type: 'api_key', id }, null, {
          applicationId: application.id,
          name: body.name,
          keyType: body.keyType,
        }),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      return c.json({ ...view(row), key }, 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'get',
      path: '/applications/{applicationId}/api-keys',
      tags,
      summary: 'API keys of an application (prefixes only)',
      request: { params: AppParam },
      responses: {
        200: jsonResponse(z.object({ list: z.array(ApiKeySchema) }), 'Keys'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const application = await ownApplication(c.var.db, principalOf(c.var.principal, ['apps:manage']), c.req.valid('param').applicationId);
      const rows = await c.var.db
        .select()
        .from(schema.apiKeys)
        .where(eq(schema.apiKeys.applicationId, application.id))
        .orderBy(desc(schema.apiKeys.createdAt));
      return c.json({ list: rows.map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
      method: 'post',
      path: '/applications/{applicationId}/api-keys/{keyId}/roll',
      tags,
      summary: 'Roll an API key: a new key with the same settings (shown once); the old one works until the overlap ends',
      request: { params: AppParam.extend({ keyId: z.string() }), body: jsonBody(RollApiKeySchema) },
      responses: {
        201: jsonResponse(
          z.object({
            key: ApiKeySchema.extend({ key: z.string().openapi({ description: 'Shown once; stored only as a hash' }) }),
            previous: ApiKeySchema,
          }),
          'The new key, shown once, and the old one with its new expiry',
        ),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['apps:manage']);
      const db = c.var.db;
      const { applicationId, keyId } = c.req.valid('param');
      const { overlapSeconds } = c.req.valid('json');
      const application = await ownApplication(db, principal, applicationId);
      const now = Date.now();
      const k = schema.apiKeys;
      const old = (
        await db
          .select()
          .from(k)
          .where(and(eq(k.id, keyId), eq(k.applicationId, application.id), isNull(k.revokedAt)))
          .limit(1)
      )[0];
      if (old === undefined) throw new ApiError('not-found', { detail: 'No such active API key' });
      if (old.rolledTo !== null)
        throw new ApiError('conflict', { detail: `This key was already rolled to ${old.rolledTo}; roll that one` });
      if (old.expiresAt !== null && old.expiresAt <= now)
        throw new ApiError('conflict', { detail: 'This key has expired; create a new one' });
      const key = newSecret('tpk_');
      const id = newId('apiKey');
      // Unkey's rollKey: the successor keeps the settings, the old key's expiry is pulled in to the
      // end of the overlap (never pushed out). Guarded on rolled_to, so two concurrent rolls make one successor.
      const overlapEnd = Math.min(old.expiresAt ?? Number.MAX_SAFE_INTEGER, now + overlapSeconds * 1000);
      const [previous, created] = await db.batch([
        db
          .update(k)
          .set({ rolledTo: id, expiresAt: overlapEnd })
          .where(and(eq(k.id, old.id), isNull(k.rolledTo), isNull(k.revokedAt)))
          .returning(),
        db
          .insert(k)
          .select(
            db
              .select({
                id: sql`${id}`.as('id'),
                applicationId: k.applicationId,
                keyType: k.keyType,
                name: k.name,
                keyHash: sql`${await sha256Hex(key)}`.as('key_hash'),
                prefix: sql`${key.slice(0, 10)}`.as('prefix'),
                expiresAt: sql`${old.expiresAt}`.as('expires_at'),
                allowedIps: k.allowedIps,
                allowedReferrers: k.allowedReferrers,
                revokedAt: sql`null`.as('revoked_at'),
                lastUsedAt: sql`null`.as('last_used_at'),
                rolledTo: sql`null`.as('rolled_to'),
                createdAt: sql`${now}`.as('created_at'),
              })
              .from(k)
              .where(and(eq(k.id, old.id), eq(k.rolledTo, id))),
          )
          .returning(),
        auditEntry(
          db,
          principal,
          'api-key.roll',
          { type: 'api_key', id: old.id },
          { expiresAt: old.expiresAt },
          { rolledTo: id, expiresAt: overlapEnd },
        ),
      ]);
      const before = previous[0];
      const next = created[0];
      if (before === undefined || next === undefined)
        throw new ApiError('conflict', { detail: 'This key was rolled or revoked meanwhile' });
      // With no overlap the old key stops at once, like a revocation; otherwise the cron revokes it
      // at the counter objects when the overlap ends (keys/rolled-keys.ts), and gateways that read its
      // record again refuse it at its new expiry.
      if (overlapSeconds === 0) {
        await db.update(k).set({ revokedAt: now }).where(eq(k.id, old.id));
        await revokeApiKey(c.env, db, application.id, old.id, old.expiresAt);
      } else await notifyApplication(c.env, application.id);
      return c.json({ key: { ...view(next), key }, previous: view(overlapSeconds === 0 ? { ...before, revokedAt: now } : before) }, 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires('apps:manage'),
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
      const row = (
        await db
          .select()
          .from(schema.apiKeys)
          .where(and(eq(schema.apiKeys.id, keyId), eq(schema.apiKeys.applicationId, application.id), isNull(schema.apiKeys.revokedAt)))
          .limit(1)
      )[0];
      if (row === undefined) throw new ApiError('not-found', { detail: 'No such active API key' });
      await db.batch([
        db.update(schema.apiKeys).set({ revokedAt: Date.now() }).where(eq(schema.apiKeys.id, row.id)),
        auditEntry(db, principal, 'api-key.revoke', { type: 'api_key', id: row.id }, { name: row.name }, { revoked: true }),
      ]);
      await revokeApiKey(c.env, db, application.id, row.id, row.expiresAt);
      return c.body(null, 204);
    },
  );
  return app;
}
