import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { desc, eq, sql } from 'drizzle-orm';
import { newSecret, sha256Hex } from '../../../../shared/crypto.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import { INITIAL_ACCESS_PREFIX } from '../../oauth/initial-access.ts';
import type { AppEnv } from '../../types.ts';

const tags = ['Admin: client registration'];

export const RegistrationTokenSchema = z
  .object({
    id: z.string(),
    prefix: z.string(),
    ownerId: z.string(),
    ownerEmail: z.string(),
    maxUses: z.number().int(),
    uses: z.number().int(),
    expiresAt: z.number().int(),
    createdAt: z.number().int(),
  })
  .openapi('RegistrationToken');

export const CreateRegistrationTokenBody = z.strictObject({
  ownerEmail: z.email().openapi({ description: 'The developer who will own the clients registered with it' }),
  maxUses: z.number().int().min(1).max(1000).default(1),
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 90)
    .default(24),
});

type Row = typeof schema.registrationTokens.$inferSelect;
const view = (r: Row, ownerEmail: string): z.infer<typeof RegistrationTokenSchema> => ({
  id: r.id,
  prefix: r.prefix,
  ownerId: r.ownerId,
  ownerEmail,
  maxUses: r.maxUses,
  uses: r.uses,
  expiresAt: r.expiresAt,
  createdAt: r.createdAt,
});

/**
 * /api/admin/v1/registration-tokens — initial access tokens for Turnpike's own dynamic client
 * registration (RFC 7591 §3), issued by an admin for a developer: the admin policy beside a
 * developer's own management token (decision 0052). Stored as SHA-256, shown once.
 */
export function registrationTokenRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'post',
      path: '/registration-tokens',
      tags,
      summary: 'Issue an initial access token with which a developer (or their partner) registers clients at /oauth2/register',
      request: { body: jsonBody(CreateRegistrationTokenBody) },
      responses: {
        201: jsonResponse(RegistrationTokenSchema.extend({ token: z.string() }), 'The token, shown once'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const body = c.req.valid('json');
      const owner = (
        await db
          .select()
          .from(schema.users)
          .where(sql`lower(${schema.users.email}) = ${body.ownerEmail.toLowerCase()}`)
          .limit(1)
      )[0];
      if (owner === undefined || owner.status !== 'ACTIVE' || owner.role !== 'developer')
        throw new ApiError('validation-failed', { errors: [{ pointer: '/ownerEmail', detail: 'Not an active developer' }] });
      const token = newSecret(INITIAL_ACCESS_PREFIX);
      const id = newId('registrationToken');
      const [rows] = await db.batch([
        db
          .insert(schema.registrationTokens)
          .values({
            id,
            tokenHash: await sha256Hex(token),
            prefix: token.slice(0, 8),
            ownerId: owner.id,
            maxUses: body.maxUses,
            expiresAt: Date.now() + body.expiresInHours * 3_600_000,
          })
          .returning(),
        auditEntry(db, principal, 'registration-token.create', { type: 'user', id: owner.id }, null, {
          maxUses: body.maxUses,
          expiresInHours: body.expiresInHours,
        }),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      return c.json({ ...view(row, owner.email), token }, 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'get',
      path: '/registration-tokens',
      tags,
      summary: 'Initial access tokens issued (without secrets)',
      responses: {
        200: jsonResponse(z.object({ list: z.array(RegistrationTokenSchema) }), 'Tokens'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:settings']);
      const rows = await c.var.db
        .select({ t: schema.registrationTokens, email: schema.users.email })
        .from(schema.registrationTokens)
        .innerJoin(schema.users, eq(schema.users.id, schema.registrationTokens.ownerId))
        .orderBy(desc(schema.registrationTokens.createdAt));
      return c.json({ list: rows.map((r) => view(r.t, r.email)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'delete',
      path: '/registration-tokens/{tokenId}',
      tags,
      summary: 'Revoke an initial access token (clients already registered stay)',
      request: { params: z.object({ tokenId: z.string() }) },
      responses: { 204: { description: 'Revoked' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const { tokenId } = c.req.valid('param');
      const deleted = await db
        .delete(schema.registrationTokens)
        .where(eq(schema.registrationTokens.id, tokenId))
        .returning({ ownerId: schema.registrationTokens.ownerId });
      const row = deleted[0];
      if (row === undefined) throw new ApiError('not-found', { detail: 'No such token' });
      await auditEntry(db, principal, 'registration-token.delete', { type: 'user', id: row.ownerId }, { id: tokenId }, null);
      return c.body(null, 204);
    },
  );
  return app;
}
