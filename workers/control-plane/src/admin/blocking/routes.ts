import { requires } from '../../http/security.ts';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, or } from 'drizzle-orm';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { parseRange } from '../../../../shared/ip.ts';
import { republishAll } from '../../gateway-sync/snapshot.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';

const tags = ['Admin: blocking conditions'];
const TYPES = ['API', 'APPLICATION', 'USER', 'IP', 'IP_RANGE'] as const;
export const ConditionSchema = z
  .object({
    id: z.string(),
    conditionType: z.enum(TYPES),
    conditionValue: z.string(),
    inverted: z.boolean(),
    enabled: z.boolean(),
    createdAt: z.number().int(),
  })
  .openapi('BlockingCondition');
export const CreateBody = z
  .strictObject({
    conditionType: z.enum(TYPES),
    conditionValue: z.string().trim().min(1).max(300).openapi({
      description:
        'API: a context (`/petstore`, every version) or a context and version (`/petstore/v1`, that version); APPLICATION: an application id; USER: a user id or email; IP: an address; IP_RANGE: a CIDR range',
    }),
    inverted: z.boolean().default(false),
    enabled: z.boolean().default(true),
  })
  .superRefine((b, ctx) => {
    const range = parseRange(b.conditionValue);
    if (b.conditionType === 'IP' && (range === null || b.conditionValue.includes('/')))
      ctx.addIssue({ code: 'custom', path: ['conditionValue'], message: 'An IPv4 or IPv6 address' });
    if (b.conditionType === 'IP_RANGE' && (range === null || !b.conditionValue.includes('/')))
      ctx.addIssue({ code: 'custom', path: ['conditionValue'], message: 'A CIDR range, e.g. 203.0.113.0/24 or 2001:db8::/32' });
    if (b.conditionType === 'API' && !b.conditionValue.startsWith('/'))
      ctx.addIssue({
        code: 'custom',
        path: ['conditionValue'],
        message: 'An API context, e.g. /petstore, or a context and version, e.g. /petstore/v1',
      });
    if (b.inverted && b.conditionType !== 'IP' && b.conditionType !== 'IP_RANGE')
      ctx.addIssue({ code: 'custom', path: ['inverted'], message: 'Only IP conditions can be inverted' });
  })
  .openapi('CreateBlockingCondition');

const refused = (detail: string) => new ApiError('validation-failed', { detail, errors: [{ pointer: '/conditionValue', detail }] });

/**
 * What a condition's value names must exist, or the rule could never match and would block nothing
 * while looking as if it did. Answers the value to store: an API as `/context` (every version) or
 * `/context/version` (that one; WSO2's form), an application by id, a user by id (an email is
 * resolved to it), since those are what the gateway compares.
 */
async function resolveValue(db: Database, type: (typeof TYPES)[number], raw: string): Promise<string> {
  if (type === 'IP' || type === 'IP_RANGE') return raw;
  if (type === 'API') {
    const value = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
    const cut = value.lastIndexOf('/');
    const [whole, versioned] = await db.batch([
      db.select({ id: schema.apis.id }).from(schema.apis).where(eq(schema.apis.context, value)).limit(1),
      db
        .select({ id: schema.apis.id })
        .from(schema.apis)
        .where(and(eq(schema.apis.context, cut > 0 ? value.slice(0, cut) : ''), eq(schema.apis.version, value.slice(cut + 1))))
        .limit(1),
    ]);
    if (whole.length > 0 && versioned.length > 0)
      throw refused(`${value} is both an API context and a context with a version; block the version as well by blocking the context`);
    if (whole.length === 0 && versioned.length === 0)
      throw refused(`No API has the context ${value}, nor a context and version that make it`);
    return value;
  }
  if (type === 'APPLICATION') {
    const found = await db.select({ id: schema.applications.id }).from(schema.applications).where(eq(schema.applications.id, raw)).limit(1);
    if (found.length === 0) throw refused(`No application has the id ${raw}`);
    return raw;
  }
  const user = await db
    .select({ id: schema.users.id })
    .from(schema.users)
    .where(or(eq(schema.users.id, raw), eq(schema.users.email, raw), eq(schema.users.email, raw.toLowerCase())))
    .limit(1);
  const id = user[0]?.id;
  if (id === undefined) throw refused(`No user has the id or email ${raw}`);
  return id;
}

/** Blocking conditions compile into every environment's snapshot and bite on the next request. */
export function blockingRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: requires('admin:blocking'),
      method: 'get',
      path: '/blocking-conditions',
      tags,
      summary: 'Blocking conditions',
      responses: {
        200: jsonResponse(z.object({ list: z.array(ConditionSchema) }), 'Conditions'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:blocking']);
      const rows = await c.var.db.select().from(schema.blockingConditions).orderBy(desc(schema.blockingConditions.createdAt));
      return c.json({ list: rows }, 200);
    },
  );
  app.openapi(
    createRoute({
      security: requires('admin:blocking'),
      method: 'post',
      path: '/blocking-conditions',
      tags,
      summary: 'Add a blocking condition',
      request: { body: jsonBody(CreateBody) },
      responses: { 201: jsonResponse(ConditionSchema, 'The condition'), ...problems('unauthorized', 'forbidden', 'validation-failed') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:blocking']);
      const input = c.req.valid('json');
      const db = c.var.db;
      const body = { ...input, conditionValue: await resolveValue(db, input.conditionType, input.conditionValue) };
      const id = newId('blockingCondition');
      const [rows] = await db.batch([
        db
          .insert(schema.blockingConditions)
          .values({ id, ...body })
          .returning(),
        auditEntry(db, principal, 'blocking.create', { type: 'blocking_condition', id }, null, body),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      await republishAll(c.env, db);
      return c.json(row, 201);
    },
  );
  app.openapi(
    createRoute({
      security: requires('admin:blocking'),
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
      const [rows] = await db.batch([
        db.update(schema.blockingConditions).set({ enabled }).where(eq(schema.blockingConditions.id, conditionId)).returning(),
        auditEntry(
          db,
          principal,
          'blocking.update',
          { type: 'blocking_condition', id: conditionId },
          { enabled: before.enabled },
          { enabled },
        ),
      ]);
      await republishAll(c.env, db);
      return c.json(rows[0] ?? before, 200);
    },
  );
  app.openapi(
    createRoute({
      security: requires('admin:blocking'),
      method: 'delete',
      path: '/blocking-conditions/{conditionId}',
      tags,
      summary: 'Remove a blocking condition',
      request: { params: z.object({ conditionId: z.string() }) },
      responses: { 204: { description: 'Removed' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:blocking']);
      const db = c.var.db;
      const { conditionId } = c.req.valid('param');
      const before = (await db.select().from(schema.blockingConditions).where(eq(schema.blockingConditions.id, conditionId)).limit(1))[0];
      if (before === undefined) throw new ApiError('not-found', { detail: 'No such blocking condition' });
      await db.batch([
        db.delete(schema.blockingConditions).where(eq(schema.blockingConditions.id, conditionId)),
        auditEntry(db, principal, 'blocking.delete', { type: 'blocking_condition', id: conditionId }, before, null),
      ]);
      await republishAll(c.env, db);
      return c.body(null, 204);
    },
  );
  return app;
}
