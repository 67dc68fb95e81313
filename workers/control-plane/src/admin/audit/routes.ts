import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, gte, inArray, lt, type SQL } from 'drizzle-orm';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { PagingQuery, jsonResponse, pageOf, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { requires } from '../../http/security.ts';

export const EntrySchema = z
  .object({
    id: z.string(),
    actorId: z.string().nullable(),
    actorEmail: z.string().nullable(),
    action: z.string(),
    entityType: z.string(),
    entityId: z.string(),
    entityName: z.string().nullable().openapi({
      description:
        'What the entity is called now (an API "Name version", an application, a user\'s email, a subscription "Application → API"); null when it no longer exists or has no name',
    }),
    before: z.unknown(),
    after: z.unknown(),
    createdAt: z.number().int(),
  })
  .openapi('AuditEntry');

/** Current names for a page of entries, one query per entity type present. */
async function entityNames(db: Database, entries: ReadonlyArray<{ entityType: string; entityId: string }>): Promise<Map<string, string>> {
  const ids = (type: string) => [...new Set(entries.filter((e) => e.entityType === type).map((e) => e.entityId))];
  const out = new Map<string, string>();
  const put = (type: string, rows: Array<{ id: string; name: string }>) => rows.forEach((r) => out.set(`${type}:${r.id}`, r.name));
  const some = <T>(list: string[], q: (list: string[]) => Promise<T[]>): Promise<T[]> =>
    list.length === 0 ? Promise.resolve([]) : q(list);
  const [apis, apps, users, policies, environments, subs] = await Promise.all([
    some(ids('api'), (l) =>
      db
        .select({ id: schema.apis.id, name: schema.apis.name, version: schema.apis.version })
        .from(schema.apis)
        .where(inArray(schema.apis.id, l)),
    ),
    some(ids('application'), (l) =>
      db
        .select({ id: schema.applications.id, name: schema.applications.name })
        .from(schema.applications)
        .where(inArray(schema.applications.id, l)),
    ),
    some(ids('user'), (l) =>
      db.select({ id: schema.users.id, name: schema.users.email }).from(schema.users).where(inArray(schema.users.id, l)),
    ),
    some(ids('throttling_policy'), (l) =>
      db
        .select({ id: schema.throttlingPolicies.id, name: schema.throttlingPolicies.displayName })
        .from(schema.throttlingPolicies)
        .where(inArray(schema.throttlingPolicies.id, l)),
    ),
    some(ids('gateway_environment'), (l) =>
      db
        .select({ id: schema.gatewayEnvironments.id, name: schema.gatewayEnvironments.displayName })
        .from(schema.gatewayEnvironments)
        .where(inArray(schema.gatewayEnvironments.id, l)),
    ),
    some(ids('subscription'), (l) =>
      db
        .select({ id: schema.subscriptions.id, app: schema.applications.name, api: schema.apis.name, version: schema.apis.version })
        .from(schema.subscriptions)
        .innerJoin(schema.applications, eq(schema.applications.id, schema.subscriptions.applicationId))
        .innerJoin(schema.apis, eq(schema.apis.id, schema.subscriptions.apiId))
        .where(inArray(schema.subscriptions.id, l)),
    ),
  ]);
  put(
    'api',
    apis.map((a) => ({ id: a.id, name: `${a.name} ${a.version}` })),
  );
  put('application', apps);
  put('user', users);
  put('throttling_policy', policies);
  put('gateway_environment', environments);
  put(
    'subscription',
    subs.map((s) => ({ id: s.id, name: `${s.app} → ${s.api} ${s.version}` })),
  );
  return out;
}

/** The audit log: who changed what, when, before and after; newest first, filterable. */
export function auditRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: requires('admin:audit'),
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
      const rows = await c.var.db
        .select()
        .from(a)
        .where(conditions.length > 0 ? and(...conditions) : undefined)
        .orderBy(desc(a.createdAt))
        .limit(q.limit + 1)
        .offset(q.offset);
      const page = rows.slice(0, q.limit);
      const names = await entityNames(c.var.db, page);
      const list = page.map((e) => ({ ...e, entityName: names.get(`${e.entityType}:${e.entityId}`) ?? null }));
      return c.json({ count: list.length, total: q.offset + rows.length, limit: q.limit, offset: q.offset, list }, 200);
    },
  );
  return app;
}
