import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { desc, eq } from 'drizzle-orm';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { republishAll } from '../../gateway-sync/snapshot.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';

const tags = ['Admin: blocking conditions'];
const TYPES = ['API', 'APPLICATION', 'USER', 'IP', 'IP_RANGE'] as const;
export const ConditionSchema = z.object({ id: z.string(), conditionType: z.enum(TYPES), conditionValue: z.string(), inverted: z.boolean(), enabled: z.boolean(), createdAt: z.number().int() }).openapi('BlockingCondition');
const IPV4 = /^(\d{1,3})(\.\d{1,3}){3}$/;
const IPV6 = /^[0-9a-fA-F:]+$/;

export const CreateBody = z
  .strictObject({ conditionType: z.enum(TYPES), conditionValue: z.string().trim().min(1).max(300), inverted: z.boolean().default(false), enabled: z.boolean().default(true) })
  .superRefine((b, ctx) => {
    const [addr = '', bits] = b.conditionValue.split('/');
    const ipOk = (IPV4.test(addr) && addr.split('.').every((p) => Number(p) <= 255)) || (addr.includes(':') && IPV6.test(addr));
    if (b.conditionType === 'IP' && (!ipOk || bits !== undefined)) ctx.addIssue({ code: 'custom', path: ['conditionValue'], message: 'An IPv4 or IPv6 address' });
    if (b.conditionType === 'IP_RANGE' && (!ipOk || bits === undefined || !/^\d{1,3}$/.test(bits) || Number(bits) > (addr.includes(':') ? 128 : 32))) ctx.addIssue({ code: 'custom', path: ['conditionValue'], message: 'A CIDR range, e.g. 203.0.113.0/24 or 2001:db8::/32' });
    if (b.conditionType === 'API' && !b.conditionValue.startsWith('/')) ctx.addIssue({ code: 'custom', path: ['conditionValue'], message: 'An API context, e.g. /petstore' });
    if (b.inverted && b.conditionType !== 'IP' && b.conditionType !== 'IP_RANGE') ctx.addIssue({ code: 'custom', path: ['inverted'], message: 'Only IP conditions can be inverted' });
  })
  .openapi('CreateBlockingCondition');

/** Blocking conditions compile into every environment's snapshot and bite on the next request. */
export function blockingRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({ method: 'get', path: '/blocking-conditions', tags, summary: 'Blocking conditions', responses: { 200: jsonResponse(z.object({ list: z.array(ConditionSchema) }), 'Conditions'), ...problems('unauthorized', 'forbidden') } }),
    async (c) => {
      principalOf(c.var.principal, ['admin:blocking']);
      const rows = await c.var.db.select().from(schema.blockingConditions).orderBy(desc(schema.blockingConditions.createdAt));
      return c.json({ list: rows }, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'post', path: '/blocking-conditions', tags, summary: 'Add a blocking condition', request: { body: jsonBody(CreateBody) }, responses: { 201: jsonResponse(ConditionSchema, 'The condition'), ...problems('unauthorized', 'forbidden') } }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:blocking']);
      const body = c.req.valid('json');
      const db = c.var.db;
      const id = newId('blockingCondition');
      const [rows] = await db.batch([db.insert(schema.blockingConditions).values({ id, ...body }).returning(), auditEntry(db, principal, 'blocking.create', { type: 'blocking_condition', id }, null, body)]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      await republishAll(c.env, db);
      return c.json(row, 201);
    },
  );
  app.openapi(
    createRoute({
      method: 'patch',
      path: '/blocking-conditions/{conditionId}',
      tags,
      summary: 'Enable or disable a blocking condition',
      request: { params: z.object({ conditionId: z.string() }), body: jsonBody(z.strictObject({ enabled: z.boolean() })) },
      responses: { 200: jsonResponse(ConditionSchema, 'The condition'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:blocking']);
      const db = c.var.db;
      const { conditionId } = c.req.valid('param');
      const { enabled } = c.req.valid('json');
      const before = (await db.select().from(schema.blockingConditions).where(eq(schema.blockingConditions.id, conditionId)).limit(1))[0];
      if (before === undefined) throw new ApiError('not-found', { detail: 'No such blocking condition' });
      const [rows] = await db.batch([db.update(schema.blockingConditions).set({ enabled }).where(eq(schema.blockingConditions.id, conditionId)).returning(), auditEntry(db, principal, 'blocking.update', { type: 'blocking_condition', id: conditionId }, { enabled: before.enabled }, { enabled })]);
      await republishAll(c.env, db);
      return c.json(rows[0] ?? before, 200);
    },
  );
  app.openapi(
    createRoute({ method: 'delete', path: '/blocking-conditions/{conditionId}', tags, summary: 'Remove a blocking condition', request: { params: z.object({ conditionId: z.string() }) }, responses: { 204: { description: 'Removed' }, ...problems('unauthorized', 'forbidden', 'not-found') } }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:blocking']);
      const db = c.var.db;
      const { conditionId } = c.req.valid('param');
      const before = (await db.select().from(schema.blockingConditions).where(eq(schema.blockingConditions.id, conditionId)).limit(1))[0];
      if (before === undefined) throw new ApiError('not-found', { detail: 'No such blocking condition' });
      await db.batch([db.delete(schema.blockingConditions).where(eq(schema.blockingConditions.id, conditionId)), auditEntry(db, principal, 'blocking.delete', { type: 'blocking_condition', id: conditionId }, before, null)]);
      await republishAll(c.env, db);
      return c.body(null, 204);
    },
  );
  return app;
}
