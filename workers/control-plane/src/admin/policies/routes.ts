import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { POLICY_KINDS, TIME_UNITS } from '../../../../shared/db/schema.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { republishAll } from '../../gateway-sync/snapshot.ts';
import { enqueueTierFanout, restartTierFanout } from '../../gateway-sync/tier-fanout.ts';
import { IpOrCidr, jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { requires } from '../../http/security.ts';
import { nameText } from '../../http/fields.ts';
import {
  IfMatchHeaders,
  assertIfMatch,
  entityTag,
  isStaleWrite,
  nextVersion,
  staleWrite,
  taggedJsonResponse,
  versionGuard,
} from '../../http/etag.ts';

const tags = ['Admin: throttling policies'];

const TEMPLATE_VARIABLES = ['$userId', '$appId', '$apiContext', '$apiVersion', '$clientIp'];

const Condition = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('ip'), cidr: IpOrCidr, invert: z.boolean().default(false) }),
  z.strictObject({
    type: z.literal('header'),
    name: z
      .string()
      .regex(/^[A-Za-z0-9-]+$/, 'A header name')
      .max(100),
    value: z.string().max(500),
    invert: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('query'),
    name: z.string().min(1).max(100),
    value: z.string().max(500),
    invert: z.boolean().default(false),
  }),
  z.strictObject({
    type: z.literal('jwtClaim'),
    claim: z.string().min(1).max(100),
    value: z.string().max(500),
    invert: z.boolean().default(false),
  }),
]);

const ConditionalGroupSchema = z.strictObject({
  description: z.string().max(500).default(''),
  conditions: z.array(Condition).min(1).max(10),
  limit: z.strictObject({
    quotaType: z.enum(['requestCount', 'bandwidth']).default('requestCount'),
    limit: z.number().int().min(1),
    unitTime: z.number().int().min(1).max(1000).default(1),
    timeUnit: z.enum(TIME_UNITS).default('min'),
  }),
});

export const PolicyBody = z
  .strictObject({
    kind: z.enum(POLICY_KINDS),
    name: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'Letters, digits, dots, dashes and underscores')
      .max(60),
    displayName: nameText(100).optional(),
    description: z.string().max(1000).default(''),
    quotaType: z.enum(['requestCount', 'bandwidth']).default('requestCount'),
    limit: z.number().int().min(1).nullable().openapi({ description: 'Requests (or bytes) per window; null is unlimited' }),
    unitTime: z.number().int().min(1).max(1000).default(1),
    timeUnit: z.enum(TIME_UNITS).default('min'),
    burstLimit: z.number().int().min(1).nullable().default(null),
    burstTimeUnit: z.enum(['sec', 'min']).nullable().default(null),
    stopOnQuotaReach: z.boolean().default(true),
    keyTemplate: z.string().max(200).nullable().default(null),
    failMode: z.enum(['open', 'closed']).default('open'),
    conditionalGroups: z.array(ConditionalGroupSchema).max(20).default([]).openapi({
      description:
        'Advanced policies: groups of conditions (all must hold) with their own limit, applied instead of the default to the calls they match',
    }),
  })
  .superRefine((p, ctx) => {
    if ((p.burstLimit === null) !== (p.burstTimeUnit === null))
      ctx.addIssue({ code: 'custom', path: ['burstLimit'], message: 'burstLimit and burstTimeUnit go together' });
    if (p.kind === 'custom' && p.keyTemplate === null)
      ctx.addIssue({ code: 'custom', path: ['keyTemplate'], message: 'A custom policy needs a key template, e.g. $userId:$apiContext' });
    if (p.kind !== 'custom' && p.keyTemplate !== null)
      ctx.addIssue({ code: 'custom', path: ['keyTemplate'], message: 'Only custom policies have a key template' });
    const unknown = (p.keyTemplate?.match(/\$[A-Za-z]+/g) ?? []).filter((v) => !TEMPLATE_VARIABLES.includes(v));
    if (unknown.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['keyTemplate'],
        message: `Unknown variables ${unknown.join(', ')}; use ${TEMPLATE_VARIABLES.join(' ')}`,
      });
    if (p.kind === 'custom' && p.keyTemplate !== null && !/\$[A-Za-z]+/.test(p.keyTemplate))
      ctx.addIssue({ code: 'custom', path: ['keyTemplate'], message: 'A key template names at least one variable' });
    // Overage is a property of what a subscriber pays for; elsewhere the switch would do nothing.
    if (p.kind !== 'subscription' && !p.stopOnQuotaReach)
      ctx.addIssue({ code: 'custom', path: ['stopOnQuotaReach'], message: 'Only subscription policies can allow overage' });
    if (p.kind !== 'advanced' && p.conditionalGroups.length > 0)
      ctx.addIssue({
        code: 'custom',
        path: ['conditionalGroups'],
        message: 'Only advanced (API and resource) policies have conditional groups',
      });
  })
  .openapi('ThrottlingPolicyRequest');

export const PolicySchema = z
  .object({
    id: z.string(),
    kind: z.enum(POLICY_KINDS),
    name: z.string(),
    displayName: z.string(),
    description: z.string(),
    quotaType: z.string(),
    limit: z.number().int().nullable(),
    unitTime: z.number().int(),
    timeUnit: z.string(),
    burstLimit: z.number().int().nullable(),
    burstTimeUnit: z.string().nullable(),
    stopOnQuotaReach: z.boolean(),
    failMode: z.string(),
    keyTemplate: z.string().nullable(),
    conditionalGroups: z.array(ConditionalGroupSchema),
  })
  .openapi('ThrottlingPolicy');

export const PropagationSchema = z
  .object({
    policyId: z.string(),
    generation: z.number().int().openapi({ description: 'Edits of this tier so far; 0 when it was never edited' }),
    total: z.number().int().nullable().openapi({
      description: 'Subscriptions on the tier: counted when the push starts (null until then), the number synced once it has finished',
    }),
    done: z.number().int().openapi({ description: 'Subscriptions whose counter object holds this edit' }),
    startedAt: z.number().int().nullable().openapi({ description: 'When the last edit was saved (ms)' }),
    finishedAt: z.number().int().nullable().openapi({ description: 'When every subscription held it (ms); null while running' }),
    lastError: z.string().nullable().openapi({ description: 'Why the push is waiting for a retry, if it is' }),
  })
  .openapi('TierPropagation');

type PolicyRow = typeof schema.throttlingPolicies.$inferSelect;
const view = (p: PolicyRow) => ({
  id: p.id,
  kind: p.kind,
  name: p.name,
  displayName: p.displayName,
  description: p.description,
  quotaType: p.quotaType,
  limit: p.limit,
  unitTime: p.unitTime,
  timeUnit: p.timeUnit,
  burstLimit: p.burstLimit,
  burstTimeUnit: p.burstTimeUnit,
  stopOnQuotaReach: p.stopOnQuotaReach,
  failMode: p.failMode,
  keyTemplate: p.keyTemplate,
  conditionalGroups: p.conditionalGroups,
});

export function policyRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires(),
      method: 'get',
      path: '/throttling-policies',
      tags,
      summary: 'Throttling policies, optionally of one kind',
      request: { query: z.object({ kind: z.enum(POLICY_KINDS).optional() }) },
      responses: { 200: jsonResponse(z.object({ list: z.array(PolicySchema) }), 'Policies'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      // Publishers choose tiers for their APIs, so they may read policies too.
      const principal = principalOf(c.var.principal);
      if (!principal.scopes.has('admin:policies') && !principal.scopes.has('api:create'))
        throw new ApiError('forbidden', { detail: 'Missing scope: admin:policies' });
      const { kind } = c.req.valid('query');
      const rows = await c.var.db
        .select()
        .from(schema.throttlingPolicies)
        .where(kind === undefined ? undefined : eq(schema.throttlingPolicies.kind, kind))
        .orderBy(schema.throttlingPolicies.kind, schema.throttlingPolicies.name);
      return c.json({ list: rows.map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:policies'),
      method: 'post',
      path: '/throttling-policies',
      tags,
      summary: 'Create a throttling policy',
      request: { body: jsonBody(PolicyBody) },
      responses: { 201: taggedJsonResponse(PolicySchema, 'The policy'), ...problems('unauthorized', 'forbidden', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:policies']);
      const body = c.req.valid('json');
      const db = c.var.db;
      const id = newId('policy');
      try {
        const [rows] = await db.batch([
          db
            .insert(schema.throttlingPolicies)
            .values({
              id,
              kind: body.kind,
              name: body.name,
              displayName: body.displayName ?? body.name,
              description: body.description,
              quotaType: body.quotaType,
              limit: body.limit,
              unitTime: body.unitTime,
              timeUnit: body.timeUnit,
              burstLimit: body.burstLimit,
              burstTimeUnit: body.burstTimeUnit,
              stopOnQuotaReach: body.stopOnQuotaReach,
              keyTemplate: body.keyTemplate,
              failMode: body.failMode,
              conditionalGroups: body.conditionalGroups,
            })
            .returning(),
          auditEntry(db, principal, 'policy.create', { type: 'throttling_policy', id }, null, body),
        ]);
        const row = rows[0];
        if (row === undefined) throw new ApiError('internal');
        if (body.kind !== 'subscription') await republishAll(c.env, db);
        const created = view(row);
        return c.json(created, 201, { etag: await entityTag(created) });
      } catch (err) {
        if (/UNIQUE constraint failed: throttling_policies/.test(String(err))) {
          throw new ApiError('conflict', {
            detail: `A ${body.kind} policy named ${body.name} exists`,
            errors: [{ pointer: '/name', detail: 'Taken for this kind' }],
          });
        }
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:policies'),
      method: 'delete',
      path: '/throttling-policies/{policyId}',
      tags,
      summary: 'Delete a throttling policy that nothing uses',
      request: { params: z.object({ policyId: z.string() }) },
      responses: { 204: { description: 'Deleted' }, ...problems('unauthorized', 'forbidden', 'not-found', 'in-use') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:policies']);
      const db = c.var.db;
      const policy = (
        await db
          .select()
          .from(schema.throttlingPolicies)
          .where(eq(schema.throttlingPolicies.id, c.req.valid('param').policyId))
          .limit(1)
      )[0];
      if (policy === undefined) throw new ApiError('not-found', { detail: 'No such policy' });
      const users = await policyUsers(db, policy);
      if (users.length > 0)
        throw new ApiError('in-use', {
          detail: `${policy.name} is used by ${users.join(', ')}${users.length >= USED_BY_SHOWN ? ' and maybe more' : ''}`,
          extensions: { usedBy: users },
        });
      await db.batch([
        db.delete(schema.throttlingPolicies).where(eq(schema.throttlingPolicies.id, policy.id)),
        auditEntry(db, principal, 'policy.delete', { type: 'throttling_policy', id: policy.id }, view(policy), null),
      ]);
      // Custom policies apply to every call without anything referring to them: gateways must forget them.
      if (policy.kind === 'custom') await republishAll(c.env, db);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:policies'),
      method: 'put',
      path: '/throttling-policies/{policyId}',
      tags,
      summary: 'Change a throttling policy; a changed tier reaches its subscriptions in the background (see …/propagation)',
      request: { params: z.object({ policyId: z.string() }), headers: IfMatchHeaders, body: jsonBody(PolicyBody) },
      responses: {
        200: taggedJsonResponse(PolicySchema, 'The policy'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict', 'precondition-failed'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:policies']);
      const db = c.var.db;
      const body = c.req.valid('json');
      const before = (
        await db
          .select()
          .from(schema.throttlingPolicies)
          .where(eq(schema.throttlingPolicies.id, c.req.valid('param').policyId))
          .limit(1)
      )[0];
      if (before === undefined) throw new ApiError('not-found', { detail: 'No such policy' });
      assertIfMatch(c.req.header('if-match'), await entityTag(view(before)));
      if (before.kind !== body.kind || before.name !== body.name)
        throw new ApiError('conflict', {
          detail: 'The kind and name of a policy cannot change',
          errors: [{ pointer: '/name', detail: 'Create a new policy instead' }],
        });
      const now = nextVersion(before.updatedAt);
      // A tier's new generation is committed with the edit, so an older push stops at its next page.
      const [, rows, , fanouts] = await db
        .batch([
          versionGuard(
            db,
            schema.throttlingPolicies,
            schema.throttlingPolicies.id,
            schema.throttlingPolicies.updatedAt,
            before.id,
            before.updatedAt,
          ),
          db
            .update(schema.throttlingPolicies)
            .set({
              displayName: body.displayName ?? body.name,
              description: body.description,
              quotaType: body.quotaType,
              limit: body.limit,
              unitTime: body.unitTime,
              timeUnit: body.timeUnit,
              burstLimit: body.burstLimit,
              burstTimeUnit: body.burstTimeUnit,
              stopOnQuotaReach: body.stopOnQuotaReach,
              keyTemplate: body.keyTemplate,
              failMode: body.failMode,
              conditionalGroups: body.conditionalGroups,
              updatedAt: now,
            })
            .where(eq(schema.throttlingPolicies.id, before.id))
            .returning(),
          auditEntry(db, principal, 'policy.update', { type: 'throttling_policy', id: before.id }, view(before), body),
          ...(before.kind === 'subscription' ? [restartTierFanout(db, before.id, now)] : []),
        ])
        .catch((err: unknown) => {
          throw isStaleWrite(err) ? staleWrite() : err;
        });
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      const generation = fanouts?.[0]?.generation;
      if (generation !== undefined) await enqueueTierFanout(c.env, db, { policyId: row.id, tier: row.name, generation });
      else await republishAll(c.env, db);
      const after = view(row);
      return c.json(after, 200, { etag: await entityTag(after) });
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:policies'),
      method: 'get',
      path: '/throttling-policies/{policyId}',
      tags,
      summary: 'One throttling policy, with the ETag to change it with',
      request: { params: z.object({ policyId: z.string() }) },
      responses: { 200: taggedJsonResponse(PolicySchema, 'The policy'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const policy = (
        await c.var.db
          .select()
          .from(schema.throttlingPolicies)
          .where(eq(schema.throttlingPolicies.id, c.req.valid('param').policyId))
          .limit(1)
      )[0];
      if (policy === undefined) throw new ApiError('not-found', { detail: 'No such policy' });
      const body = view(policy);
      return c.json(body, 200, { etag: await entityTag(body) });
    },
  );
  app.openapi(
    createRoute({
      security: requires('admin:policies'),
      method: 'get',
      path: '/throttling-policies/{policyId}/propagation',
      tags,
      summary: "How far a subscription tier's last edit has reached its subscriptions",
      request: { params: z.object({ policyId: z.string() }) },
      responses: { 200: jsonResponse(PropagationSchema, 'Progress of the push'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:policies']);
      const db = c.var.db;
      const policyId = c.req.valid('param').policyId;
      const [policies, fanouts] = await db.batch([
        db
          .select({ kind: schema.throttlingPolicies.kind })
          .from(schema.throttlingPolicies)
          .where(eq(schema.throttlingPolicies.id, policyId)),
        db.select().from(schema.tierFanouts).where(eq(schema.tierFanouts.policyId, policyId)),
      ]);
      // Other kinds travel in the gateway snapshot, not to subscription objects.
      if (policies[0]?.kind !== 'subscription') throw new ApiError('not-found', { detail: 'No such subscription tier' });
      const f = fanouts[0];
      if (f === undefined)
        return c.json({ policyId, generation: 0, total: null, done: 0, startedAt: null, finishedAt: null, lastError: null }, 200);
      return c.json(
        {
          policyId,
          generation: f.generation,
          total: f.total,
          done: f.done,
          startedAt: f.startedAt,
          finishedAt: f.finishedAt,
          lastError: f.lastError,
        },
        200,
      );
    },
  );
  return app;
}

/** How many users of a policy a refused delete names: a tier can have a million subscriptions. */
const USED_BY_SHOWN = 20;

/** Who uses a policy (at most USED_BY_SHOWN of each kind): APIs offering a tier, subscriptions on it, applications, API or resource policies. */
async function policyUsers(db: AppEnv['Variables']['db'], policy: typeof schema.throttlingPolicies.$inferSelect): Promise<string[]> {
  if (policy.kind === 'subscription') {
    const [apis, subs] = await db.batch([
      db.select({ id: schema.apis.id, tiers: schema.apis.subscriptionTiers }).from(schema.apis),
      db
        .select({ id: schema.subscriptions.id })
        .from(schema.subscriptions)
        .where(eq(schema.subscriptions.tier, policy.name))
        .limit(USED_BY_SHOWN),
    ]);
    return [
      ...apis
        .filter((a) => a.tiers.includes(policy.name))
        .slice(0, USED_BY_SHOWN)
        .map((a) => `api ${a.id}`),
      ...subs.map((s) => `subscription ${s.id}`),
    ];
  }
  if (policy.kind === 'application') {
    const apps = await db
      .select({ id: schema.applications.id })
      .from(schema.applications)
      .where(eq(schema.applications.throttlingPolicy, policy.name))
      .limit(USED_BY_SHOWN);
    return apps.map((a) => `application ${a.id}`);
  }
  if (policy.kind === 'advanced') {
    const [apis, resources] = await db.batch([
      db.select({ id: schema.apis.id }).from(schema.apis).where(eq(schema.apis.apiThrottlingPolicy, policy.name)).limit(USED_BY_SHOWN),
      db
        .select({ id: schema.apiResources.id })
        .from(schema.apiResources)
        .where(and(eq(schema.apiResources.throttlingPolicy, policy.name)))
        .limit(USED_BY_SHOWN),
    ]);
    return [...apis.map((a) => `api ${a.id}`), ...resources.map((r) => `resource ${r.id}`)];
  }
  return [];
}
