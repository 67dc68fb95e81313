import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { newSecret } from '../../../shared/crypto.ts';
import { seal } from '../../../shared/seal.ts';
import { newId } from '../../../shared/ids.ts';
import { ApiError } from '../../../shared/problem.ts';
import { auditEntry } from '../audit.ts';
import { principalOf } from '../auth/middleware.ts';
import { READ_SCOPE, type Audience } from '../auth/audience.ts';
import type { Scope } from '../auth/scopes.ts';
import { schema } from '../db.ts';
import { jsonBody, jsonResponse, problems } from '../http/openapi.ts';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { ALERT_COOLDOWN_MS, METRIC_LIMITS, METRICS, type Metric } from './metrics.ts';
import { allowsPrivateWebhooks, targetFor, visibleRule, visibleRules, type AlertRuleRow, type ScopeType } from './store.ts';
import { WEBHOOK_URL_MAX, webhookUrlRefusal, webhookUrlSyntaxError } from './webhook-url.ts';
import { requires } from '../http/security.ts';

const tags = ['Alerts'];
const WRITE: Record<Audience, Scope> = { devportal: 'subscriptions:manage', publisher: 'api:create', admin: 'admin:settings' };
const SCOPE_TYPES: Record<Audience, readonly [ScopeType, ...ScopeType[]]> = {
  devportal: ['SUBSCRIPTION'],
  publisher: ['API'],
  admin: ['API', 'SUBSCRIPTION'],
};

export const AlertRuleSchema = z
  .object({
    id: z.string(),
    scopeType: z.enum(['API', 'SUBSCRIPTION']),
    scopeId: z.string(),
    metric: z.enum(METRICS),
    threshold: z.number().int(),
    webhookUrl: z.string(),
    enabled: z.boolean(),
    lastFiredAt: z.number().int().nullable(),
    createdAt: z.number().int(),
  })
  .openapi('AlertRule');

export const CreatedAlertRuleSchema = AlertRuleSchema.extend({
  secret: z.string().openapi({ description: 'Webhook signing secret, shown only once' }),
});

export const AlertEventSchema = z
  .object({
    id: z.string(),
    ruleId: z.string(),
    firedAt: z.number().int(),
    value: z.number(),
    threshold: z.number().int(),
    deliveryStatus: z.number().int().nullable().openapi({ description: "The webhook's HTTP status; null when it could not be reached" }),
  })
  .openapi('AlertEvent');

const view = (r: AlertRuleRow) => ({
  id: r.id,
  scopeType: r.scopeType,
  scopeId: r.scopeId,
  metric: r.metric,
  threshold: r.threshold,
  webhookUrl: r.webhookUrl,
  enabled: r.enabled,
  lastFiredAt: r.lastFiredAt,
  createdAt: r.createdAt,
});

export function createBody(audience: Audience) {
  const scopeTypes = SCOPE_TYPES[audience];
  return z
    .strictObject({
      scopeType: z
        .enum(scopeTypes)
        .default(scopeTypes[0])
        .openapi({ description: 'API (publishers, admins) or SUBSCRIPTION (developers, admins)' }),
      scopeId: z.string().trim().min(1).max(100),
      metric: z.enum(METRICS).openapi({
        description:
          'error_rate: % of calls answered 5xx, or 4xx other than 429, over the last 5 minutes; latency_p95: ms over the last 5 minutes; quota_use: % of the subscription tier used in its current window (subscriptions only)',
      }),
      threshold: z.number().int().min(1),
      webhookUrl: z.string().trim().max(WEBHOOK_URL_MAX),
      enabled: z.boolean().default(true),
    })
    .superRefine((b, ctx) => {
      for (const issue of ruleIssues(b)) ctx.addIssue({ code: 'custom', path: [issue.field], message: issue.message });
    })
    .openapi(`CreateAlertRule_${audience}`);
}

/** What a rule can change: everything but what it watches. */
export const UpdateAlertRuleBody = z
  .strictObject({
    metric: z.enum(METRICS).optional(),
    threshold: z.number().int().min(1).optional(),
    webhookUrl: z.string().trim().max(WEBHOOK_URL_MAX).optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('UpdateAlertRule');

/** The checks that span fields: thresholds per metric, quota_use on subscriptions only, the webhook URL's syntax. */
function ruleIssues(b: {
  scopeType: ScopeType;
  metric: Metric;
  threshold: number;
  webhookUrl: string;
}): Array<{ field: 'threshold' | 'metric' | 'webhookUrl'; message: string }> {
  const issues: Array<{ field: 'threshold' | 'metric' | 'webhookUrl'; message: string }> = [];
  const [min, max] = METRIC_LIMITS[b.metric];
  if (b.threshold < min || b.threshold > max) issues.push({ field: 'threshold', message: `Between ${min} and ${max} for ${b.metric}` });
  if (b.metric === 'quota_use' && b.scopeType !== 'SUBSCRIPTION')
    issues.push({ field: 'metric', message: 'quota_use watches a subscription tier: use scopeType SUBSCRIPTION' });
  const urlError = webhookUrlSyntaxError(b.webhookUrl);
  if (urlError !== null) issues.push({ field: 'webhookUrl', message: urlError });
  return issues;
}

/**
 * Alert rules for one audience: publishers on their APIs, developers on their subscriptions, admins
 * on anything. Rules are evaluated every minute by the control plane's cron (`evaluate.ts`); each
 * firing POSTs a signed JSON payload to the rule's webhook and is kept as an event.
 */
export function alertRoutes(audience: Audience) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const AlertIdParam = z.object({ alertId: z.string() });

  app.openapi(
    createRoute({
      security: requires(READ_SCOPE[audience]),
      method: 'get',
      path: '/',
      tags,
      summary: 'Alert rules',
      responses: {
        200: jsonResponse(z.object({ list: z.array(AlertRuleSchema) }), 'Rules, with when each last fired'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, [READ_SCOPE[audience]]);
      const visible = await visibleRules(c.var.db, audience, principal);
      const query = c.var.db.select().from(schema.alertRules);
      const rows = await (visible === null ? query : query.where(visible)).orderBy(desc(schema.alertRules.createdAt)).limit(500);
      return c.json({ list: rows.map(view) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires(WRITE[audience]),
      method: 'post',
      path: '/',
      tags,
      summary: 'Create an alert rule',
      description: `The webhook receives a JSON POST with \`Turnpike-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body" under the secret>\`. The secret is returned once, here. A rule fires at most once every ${ALERT_COOLDOWN_MS / 60_000} minutes.`,
      request: { body: jsonBody(createBody(audience)) },
      responses: {
        201: jsonResponse(CreatedAlertRuleSchema, 'The rule and its signing secret'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, [WRITE[audience]]);
      const body = c.req.valid('json');
      const db = c.var.db;
      const target = await targetFor(db, audience, principal, body.scopeType, body.scopeId);
      const refusal = webhookUrlRefusal(body.webhookUrl, await allowsPrivateWebhooks(db, target.apiId));
      if (refusal !== null)
        throw new ApiError('validation-failed', {
          detail: `/webhookUrl: ${refusal}`,
          errors: [{ pointer: '/webhookUrl', detail: refusal }],
        });
      const id = newId('alert');
      const secret = newSecret('whsec_');
      const secretCiphertext = await seal(c.env.ENCRYPTION_KEY, secret, id);
      const [rows] = await db.batch([
        db
          .insert(schema.alertRules)
          .values({ id, ownerId: principal.userId, ...body, secretCiphertext })
          .returning(),
        auditEntry(db, principal, 'alert.create', { type: 'alert_rule', id }, null, body),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      return c.json({ ...view(row), secret }, 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires(READ_SCOPE[audience]),
      method: 'get',
      path: '/events',
      tags,
      summary: 'When rules fired',
      request: { query: z.object({ alertId: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).default(100) }) },
      responses: {
        200: jsonResponse(z.object({ list: z.array(AlertEventSchema) }), 'Firings, newest first'),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, [READ_SCOPE[audience]]);
      const q = c.req.valid('query');
      const db = c.var.db;
      const visible = await visibleRules(db, audience, principal);
      const rules = db.select({ id: schema.alertRules.id }).from(schema.alertRules);
      const e = schema.alertEvents;
      const conditions = [inArray(e.ruleId, visible === null ? rules : rules.where(visible))];
      if (q.alertId !== undefined) conditions.push(eq(e.ruleId, q.alertId));
      const list = await db
        .select()
        .from(e)
        .where(and(...conditions))
        .orderBy(desc(e.firedAt))
        .limit(q.limit);
      return c.json({ list }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires(WRITE[audience]),
      method: 'patch',
      path: '/{alertId}',
      tags,
      summary: 'Change an alert rule: metric, threshold, webhook URL, on or off (its target and secret stay)',
      request: { params: AlertIdParam, body: jsonBody(UpdateAlertRuleBody) },
      responses: { 200: jsonResponse(AlertRuleSchema, 'The rule'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, [WRITE[audience]]);
      const db = c.var.db;
      const body = c.req.valid('json');
      const before = await visibleRule(db, audience, principal, c.req.valid('param').alertId);
      const after = {
        metric: body.metric ?? before.metric,
        threshold: body.threshold ?? before.threshold,
        webhookUrl: body.webhookUrl ?? before.webhookUrl,
        enabled: body.enabled ?? before.enabled,
      };
      const errors = ruleIssues({ ...after, scopeType: before.scopeType }).map((i) => ({ pointer: `/${i.field}`, detail: i.message }));
      if (errors.length === 0 && after.webhookUrl !== before.webhookUrl) {
        const target = await targetFor(db, 'admin', principal, before.scopeType, before.scopeId);
        const refusal = webhookUrlRefusal(after.webhookUrl, await allowsPrivateWebhooks(db, target.apiId));
        if (refusal !== null) errors.push({ pointer: '/webhookUrl', detail: refusal });
      }
      if (errors.length > 0)
        throw new ApiError('validation-failed', { detail: errors.map((e) => `${e.pointer}: ${e.detail}`).join('; '), errors });
      const [rows] = await db.batch([
        db.update(schema.alertRules).set(after).where(eq(schema.alertRules.id, before.id)).returning(),
        auditEntry(db, principal, 'alert.update', { type: 'alert_rule', id: before.id }, view(before), after),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      return c.json(view(row), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires(WRITE[audience]),
      method: 'delete',
      path: '/{alertId}',
      tags,
      summary: 'Delete an alert rule',
      request: { params: AlertIdParam },
      responses: { 204: { description: 'Deleted, with its events' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, [WRITE[audience]]);
      const db = c.var.db;
      const before = await visibleRule(db, audience, principal, c.req.valid('param').alertId);
      await db.batch([
        db.delete(schema.alertRules).where(eq(schema.alertRules.id, before.id)),
        auditEntry(db, principal, 'alert.delete', { type: 'alert_rule', id: before.id }, view(before), null),
      ]);
      return c.body(null, 204);
    },
  );
  return app;
}
