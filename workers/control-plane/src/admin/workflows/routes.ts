import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, sql } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { syncSubscription } from '../../gateway-sync/subscriptions.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { requires } from '../../http/security.ts';

const TYPES = ['USER_SIGNUP', 'APPLICATION_CREATION', 'SUBSCRIPTION_CREATION'] as const;
export const WorkflowSchema = z
  .object({ id: z.string(), type: z.enum(TYPES), referenceId: z.string(), status: z.enum(['PENDING', 'APPROVED', 'REJECTED']), requestedBy: z.string().nullable(), decidedBy: z.string().nullable(), reason: z.string().nullable(), createdAt: z.number().int(), decidedAt: z.number().int().nullable() })
  .openapi('Workflow');
export const SettingsSchema = z.object({ selfSignup: z.boolean(), workflows: z.object({ USER_SIGNUP: z.boolean(), APPLICATION_CREATION: z.boolean(), SUBSCRIPTION_CREATION: z.boolean() }) }).openapi('Settings');

/** Approval workflows (off by default) and the settings that switch them on. */
export function workflowRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({ security: requires('admin:settings'), method: 'get', path: '/settings', tags: ['Admin: settings'], summary: 'Self sign-up and approval workflow switches', responses: { 200: jsonResponse(SettingsSchema, 'Settings'), ...problems('unauthorized', 'forbidden') } }),
    async (c) => {
      principalOf(c.var.principal, ['admin:settings']);
      const rows = await c.var.db.select().from(schema.settings);
      const value = (k: string) => rows.find((r) => r.key === k)?.value;
      return c.json({ selfSignup: value('selfSignup') !== false, workflows: { USER_SIGNUP: false, APPLICATION_CREATION: false, SUBSCRIPTION_CREATION: false, ...(value('workflows') as object | undefined) } }, 200);
    },
  );

  app.openapi(
    createRoute({ security: requires('admin:settings'),
      method: 'patch',
      path: '/settings',
      tags: ['Admin: settings'],
      summary: 'Turn self sign-up and approval workflows on or off',
      request: { body: jsonBody(z.strictObject({ selfSignup: z.boolean().optional(), workflows: z.strictObject({ USER_SIGNUP: z.boolean().optional(), APPLICATION_CREATION: z.boolean().optional(), SUBSCRIPTION_CREATION: z.boolean().optional() }).optional() })) },
      responses: { 200: jsonResponse(SettingsSchema, 'Settings'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const body = c.req.valid('json');
      const rows = await db.select().from(schema.settings);
      const current = { selfSignup: rows.find((r) => r.key === 'selfSignup')?.value !== false, workflows: { USER_SIGNUP: false, APPLICATION_CREATION: false, SUBSCRIPTION_CREATION: false, ...(rows.find((r) => r.key === 'workflows')?.value as object | undefined) } };
      const next = { selfSignup: body.selfSignup ?? current.selfSignup, workflows: { ...current.workflows, ...body.workflows } };
      const upsert = (key: string, value: unknown) => db.insert(schema.settings).values({ key, value }).onConflictDoUpdate({ target: schema.settings.key, set: { value } });
      await db.batch([upsert('selfSignup', next.selfSignup), upsert('workflows', next.workflows), auditEntry(db, principal, 'settings.update', { type: 'settings', id: 'platform' }, current, next)]);
      return c.json(next, 200);
    },
  );

  app.openapi(
    createRoute({ security: requires('admin:workflows'), method: 'get', path: '/workflows', tags: ['Admin: workflows'], summary: 'Approval requests', request: { query: z.object({ status: z.enum(['PENDING', 'APPROVED', 'REJECTED']).optional() }) }, responses: { 200: jsonResponse(z.object({ list: z.array(WorkflowSchema) }), 'Requests'), ...problems('unauthorized', 'forbidden') } }),
    async (c) => {
      principalOf(c.var.principal, ['admin:workflows']);
      const { status } = c.req.valid('query');
      const rows = await c.var.db.select().from(schema.workflows).where(status === undefined ? undefined : eq(schema.workflows.status, status)).orderBy(desc(schema.workflows.createdAt)).limit(500);
      return c.json({ list: rows }, 200);
    },
  );

  app.openapi(
    createRoute({ security: requires('admin:workflows'),
      method: 'post',
      path: '/workflows/{workflowId}/decision',
      tags: ['Admin: workflows'],
      summary: 'Approve or reject a pending request (with a reason)',
      request: { params: z.object({ workflowId: z.string() }), body: jsonBody(z.strictObject({ approve: z.boolean(), reason: z.string().max(1000).default('') })) },
      responses: { 200: jsonResponse(WorkflowSchema, 'The decided request'), ...problems('unauthorized', 'forbidden', 'not-found', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:workflows']);
      const db = c.var.db;
      const { approve, reason } = c.req.valid('json');
      const wf = (await db.select().from(schema.workflows).where(eq(schema.workflows.id, c.req.valid('param').workflowId)).limit(1))[0];
      if (wf === undefined) throw new ApiError('not-found', { detail: 'No such approval request' });
      if (wf.status !== 'PENDING') throw new ApiError('conflict', { detail: `This request was already ${wf.status}` });
      const now = Date.now();
      const decided = db
        .update(schema.workflows)
        .set({ status: approve ? 'APPROVED' : 'REJECTED', decidedBy: principal.userId, reason, decidedAt: now })
        .where(and(eq(schema.workflows.id, wf.id), eq(schema.workflows.status, 'PENDING')))
        .returning();
      const audit = auditEntry(db, principal, approve ? 'workflow.approve' : 'workflow.reject', { type: 'workflow', id: wf.id }, { status: 'PENDING' }, { status: approve ? 'APPROVED' : 'REJECTED', reason });
      // The effect applies only if this batch's own decision landed (not a concurrent one).
      const ours = sql`EXISTS (SELECT 1 FROM workflows WHERE id = ${wf.id} AND decided_by = ${principal.userId} AND decided_at = ${now})`;
      const effect =
        wf.type === 'USER_SIGNUP'
          ? db.update(schema.users).set({ status: approve ? 'ACTIVE' : 'REJECTED', updatedAt: now }).where(and(eq(schema.users.id, wf.referenceId), ours))
          : wf.type === 'APPLICATION_CREATION'
            ? db.update(schema.applications).set({ status: approve ? 'APPROVED' : 'REJECTED', updatedAt: now }).where(and(eq(schema.applications.id, wf.referenceId), ours))
            : db.update(schema.subscriptions).set({ status: approve ? 'UNBLOCKED' : 'REJECTED', updatedAt: now }).where(and(eq(schema.subscriptions.id, wf.referenceId), ours));
      const [rows] = await db.batch([decided, effect, audit]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('conflict', { detail: 'This request was decided concurrently' });
      if (wf.type === 'SUBSCRIPTION_CREATION') {
        const sub = (await db.select().from(schema.subscriptions).where(eq(schema.subscriptions.id, wf.referenceId)).limit(1))[0];
        if (sub !== undefined) await syncSubscription(c.env, db, sub.applicationId, sub.apiId);
      }
      return c.json(row, 200);
    },
  );
  return app;
}
