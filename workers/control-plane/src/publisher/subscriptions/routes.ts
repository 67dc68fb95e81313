import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { SUBSCRIPTION_STATUSES } from '../../../../shared/db/schema.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { syncSubscription } from '../../gateway-sync/subscriptions.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { API_OR_PRODUCT, manageableApi } from '../apis/store.ts';
import { requires } from '../../http/security.ts';

const tags = ['Publisher: subscriptions'];
export const SubscriberSchema = z
  .object({
    id: z.string(),
    applicationId: z.string(),
    applicationName: z.string(),
    subscriber: z.string(),
    tier: z.string(),
    status: z.enum(SUBSCRIPTION_STATUSES),
    createdAt: z.number().int(),
  })
  .openapi('ApiSubscriber');

/** Who subscribes to the publisher's APIs, and blocking them (WSO2's Block / Block production only). */
export function publisherSubscriptionRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('api:subscriptions'),
      method: 'get',
      path: '/apis/{apiId}/subscriptions',
      tags,
      summary: 'Subscribers of an API',
      request: { params: z.object({ apiId: z.string() }) },
      responses: {
        200: jsonResponse(z.object({ list: z.array(SubscriberSchema) }), 'Subscriptions'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const api = await manageableApi(
        c.var.db,
        principalOf(c.var.principal, ['api:subscriptions']),
        c.req.valid('param').apiId,
        API_OR_PRODUCT,
      );
      const rows = await c.var.db
        .select({ s: schema.subscriptions, appName: schema.applications.name, owner: schema.users.email })
        .from(schema.subscriptions)
        .innerJoin(schema.applications, eq(schema.applications.id, schema.subscriptions.applicationId))
        .innerJoin(schema.users, eq(schema.users.id, schema.applications.ownerId))
        .where(eq(schema.subscriptions.apiId, api.id));
      return c.json(
        {
          list: rows.map((r) => ({
            id: r.s.id,
            applicationId: r.s.applicationId,
            applicationName: r.appName,
            subscriber: r.owner,
            tier: r.s.tier,
            status: r.s.status,
            createdAt: r.s.createdAt,
          })),
        },
        200,
      );
    },
  );

  const setStatus = (
    path: string,
    summary: string,
    body: z.ZodType | null,
    status: (input: unknown) => 'BLOCKED' | 'PROD_ONLY_BLOCKED' | 'UNBLOCKED',
  ) =>
    app.openapi(
      createRoute({
        security: requires('api:subscriptions'),
        method: 'post',
        path,
        tags,
        summary,
        request: { params: z.object({ subscriptionId: z.string() }), ...(body === null ? {} : { body: jsonBody(body) }) },
        responses: {
          200: jsonResponse(z.object({ id: z.string(), status: z.enum(SUBSCRIPTION_STATUSES) }), 'The new status'),
          ...problems('unauthorized', 'forbidden', 'not-found', 'conflict'),
        },
      }),
      async (c) => {
        const principal = principalOf(c.var.principal, ['api:subscriptions']);
        const db = c.var.db;
        const { subscriptionId } = c.req.param() as { subscriptionId: string };
        const sub = (await db.select().from(schema.subscriptions).where(eq(schema.subscriptions.id, subscriptionId)).limit(1))[0];
        if (sub === undefined) throw new ApiError('not-found', { detail: 'No such subscription' });
        await manageableApi(db, principal, sub.apiId, API_OR_PRODUCT);
        if (sub.status === 'ON_HOLD' || sub.status === 'REJECTED')
          throw new ApiError('conflict', { detail: `A ${sub.status} subscription is decided by its approval workflow` });
        const next = status(body === null ? undefined : await c.req.json());
        await db.batch([
          db.update(schema.subscriptions).set({ status: next, updatedAt: Date.now() }).where(eq(schema.subscriptions.id, sub.id)),
          auditEntry(db, principal, 'subscription.status', { type: 'subscription', id: sub.id }, { status: sub.status }, { status: next }),
        ]);
        await syncSubscription(c.env, db, sub.applicationId, sub.apiId);
        return c.json({ id: sub.id, status: next }, 200);
      },
    );
  const BlockBody = z.strictObject({ status: z.enum(['BLOCKED', 'PROD_ONLY_BLOCKED']).default('BLOCKED') });
  setStatus(
    '/subscriptions/{subscriptionId}/block',
    'Block a subscription (all keys, or production keys only); bites on the next call',
    BlockBody,
    (input) => BlockBody.parse(input ?? {}).status,
  );
  setStatus('/subscriptions/{subscriptionId}/unblock', 'Unblock a subscription', null, () => 'UNBLOCKED');
  return app;
}
