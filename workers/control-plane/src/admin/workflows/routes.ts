import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { syncSubscription } from '../../gateway-sync/subscriptions.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { requires } from '../../http/security.ts';

const TYPES = ['USER_SIGNUP', 'APPLICATION_CREATION', 'SUBSCRIPTION_CREATION'] as const;
const Named = z.object({ id: z.string(), name: z.string() });
export const WorkflowSubjectSchema = z
  .object({
    developer: z
      .object({ id: z.string(), name: z.string(), email: z.string() })
      .nullable()
      .openapi({ description: 'Who asks: the developer signing up, or the owner of the application' }),
    application: Named.nullable(),
    api: Named.extend({ version: z.string() }).nullable(),
    tier: z.string().nullable(),
  })
  .openapi('WorkflowSubject', {
    description: 'Who asks for what, by name; null where the request type has no such part or it was deleted since',
  });
export const WorkflowSchema = z
  .object({
    id: z.string(),
    type: z.enum(TYPES),
    referenceId: z.string(),
    status: z.enum(['PENDING', 'APPROVED', 'REJECTED']),
    requestedBy: z.string().nullable(),
    decidedBy: z.string().nullable(),
    reason: z.string().nullable().openapi({ description: "The admin's reason, shown to the requester beside the decision" }),
    createdAt: z.number().int(),
    decidedAt: z.number().int().nullable(),
    subject: WorkflowSubjectSchema,
  })
  .openapi('Workflow');
type WorkflowRow = typeof schema.workflows.$inferSelect;
type WorkflowSubject = z.infer<typeof WorkflowSubjectSchema>;

/** Names for a page of requests: the user, application, API and tier each refers to, in four queries at most. */
async function withSubjects(db: Database, rows: readonly WorkflowRow[]): Promise<Array<WorkflowRow & { subject: WorkflowSubject }>> {
  const ids = (type: WorkflowRow['type']) => rows.filter((r) => r.type === type).map((r) => r.referenceId);
  const subIds = ids('SUBSCRIPTION_CREATION');
  const subs = subIds.length === 0 ? [] : await db.select().from(schema.subscriptions).where(inArray(schema.subscriptions.id, subIds));
  const appIds = [...ids('APPLICATION_CREATION'), ...subs.map((s) => s.applicationId)];
  const apps = appIds.length === 0 ? [] : await db.select().from(schema.applications).where(inArray(schema.applications.id, appIds));
  const userIds = [...ids('USER_SIGNUP'), ...apps.map((a) => a.ownerId)];
  const [users, apis] = await Promise.all([
    userIds.length === 0
      ? []
      : db
          .select({ id: schema.users.id, name: schema.users.displayName, email: schema.users.email })
          .from(schema.users)
          .where(inArray(schema.users.id, userIds)),
    subs.length === 0
      ? []
      : db
          .select({ id: schema.apis.id, name: schema.apis.name, version: schema.apis.version })
          .from(schema.apis)
          .where(
            inArray(
              schema.apis.id,
              subs.map((s) => s.apiId),
            ),
          ),
  ]);
  const user = (id: string | undefined) => users.find((u) => u.id === id) ?? null;
  const application = (id: string | undefined) => apps.find((a) => a.id === id);
  return rows.map((r) => {
    if (r.type === 'USER_SIGNUP') return { ...r, subject: { developer: user(r.referenceId), application: null, api: null, tier: null } };
    const sub = r.type === 'SUBSCRIPTION_CREATION' ? subs.find((s) => s.id === r.referenceId) : undefined;
    const app = application(r.type === 'APPLICATION_CREATION' ? r.referenceId : sub?.applicationId);
    return {
      ...r,
      subject: {
        developer: user(app?.ownerId),
        application: app === undefined ? null : { id: app.id, name: app.name },
        api: apis.find((a) => a.id === sub?.apiId) ?? null,
        tier: sub?.tier ?? null,
      },
    };
  });
}
export const SettingsSchema = z
  .object({
    selfSignup: z.boolean(),
    workflows: z.object({ USER_SIGNUP: z.boolean(), APPLICATION_CREATION: z.boolean(), SUBSCRIPTION_CREATION: z.boolean() }),
  })
  .openapi('Settings');

/** Approval workflows (off by default) and the settings that switch them on. */
export function workflowRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'get',
      path: '/settings',
      tags: ['Admin: settings'],
      summary: 'Self sign-up and approval workflow switches',
      responses: { 200: jsonResponse(SettingsSchema, 'Settings'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:settings']);
      const rows = await c.var.db.select().from(schema.settings);
      const value = (k: string) => rows.find((r) => r.key === k)?.value;
      return c.json(
        {
          selfSignup: value('selfSignup') !== false,
          workflows: {
            USER_SIGNUP: false,
            APPLICATION_CREATION: false,
            SUBSCRIPTION_CREATION: false,
            ...(value('workflows') as object | undefined),
          },
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'patch',
      path: '/settings',
      tags: ['Admin: settings'],
      summary: 'Turn self sign-up and approval workflows on or off',
      request: {
        body: jsonBody(
          z.strictObject({
            selfSignup: z.boolean().optional(),
            workflows: z
              .strictObject({
                USER_SIGNUP: z.boolean().optional(),
                APPLICATION_CREATION: z.boolean().optional(),
                SUBSCRIPTION_CREATION: z.boolean().optional(),
              })
              .optional(),
          }),
        ),
      },
      responses: { 200: jsonResponse(SettingsSchema, 'Settings'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const body = c.req.valid('json');
      const rows = await db.select().from(schema.settings);
      const current = {
        selfSignup: rows.find((r) => r.key === 'selfSignup')?.value !== false,
        workflows: {
          USER_SIGNUP: false,
          APPLICATION_CREATION: false,
          SUBSCRIPTION_CREATION: false,
          ...(rows.find((r) => r.key === 'workflows')?.value as object | undefined),
        },
      };
      const next = { selfSignup: body.selfSignup ?? current.selfSignup, workflows: { ...current.workflows, ...body.workflows } };
      const upsert = (key: string, value: unknown) =>
        db.insert(schema.settings).values({ key, value }).onConflictDoUpdate({ target: schema.settings.key, set: { value } });
      await db.batch([
        upsert('selfSignup', next.selfSignup),
        upsert('workflows', next.workflows),
        auditEntry(db, principal, 'settings.update', { type: 'settings', id: 'platform' }, current, next),
      ]);
      return c.json(next, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:workflows'),
      method: 'get',
      path: '/workflows',
      tags: ['Admin: workflows'],
      summary: 'Approval requests',
      request: { query: z.object({ status: z.enum(['PENDING', 'APPROVED', 'REJECTED']).optional() }) },
      responses: { 200: jsonResponse(z.object({ list: z.array(WorkflowSchema) }), 'Requests'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:workflows']);
      const { status } = c.req.valid('query');
      const rows = await c.var.db
        .select()
        .from(schema.workflows)
        .where(status === undefined ? undefined : eq(schema.workflows.status, status))
        .orderBy(desc(schema.workflows.createdAt))
        .limit(500);
      return c.json({ list: await withSubjects(c.var.db, rows) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:workflows'),
      method: 'post',
      path: '/workflows/{workflowId}/decision',
      tags: ['Admin: workflows'],
      summary: 'Approve or reject a pending request (with a reason)',
      request: {
        params: z.object({ workflowId: z.string() }),
        body: jsonBody(z.strictObject({ approve: z.boolean(), reason: z.string().max(1000).default('') })),
      },
      responses: {
        200: jsonResponse(WorkflowSchema, 'The decided request'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:workflows']);
      const db = c.var.db;
      const { approve, reason } = c.req.valid('json');
      const wf = (
        await db
          .select()
          .from(schema.workflows)
          .where(eq(schema.workflows.id, c.req.valid('param').workflowId))
          .limit(1)
      )[0];
      if (wf === undefined) throw new ApiError('not-found', { detail: 'No such approval request' });
      if (wf.status !== 'PENDING') throw new ApiError('conflict', { detail: `This request was already ${wf.status}` });
      const now = Date.now();
      const decided = db
        .update(schema.workflows)
        .set({ status: approve ? 'APPROVED' : 'REJECTED', decidedBy: principal.userId, reason, decidedAt: now })
        .where(and(eq(schema.workflows.id, wf.id), eq(schema.workflows.status, 'PENDING')))
        .returning();
      const audit = auditEntry(
        db,
        principal,
        approve ? 'workflow.approve' : 'workflow.reject',
        { type: 'workflow', id: wf.id },
        { status: 'PENDING' },
        { status: approve ? 'APPROVED' : 'REJECTED', reason },
      );
      // The effect applies only if this batch's own decision landed (not a concurrent one).
      const ours = sql`EXISTS (SELECT 1 FROM workflows WHERE id = ${wf.id} AND decided_by = ${principal.userId} AND decided_at = ${now})`;
      const effect =
        wf.type === 'USER_SIGNUP'
          ? db
              .update(schema.users)
              .set({ status: approve ? 'ACTIVE' : 'REJECTED', updatedAt: now })
              .where(and(eq(schema.users.id, wf.referenceId), ours))
          : wf.type === 'APPLICATION_CREATION'
            ? db
                .update(schema.applications)
                .set({ status: approve ? 'APPROVED' : 'REJECTED', updatedAt: now })
                .where(and(eq(schema.applications.id, wf.referenceId), ours))
            : db
                .update(schema.subscriptions)
                .set({ status: approve ? 'UNBLOCKED' : 'REJECTED', updatedAt: now })
                .where(and(eq(schema.subscriptions.id, wf.referenceId), ours));
      const [rows] = await db.batch([decided, effect, audit]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('conflict', { detail: 'This request was decided concurrently' });
      if (wf.type === 'SUBSCRIPTION_CREATION') {
        const sub = (await db.select().from(schema.subscriptions).where(eq(schema.subscriptions.id, wf.referenceId)).limit(1))[0];
        if (sub !== undefined) await syncSubscription(c.env, db, sub.applicationId, sub.apiId);
      }
      return c.json(
        (await withSubjects(db, [row]))[0] ?? { ...row, subject: { developer: null, application: null, api: null, tier: null } },
        200,
      );
    },
  );
  return app;
}
