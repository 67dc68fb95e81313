import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq, inArray, ne } from 'drizzle-orm';
import { API_KINDS, SUBSCRIPTION_STATUSES } from '../../../../shared/db/schema.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { subscriptionObjectName } from '../../../../../durable-objects/throttle/types.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema, type Database } from '../../db.ts';
import { throttleNamespace } from '../../gateway-sync/bindings.ts';
import { syncSubscription } from '../../gateway-sync/subscriptions.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { catalogApi } from '../catalog/routes.ts';
import { ownApplication, ownSubscription } from '../applications/store.ts';
import { requires } from '../../http/security.ts';
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

const tags = ['Devportal: subscriptions'];
export const SubscriptionSchema = z
  .object({
    id: z.string(),
    applicationId: z.string(),
    apiId: z.string(),
    apiKind: z.enum(API_KINDS).openapi({ description: 'PRODUCT when the subscription is to an API product (decision 0049)' }),
    apiName: z.string(),
    apiContext: z.string(),
    apiVersion: z.string(),
    tier: z.string(),
    status: z.enum(SUBSCRIPTION_STATUSES),
    statusReason: z
      .string()
      .nullable()
      .openapi({ description: "The admin's reason for the last approval decision on this subscription (why it was REJECTED), or null" }),
    createdAt: z.number().int(),
  })
  .openapi('Subscription');
type SubscriptionRow = typeof schema.subscriptions.$inferSelect;
type ApiRow = typeof schema.apis.$inferSelect;

/**
 * The reason of the latest decided approval request per subscription: what the admin wrote when
 * rejecting (or approving) it, so the developer reads it beside the status.
 */
async function decisionReasons(db: Database, subscriptionIds: readonly string[]): Promise<Map<string, string>> {
  if (subscriptionIds.length === 0) return new Map();
  const w = schema.workflows;
  const rows = await db
    .select({ referenceId: w.referenceId, reason: w.reason })
    .from(w)
    .where(and(eq(w.type, 'SUBSCRIPTION_CREATION'), inArray(w.referenceId, [...subscriptionIds]), ne(w.status, 'PENDING')))
    .orderBy(asc(w.decidedAt));
  const out = new Map<string, string>();
  for (const r of rows) if (r.reason !== null && r.reason !== '') out.set(r.referenceId, r.reason);
  return out;
}

function toView(s: SubscriptionRow, api: ApiRow, reasons: Map<string, string>) {
  return {
    id: s.id,
    applicationId: s.applicationId,
    apiId: s.apiId,
    apiKind: api.kind,
    apiName: api.name,
    apiContext: api.context,
    apiVersion: api.version,
    tier: s.tier,
    status: s.status,
    statusReason: reasons.get(s.id) ?? null,
    createdAt: s.createdAt,
  };
}

export const SubscriptionQuotaSchema = z
  .object({
    subscriptionId: z.string(),
    tier: z.string(),
    limits: z.array(
      z.object({
        policy: z.string(),
        limit: z.number().int(),
        windowSeconds: z.number().int(),
        remaining: z
          .number()
          .int()
          .openapi({ description: 'Calls (or bytes) left in the current window; allowance leased to gateway isolates counts as used' }),
        resetSeconds: z.number().int().openapi({ description: 'Seconds until the window starts again' }),
        unit: z.enum(['requests', 'bytes', 'points']),
      }),
    ),
  })
  .openapi('SubscriptionQuota');

async function subscriptionView(db: Database, id: string) {
  const row = (
    await db
      .select({ s: schema.subscriptions, api: schema.apis })
      .from(schema.subscriptions)
      .innerJoin(schema.apis, eq(schema.apis.id, schema.subscriptions.apiId))
      .where(eq(schema.subscriptions.id, id))
      .limit(1)
  )[0];
  if (row === undefined) throw new ApiError('not-found', { detail: 'No such subscription' });
  return toView(row.s, row.api, await decisionReasons(db, [row.s.id]));
}

export function subscriptionRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('subscriptions:manage'),
      method: 'post',
      path: '/subscriptions',
      tags,
      summary: 'Subscribe an application to an API on one of its tiers',
      request: {
        body: jsonBody(
          z
            .strictObject({ applicationId: z.string(), apiId: z.string(), tier: z.string().min(1).max(100) })
            .openapi('CreateSubscriptionRequest'),
        ),
      },
      responses: {
        201: taggedJsonResponse(SubscriptionSchema, 'The subscription'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['subscriptions:manage']);
      const body = c.req.valid('json');
      const db = c.var.db;
      const application = await ownApplication(db, principal, body.applicationId);
      // What a developer cannot see in the catalog, they cannot subscribe to either.
      const api = await catalogApi(db, body.apiId, principal, '/apiId');
      if (api.lifecycleState === 'DEPRECATED')
        throw new ApiError('conflict', {
          detail: `${api.name} ${api.version} is deprecated and takes no new subscriptions`,
          errors: [{ pointer: '/apiId', detail: 'Deprecated' }],
        });
      if (!api.subscriptionTiers.includes(body.tier)) {
        throw new ApiError('validation-failed', {
          detail: `${api.name} offers ${api.subscriptionTiers.join(', ')}`,
          errors: [{ pointer: '/tier', detail: `Not offered; choose one of ${api.subscriptionTiers.join(', ')}` }],
        });
      }
      const settings = (await db.select().from(schema.settings).where(eq(schema.settings.key, 'workflows')).limit(1))[0]?.value as
        Record<string, boolean> | undefined;
      const needsApproval = settings?.['SUBSCRIPTION_CREATION'] === true;
      const id = newId('subscription');
      try {
        await db.batch([
          db
            .insert(schema.subscriptions)
            .values({ id, applicationId: application.id, apiId: api.id, tier: body.tier, status: needsApproval ? 'ON_HOLD' : 'UNBLOCKED' }),
          ...(needsApproval
            ? [
                db
                  .insert(schema.workflows)
                  .values({ id: newId('workflow'), type: 'SUBSCRIPTION_CREATION', referenceId: id, requestedBy: principal.userId }),
              ]
            : []),
          auditEntry(db, principal, 'subscription.create', { type: 'subscription', id }, null, body),
        ]);
      } catch (err) {
        if (/UNIQUE constraint failed: subscriptions/.test(String(err)))
          throw new ApiError('conflict', { detail: `${application.name} is already subscribed to ${api.name} ${api.version}` });
        throw err;
      }
      await syncSubscription(c.env, db, application.id, api.id);
      const created = await subscriptionView(db, id);
      return c.json(created, 201, { etag: await entityTag(created) });
    },
  );

  app.openapi(
    createRoute({
      security: requires('subscriptions:manage'),
      method: 'get',
      path: '/subscriptions',
      tags,
      summary: "An application's subscriptions",
      request: { query: z.object({ applicationId: z.string() }) },
      responses: {
        200: jsonResponse(z.object({ list: z.array(SubscriptionSchema) }), 'Subscriptions'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['subscriptions:manage']);
      const application = await ownApplication(c.var.db, principal, c.req.valid('query').applicationId);
      const rows = await c.var.db
        .select({ s: schema.subscriptions, api: schema.apis })
        .from(schema.subscriptions)
        .innerJoin(schema.apis, eq(schema.apis.id, schema.subscriptions.apiId))
        .where(eq(schema.subscriptions.applicationId, application.id));
      const reasons = await decisionReasons(
        c.var.db,
        rows.map((r) => r.s.id),
      );
      return c.json({ list: rows.map(({ s, api }) => toView(s, api, reasons)) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('subscriptions:manage'),
      method: 'patch',
      path: '/subscriptions/{subscriptionId}',
      tags,
      summary: 'Change the tier; it applies from the next call without resetting what was used',
      request: {
        params: z.object({ subscriptionId: z.string() }),
        headers: IfMatchHeaders,
        body: jsonBody(z.strictObject({ tier: z.string().min(1).max(100) })),
      },
      responses: {
        200: taggedJsonResponse(SubscriptionSchema, 'The subscription'),
        ...problems('unauthorized', 'forbidden', 'not-found', 'precondition-failed'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['subscriptions:manage']);
      const db = c.var.db;
      const sub = await ownSubscription(db, principal, c.req.valid('param').subscriptionId);
      assertIfMatch(c.req.header('if-match'), await entityTag(await subscriptionView(db, sub.id)));
      const { tier } = c.req.valid('json');
      const api = (await db.select().from(schema.apis).where(eq(schema.apis.id, sub.apiId)).limit(1))[0];
      if (api === undefined || !api.subscriptionTiers.includes(tier))
        throw new ApiError('validation-failed', {
          detail: 'The API does not offer this tier',
          errors: [
            { pointer: '/tier', detail: `Not offered${api === undefined ? '' : `; choose one of ${api.subscriptionTiers.join(', ')}`}` },
          ],
        });
      await db
        .batch([
          versionGuard(db, schema.subscriptions, schema.subscriptions.id, schema.subscriptions.updatedAt, sub.id, sub.updatedAt),
          db
            .update(schema.subscriptions)
            .set({ tier, updatedAt: nextVersion(sub.updatedAt) })
            .where(eq(schema.subscriptions.id, sub.id)),
          auditEntry(db, principal, 'subscription.tier', { type: 'subscription', id: sub.id }, { tier: sub.tier }, { tier }),
        ])
        .catch((err: unknown) => {
          throw isStaleWrite(err) ? staleWrite() : err;
        });
      await syncSubscription(c.env, db, sub.applicationId, sub.apiId);
      const after = await subscriptionView(db, sub.id);
      return c.json(after, 200, { etag: await entityTag(after) });
    },
  );

  app.openapi(
    createRoute({
      security: requires('subscriptions:manage'),
      method: 'get',
      path: '/subscriptions/{subscriptionId}',
      tags,
      summary: 'One of your subscriptions, with the ETag to change it with',
      request: { params: z.object({ subscriptionId: z.string() }) },
      responses: { 200: taggedJsonResponse(SubscriptionSchema, 'The subscription'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const sub = await ownSubscription(
        c.var.db,
        principalOf(c.var.principal, ['subscriptions:manage']),
        c.req.valid('param').subscriptionId,
      );
      const body = await subscriptionView(c.var.db, sub.id);
      return c.json(body, 200, { etag: await entityTag(body) });
    },
  );

  app.openapi(
    createRoute({
      security: requires('subscriptions:manage'),
      method: 'get',
      path: '/subscriptions/{subscriptionId}/quota',
      tags,
      summary: "What is left of the subscription tier's windows, read from the subscription's counter object",
      request: { params: z.object({ subscriptionId: z.string() }) },
      responses: {
        200: jsonResponse(SubscriptionQuotaSchema, 'The tier and each of its windows'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['subscriptions:manage']);
      const sub = await ownSubscription(c.var.db, principal, c.req.valid('param').subscriptionId);
      const { limits } = await throttleNamespace(c.env).getByName(subscriptionObjectName(sub.applicationId, sub.apiId)).inspect();
      return c.json(
        {
          subscriptionId: sub.id,
          tier: sub.tier,
          limits: limits.map((l) => ({
            policy: l.policy,
            limit: l.limit,
            windowSeconds: l.windowSeconds,
            remaining: l.remaining,
            resetSeconds: l.resetSeconds,
            unit: l.unit ?? ('requests' as const),
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires('subscriptions:manage'),
      method: 'delete',
      path: '/subscriptions/{subscriptionId}',
      tags,
      summary: 'Unsubscribe; the next call with any credential of the application is refused',
      request: { params: z.object({ subscriptionId: z.string() }) },
      responses: { 204: { description: 'Unsubscribed' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['subscriptions:manage']);
      const db = c.var.db;
      const sub = await ownSubscription(db, principal, c.req.valid('param').subscriptionId);
      await db.batch([
        db.delete(schema.subscriptions).where(eq(schema.subscriptions.id, sub.id)),
        auditEntry(db, principal, 'subscription.delete', { type: 'subscription', id: sub.id }, { tier: sub.tier, apiId: sub.apiId }, null),
      ]);
      await syncSubscription(c.env, db, sub.applicationId, sub.apiId);
      return c.body(null, 204);
    },
  );
  return app;
}
