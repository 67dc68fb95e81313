import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq, or } from 'drizzle-orm';
import { principalOf } from '../auth/middleware.ts';
import type { Principal } from '../auth/principal.ts';
import { READ_SCOPE, type Audience } from '../auth/audience.ts';
import { schema, type Database } from '../db.ts';
import { jsonResponse, problems } from '../http/openapi.ts';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { errorsToCsv, queryErrors } from './errors.ts';
import { operationsToCsv, queryOperations } from './operations.ts';
import { queryUsage, toCsv, type UsageFilter } from './query.ts';
import { requires } from '../http/security.ts';

export const UsageQuery = z.object({
  apiId: z.string().optional(),
  applicationId: z.string().optional(),
  from: z.coerce.number().int().min(0).optional().openapi({ description: 'Start (epoch ms, inclusive); default 24 hours ago' }),
  to: z.coerce.number().int().min(0).optional().openapi({ description: 'End (epoch ms, exclusive); default now' }),
  granularity: z.enum(['minute', 'hour', 'day']).default('hour'),
  format: z.enum(['json', 'csv']).default('json'),
});

export const UsagePointSchema = z
  .object({
    bucketStart: z.number().int(),
    apiId: z.string(),
    applicationId: z.string(),
    requests: z.number().int(),
    statusClasses: z.record(z.string(), z.number().int()),
    throttled: z.number().int(),
    requestBytes: z.number().int(),
    responseBytes: z.number().int(),
    framesIn: z
      .number()
      .int()
      .openapi({ description: 'WebSocket frames relayed client → backend; connections opened are statusClasses["1xx"]' }),
    framesOut: z.number().int().openapi({ description: 'WebSocket frames relayed backend → client' }),
    latencyMs: z.object({
      avg: z.number().nullable(),
      p50: z.number().nullable(),
      p95: z.number().nullable(),
      p99: z.number().nullable(),
      max: z.number(),
    }),
  })
  .openapi('UsagePoint');

export const ErrorPointSchema = z
  .object({
    bucketStart: z.number().int(),
    apiId: z.string(),
    applicationId: z.string(),
    code: z.number().int().openapi({
      description: "The problem's WSO2-style code (e.g. 900901, 900804) when the gateway answered, else the backend's HTTP status",
    }),
    count: z.number().int(),
  })
  .openapi('ErrorCount');

export const ErrorsResponse = z
  .object({ from: z.number().int(), to: z.number().int(), granularity: z.string(), list: z.array(ErrorPointSchema) })
  .openapi('ErrorCounts');

export const OperationPointSchema = z
  .object({
    bucketStart: z.number().int(),
    apiId: z.string(),
    applicationId: z.string(),
    operation: z
      .string()
      .openapi({ description: "A GraphQL operation's name, or its root fields (e.g. Query.books) when it is anonymous" }),
    requests: z.number().int(),
    errors: z.number().int().openapi({ description: 'Answers with status 400 or above' }),
    latencyMsAvg: z.number().nullable(),
  })
  .openapi('OperationCount');

export const OperationsResponse = z
  .object({ from: z.number().int(), to: z.number().int(), granularity: z.string(), list: z.array(OperationPointSchema) })
  .openapi('OperationCounts');

export const UsageResponse = z
  .object({ from: z.number().int(), to: z.number().int(), granularity: z.string(), list: z.array(UsagePointSchema) })
  .openapi('Usage');

/** Which APIs and applications the caller may see usage of: their own, or everything for admin. */
async function visibleScope(
  db: Database,
  audience: Audience,
  principal: Principal,
): Promise<Pick<UsageFilter, 'apiIds' | 'applicationIds'>> {
  if (audience === 'admin') return { apiIds: null, applicationIds: null };
  if (audience === 'devportal') {
    const apps = await db
      .select({ id: schema.applications.id })
      .from(schema.applications)
      .where(eq(schema.applications.ownerId, principal.userId));
    return { apiIds: null, applicationIds: apps.map((a) => a.id) };
  }
  if (principal.role === 'admin') return { apiIds: null, applicationIds: null };
  const apis = await db
    .selectDistinct({ id: schema.apis.id })
    .from(schema.apis)
    .leftJoin(schema.apiCollaborators, eq(schema.apiCollaborators.apiId, schema.apis.id))
    .where(or(eq(schema.apis.providerId, principal.userId), eq(schema.apiCollaborators.userId, principal.userId)));
  return { apiIds: apis.map((a) => a.id), applicationIds: null };
}

function restrict(allowed: readonly string[] | null, requested: string | undefined): readonly string[] | null {
  if (requested === undefined) return allowed;
  // Something the caller may not see reads as no data, exactly like an id that does not exist.
  return allowed === null || allowed.includes(requested) ? [requested] : [];
}

/** Who may see what, over which time range (the last day unless the query says otherwise). */
async function window(
  db: AppEnv['Variables']['db'],
  audience: Audience,
  caller: AppEnv['Variables']['principal'],
  q: { from?: number; to?: number },
) {
  const principal = principalOf(caller, [READ_SCOPE[audience]]);
  const to = q.to ?? Date.now();
  return { from: q.from ?? to - 86_400_000, to, scope: await visibleScope(db, audience, principal) };
}

/** GET …/usage for one audience: developers see their applications, publishers their APIs, admins all. */
export function usageRoutes(audience: Audience) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: requires(READ_SCOPE[audience]),
      method: 'get',
      path: '/',
      tags: ['Analytics'],
      summary: audience === 'devportal' ? 'Usage of my applications' : audience === 'publisher' ? 'Usage of my APIs' : 'Usage of every API',
      request: { query: UsageQuery },
      responses: {
        200: {
          ...jsonResponse(UsageResponse, 'Usage per time bucket, API and application'),
          content: { 'application/json': { schema: UsageResponse }, 'text/csv': { schema: z.string() } },
        },
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { from, to, scope } = await window(c.var.db, audience, c.var.principal, q);
      const list = await queryUsage(c.var.db, {
        apiIds: restrict(scope.apiIds, q.apiId),
        applicationIds: restrict(scope.applicationIds, q.applicationId),
        from,
        to,
        granularity: q.granularity,
      });
      if (q.format === 'csv')
        return c.body(toCsv(list), 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': 'attachment; filename="usage.csv"',
        });
      return c.json({ from, to, granularity: q.granularity, list }, 200);
    },
  );
  app.openapi(
    createRoute({
      security: requires(READ_SCOPE[audience]),
      method: 'get',
      path: '/operations',
      tags: ['Analytics'],
      summary: 'Calls by operation (GraphQL APIs)',
      request: { query: UsageQuery },
      responses: {
        200: {
          ...jsonResponse(OperationsResponse, 'Calls per time bucket, API, application and operation'),
          content: { 'application/json': { schema: OperationsResponse }, 'text/csv': { schema: z.string() } },
        },
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { from, to, scope } = await window(c.var.db, audience, c.var.principal, q);
      const list = await queryOperations(c.var.db, {
        apiIds: restrict(scope.apiIds, q.apiId),
        applicationIds: restrict(scope.applicationIds, q.applicationId),
        from,
        to,
        granularity: q.granularity,
      });
      if (q.format === 'csv')
        return c.body(operationsToCsv(list), 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': 'attachment; filename="operations.csv"',
        });
      return c.json({ from, to, granularity: q.granularity, list }, 200);
    },
  );
  app.openapi(
    createRoute({
      security: requires(READ_SCOPE[audience]),
      method: 'get',
      path: '/errors',
      tags: ['Analytics'],
      summary: 'Error answers by code',
      request: {
        query: UsageQuery.extend({ code: z.coerce.number().int().min(100).optional().openapi({ description: 'Only this code' }) }),
      },
      responses: {
        200: {
          ...jsonResponse(ErrorsResponse, 'Error answers per time bucket, API, application and code'),
          content: { 'application/json': { schema: ErrorsResponse }, 'text/csv': { schema: z.string() } },
        },
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { from, to, scope } = await window(c.var.db, audience, c.var.principal, q);
      const list = await queryErrors(c.var.db, {
        apiIds: restrict(scope.apiIds, q.apiId),
        applicationIds: restrict(scope.applicationIds, q.applicationId),
        from,
        to,
        granularity: q.granularity,
        code: q.code,
      });
      if (q.format === 'csv')
        return c.body(errorsToCsv(list), 200, {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': 'attachment; filename="errors.csv"',
        });
      return c.json({ from, to, granularity: q.granularity, list }, 200);
    },
  );
  app.openapi(
    createRoute({
      security: requires(READ_SCOPE[audience]),
      method: 'get',
      path: '/top-consumers',
      tags: ['Analytics'],
      summary: 'Applications with the most calls in a time range',
      request: {
        query: UsageQuery.pick({ apiId: true, from: true, to: true }).extend({
          limit: z.coerce.number().int().min(1).max(100).default(10),
        }),
      },
      responses: {
        200: jsonResponse(
          z.object({
            list: z.array(
              z.object({ applicationId: z.string(), requests: z.number().int(), throttled: z.number().int(), errors: z.number().int() }),
            ),
          }),
          'Top consumers',
        ),
        ...problems('unauthorized', 'forbidden'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const { from, to, scope } = await window(c.var.db, audience, c.var.principal, q);
      const points = await queryUsage(c.var.db, {
        apiIds: restrict(scope.apiIds, q.apiId),
        applicationIds: scope.applicationIds,
        from,
        to,
        granularity: 'day',
      });
      const byApp = new Map<string, { applicationId: string; requests: number; throttled: number; errors: number }>();
      for (const p of points) {
        const row = byApp.get(p.applicationId) ?? { applicationId: p.applicationId, requests: 0, throttled: 0, errors: 0 };
        row.requests += p.requests;
        row.throttled += p.throttled;
        row.errors += (p.statusClasses['4xx'] ?? 0) + (p.statusClasses['5xx'] ?? 0);
        byApp.set(p.applicationId, row);
      }
      const list = [...byApp.values()].sort((a, b) => b.requests - a.requests).slice(0, q.limit);
      return c.json({ list }, 200);
    },
  );
  return app;
}
