import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import { TRUSTED_ISSUERS_KEY, trustedIssuers } from '../../oauth/jwt-bearer.ts';
import type { AppEnv } from '../../types.ts';
import { requires } from '../../http/security.ts';

const tags = ['Admin: trusted token issuers'];
const ALGORITHMS = ['ES256', 'ES384', 'RS256', 'RS384', 'RS512', 'PS256', 'EdDSA'] as const;

/** A public key only: any private member is refused, so a mistake cannot store a private key. */
const PublicJwk = z
  .object({ kty: z.enum(['EC', 'RSA', 'OKP']), kid: z.string().min(1).max(200), alg: z.enum(ALGORITHMS) })
  .catchall(z.unknown())
  .refine((k) => !['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((m) => m in k), 'Public keys only: remove the private members');

export const IssuerSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'Letters, digits, dots, dashes and underscores')
      .max(60),
    issuer: z.string().min(1).max(500),
    jwks: z.strictObject({ keys: z.array(PublicJwk).min(1).max(20) }),
  })
  .openapi('TrustedIssuer');

/**
 * External identity providers whose JWTs the Key Manager exchanges for access tokens (RFC 7523).
 * Their keys are registered here, never fetched.
 */
export function trustedIssuerRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const save = (c: { var: AppEnv['Variables'] }, list: unknown[]) =>
    c.var.db
      .insert(schema.settings)
      .values({ key: TRUSTED_ISSUERS_KEY, value: list })
      .onConflictDoUpdate({ target: schema.settings.key, set: { value: list } });

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'get',
      path: '/trusted-issuers',
      tags,
      summary: 'Trusted token issuers',
      responses: { 200: jsonResponse(z.object({ list: z.array(IssuerSchema) }), 'Issuers'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:settings']);
      return c.json({ list: (await trustedIssuers(c.var.db)) as unknown as Array<z.infer<typeof IssuerSchema>> }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'put',
      path: '/trusted-issuers/{name}',
      tags,
      summary: 'Trust an issuer (or replace its keys)',
      request: { params: z.object({ name: z.string() }), body: jsonBody(IssuerSchema) },
      responses: { 200: jsonResponse(IssuerSchema, 'The issuer'), ...problems('unauthorized', 'forbidden', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const body = c.req.valid('json');
      if (body.name !== c.req.valid('param').name)
        throw new ApiError('validation-failed', {
          detail: 'The name in the path and the body differ',
          errors: [{ pointer: '/name', detail: 'Must match the path' }],
        });
      const list = await trustedIssuers(c.var.db);
      if (list.some((t) => t.issuer === body.issuer && t.name !== body.name))
        throw new ApiError('conflict', {
          detail: `Issuer ${body.issuer} is already trusted under another name`,
          errors: [{ pointer: '/issuer', detail: 'Already trusted' }],
        });
      const next = [...list.filter((t) => t.name !== body.name), body];
      await c.var.db.batch([
        save(c, next),
        auditEntry(c.var.db, principal, 'trusted-issuer.put', { type: 'trusted_issuer', id: body.name }, null, {
          issuer: body.issuer,
          kids: body.jwks.keys.map((k) => k.kid),
        }),
      ]);
      return c.json(body, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'delete',
      path: '/trusted-issuers/{name}',
      tags,
      summary: 'Stop trusting an issuer',
      request: { params: z.object({ name: z.string() }) },
      responses: { 204: { description: 'No longer trusted' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const { name } = c.req.valid('param');
      const list = await trustedIssuers(c.var.db);
      if (!list.some((t) => t.name === name)) throw new ApiError('not-found', { detail: `No trusted issuer named ${name}` });
      await c.var.db.batch([
        save(
          c,
          list.filter((t) => t.name !== name),
        ),
        auditEntry(c.var.db, principal, 'trusted-issuer.delete', { type: 'trusted_issuer', id: name }, null, null),
      ]);
      return c.body(null, 204);
    },
  );
  return app;
}
