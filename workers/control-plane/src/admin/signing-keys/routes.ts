import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { requires } from '../../http/security.ts';
import { validationHook } from '../../http/validation.ts';
import { activateSigningKey, addSigningKey, retireSigningKey } from '../../keys/rotation.ts';
import { listSigningKeys, type SigningKeyRow } from '../../keys/signing-keys.ts';
import { SIGNING_KEY_STATUSES } from '../../../../shared/db/schema.ts';
import type { AppEnv } from '../../types.ts';

const tags = ['Admin: signing keys'];

export const SigningKeySchema = z
  .object({
    kid: z.string(),
    alg: z.string(),
    status: z.enum(SIGNING_KEY_STATUSES),
    origin: z.enum(['SECRET', 'GENERATED']).openapi({ description: 'SECRET: adopted from the SIGNING_KEYS secret; GENERATED: added here' }),
    createdAt: z.number().int(),
    activatedAt: z.number().int().nullable(),
    retireAfter: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'PREVIOUS keys: when every token they signed has expired and they retire' }),
    retiredAt: z.number().int().nullable(),
    publishable: z.boolean().openapi({ description: 'Whether the key may start signing now (published long enough)' }),
    publicJwk: z.record(z.string(), z.unknown()),
  })
  .openapi('SigningKey');

const KidParam = z.object({ kid: z.string().min(1).max(100) });
const RetireSchema = z
  .strictObject({
    immediately: z
      .boolean()
      .default(false)
      .openapi({ description: 'Retire a PREVIOUS key before its tokens expire (a leaked key): those tokens are refused' }),
  })
  .openapi('RetireSigningKey');

const view = (env: Env, r: SigningKeyRow, now = Date.now()): z.infer<typeof SigningKeySchema> => ({
  kid: r.kid,
  alg: r.alg,
  status: r.status,
  origin: r.origin,
  createdAt: r.createdAt,
  activatedAt: r.activatedAt,
  retireAfter: r.retireAfter,
  retiredAt: r.retiredAt,
  publishable: r.status === 'PUBLISHED' && now >= r.createdAt + Number(env.SIGNING_KEY_PUBLISH_SECONDS) * 1000,
  publicJwk: { ...r.publicJwk },
});

/** /api/admin/v1/signing-keys — the Key Manager's token-signing keys and their rotation (keys/rotation.ts). */
export function signingKeyRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'get',
      path: '/signing-keys',
      tags,
      summary: 'Signing keys, newest first',
      responses: { 200: jsonResponse(z.object({ list: z.array(SigningKeySchema) }), 'Keys'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:settings']);
      return c.json({ list: (await listSigningKeys(c.var.db)).map((r) => view(c.env, r)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'post',
      path: '/signing-keys',
      tags,
      summary: 'Add a key: published in the JWKS and every snapshot, not signing yet',
      responses: { 201: jsonResponse(SigningKeySchema, 'The new key'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const row = await addSigningKey(c.env, c.var.db);
      await auditEntry(c.var.db, principal, 'signing-key.add', { type: 'signing_key', id: row.kid }, null, { status: row.status });
      return c.json(view(c.env, row), 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'post',
      path: '/signing-keys/{kid}/activate',
      tags,
      summary: 'Make a published key the signing key; the previous one verifies until its tokens expire',
      request: { params: KidParam },
      responses: {
        200: jsonResponse(SigningKeySchema, 'The signing key'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const row = await activateSigningKey(c.env, c.var.db, c.req.valid('param').kid);
      await auditEntry(c.var.db, principal, 'signing-key.activate', { type: 'signing_key', id: row.kid }, null, { status: row.status });
      return c.json(view(c.env, row), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'post',
      path: '/signing-keys/{kid}/retire',
      tags,
      summary: 'Take a key out of the JWKS and every snapshot',
      request: { params: KidParam, body: jsonBody(RetireSchema) },
      responses: {
        200: jsonResponse(SigningKeySchema, 'The retired key'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const row = await retireSigningKey(c.env, c.var.db, c.req.valid('param').kid, { immediately: c.req.valid('json').immediately });
      await auditEntry(c.var.db, principal, 'signing-key.retire', { type: 'signing_key', id: row.kid }, null, { status: row.status });
      return c.json(view(c.env, row), 200);
    },
  );
  return app;
}
