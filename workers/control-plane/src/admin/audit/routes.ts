import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, gte, lt, type SQL } from 'drizzle-orm';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { PagingQuery, jsonResponse, pageOf, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { requires } from '../../http/security.ts';

export const EntrySchema = z
  .object({ id: z.string(), actorId: z.string().nullable(), actorEmail: z.string().nullable(), action: z.string(), entityType: z.string(), entityId: z.string(), before: z.unknown(), after: z.unknown(), createdAt: z.number().int() })
  .openapi('AuditEntry');

/** The audit log: who changed what, when, before and after; newest first, filterable. */
export function auditRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({ security: requires('admin:audit'),
      method: 'get',
      path: '/audit-log',
      tags: ['Admin: audit log'],
      summary: 'Every change made through the control plane',
      request: {
        query: PagingQuery.extend({
          actorId: z.string().optional(),
          action: z.string().max(100).optional(),
          entityType: z.string().max(100).optional(),
          entityId: z.string().optional(),
          from: z.coerce.number().int().optional(),
          to: z.coerce.number().int().optional(),
        }),
      },
      responses: { 200: jsonResponse(pageOf(EntrySchema), 'Entries'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:audit']);
      const q = c.req.valid('query');
      const a = schema.auditLog;
      const conditions: SQL[] = [];
      if (q.actorId !== undefined) conditions.push(eq(a.actorId, q.actorId));
      if (q.action !== undefined) conditions.push(eq(a.action, q.action));
      if (q.entityType !== undefined) conditions.push(eq(a.entityType, q.entityType));
      if (q.entityId !== undefined) conditions.push(eq(a.entityId, q.entityId));
      if (q.from !== undefined) conditions.push(gte(a.createdAt, q.from));
      if (q.to !== undefined) conditions.push(lt(a.createdAt, q.to));
      const rows = await c.var.db.select().from(a).where(conditions.length > 0 ? and(...conditions) : undefined).orderBy(desc(a.createdAt)).limit(q.limit + 1).offset(q.offset);
      const list = rows.slice(0, q.limit);
      return c.json({ count: list.length, total: q.offset + rows.length, limit: q.limit, offset: q.offset, list }, 200);
    },
  );
  return app;
}
