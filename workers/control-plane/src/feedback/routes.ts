/**
 * Feedback on APIs, as WSO2's Developer Portal has it: every signed-in user may rate an API of the
 * catalog (1–5) with an optional comment, one rating per user and API (a second PUT replaces the
 * first); everyone reads the visible ones with their average; the API's publisher reads all of
 * them and hides (or shows again) what should not be public. Editing a hidden rating keeps it hidden.
 */
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, desc, eq } from 'drizzle-orm';
import { newId } from '../../../shared/ids.ts';
import { ApiError } from '../../../shared/problem.ts';
import { auditEntry } from '../audit.ts';
import { principalOf } from '../auth/middleware.ts';
import { schema, type Database } from '../db.ts';
import { catalogApi } from '../devportal/catalog/routes.ts';
import { jsonBody, jsonResponse, problems } from '../http/openapi.ts';
import { validationHook } from '../http/validation.ts';
import { API_OR_PRODUCT, manageableApi } from '../publisher/apis/store.ts';
import type { AppEnv } from '../types.ts';
import { OPTIONALLY_SIGNED_IN, requires } from '../http/security.ts';

const ApiParam = z.object({ apiId: z.string() });
const RatingSchema = z
  .object({
    id: z.string(),
    rating: z.number().int(),
    comment: z.string(),
    author: z.string(),
    hidden: z.boolean(),
    createdAt: z.number().int(),
  })
  .openapi('Rating');
export const RatingsSchema = z
  .object({ average: z.number().nullable(), count: z.number().int(), list: z.array(RatingSchema) })
  .openapi('Ratings');
export const ModerateRatingBody = z.strictObject({ hidden: z.boolean() }).openapi('ModerateRatingRequest');
export const RateBody = z
  .strictObject({ rating: z.number().int().min(1).max(5), comment: z.string().trim().max(2000).default('') })
  .openapi('RateApiRequest');

/** A rating as answered, with its author as the audience knows them (display name, or email for the publisher). */
function ratingView(row: typeof schema.apiRatings.$inferSelect, author: string) {
  return { id: row.id, rating: row.rating, comment: row.comment, author, hidden: row.hidden, createdAt: row.createdAt };
}

/** Ratings of an API with their authors' display names (or emails, for the publisher), newest first. */
async function ratingsOf(db: Database, apiId: string, options: { includeHidden: boolean; authorEmail: boolean }) {
  const rows = await db
    .select({ r: schema.apiRatings, displayName: schema.users.displayName, email: schema.users.email })
    .from(schema.apiRatings)
    .innerJoin(schema.users, eq(schema.users.id, schema.apiRatings.userId))
    .where(
      options.includeHidden
        ? eq(schema.apiRatings.apiId, apiId)
        : and(eq(schema.apiRatings.apiId, apiId), eq(schema.apiRatings.hidden, false)),
    )
    .orderBy(desc(schema.apiRatings.createdAt));
  const shown = rows.filter((x) => !x.r.hidden);
  return {
    average: shown.length === 0 ? null : Math.round((shown.reduce((sum, x) => sum + x.r.rating, 0) / shown.length) * 100) / 100,
    count: shown.length,
    list: rows.map((x) => ratingView(x.r, options.authorEmail ? x.email : x.displayName)),
  };
}

/** Under /api/devportal/v1. */
export function devportalFeedbackRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const tags = ['Devportal: feedback'];

  app.openapi(
    createRoute({
      security: OPTIONALLY_SIGNED_IN,
      method: 'get',
      path: '/apis/{apiId}/ratings',
      tags,
      summary: 'Ratings and comments of an API of the catalog',
      request: { params: ApiParam },
      responses: { 200: jsonResponse(RatingsSchema, 'Visible ratings and their average'), ...problems('not-found') },
    }),
    async (c) => {
      const api = await catalogApi(c.var.db, c.req.valid('param').apiId, c.var.principal);
      return c.json(await ratingsOf(c.var.db, api.id, { includeHidden: false, authorEmail: false }), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires(),
      method: 'put',
      path: '/apis/{apiId}/ratings/mine',
      tags,
      summary: 'Rate an API (1–5) with an optional comment; replaces your earlier rating',
      request: { params: ApiParam, body: jsonBody(RateBody) },
      responses: { 200: jsonResponse(RatingSchema, 'Your rating'), ...problems('unauthorized', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal);
      const db = c.var.db;
      const api = await catalogApi(db, c.req.valid('param').apiId, principal);
      const body = c.req.valid('json');
      const [rows] = await db.batch([
        db
          .insert(schema.apiRatings)
          .values({ id: newId('rating'), apiId: api.id, userId: principal.userId, rating: body.rating, comment: body.comment })
          .onConflictDoUpdate({
            target: [schema.apiRatings.apiId, schema.apiRatings.userId],
            set: { rating: body.rating, comment: body.comment },
          })
          .returning(),
        auditEntry(db, principal, 'api.rate', { type: 'api', id: api.id }, null, body),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      const me = (
        await db.select({ displayName: schema.users.displayName }).from(schema.users).where(eq(schema.users.id, principal.userId)).limit(1)
      )[0];
      return c.json(ratingView(row, me?.displayName ?? ''), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires(),
      method: 'delete',
      path: '/apis/{apiId}/ratings/mine',
      tags,
      summary: 'Withdraw your rating',
      request: { params: ApiParam },
      responses: { 204: { description: 'Withdrawn' }, ...problems('unauthorized', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal);
      const db = c.var.db;
      const api = await catalogApi(db, c.req.valid('param').apiId, principal);
      const deleted = await db
        .delete(schema.apiRatings)
        .where(and(eq(schema.apiRatings.apiId, api.id), eq(schema.apiRatings.userId, principal.userId)))
        .returning({ id: schema.apiRatings.id });
      if (deleted.length === 0) throw new ApiError('not-found', { detail: 'You have not rated this API' });
      return c.body(null, 204);
    },
  );
  return app;
}

/** Under /api/publisher/v1: the API's publisher reads every rating and moderates them. */
export function publisherFeedbackRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const tags = ['Publisher: feedback'];

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}/ratings',
      tags,
      summary: 'Every rating of your API, hidden ones included, with authors',
      request: { params: ApiParam },
      responses: { 200: jsonResponse(RatingsSchema, 'Ratings'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const api = await manageableApi(c.var.db, principalOf(c.var.principal, ['api:view']), c.req.valid('param').apiId, API_OR_PRODUCT);
      return c.json(await ratingsOf(c.var.db, api.id, { includeHidden: true, authorEmail: true }), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:publish'),
      method: 'patch',
      path: '/apis/{apiId}/ratings/{ratingId}',
      tags,
      summary: 'Hide a rating from the portal (or show it again)',
      request: { params: z.object({ apiId: z.string(), ratingId: z.string() }), body: jsonBody(ModerateRatingBody) },
      responses: { 200: jsonResponse(RatingSchema, 'The rating'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:publish']);
      const db = c.var.db;
      const { apiId, ratingId } = c.req.valid('param');
      const api = await manageableApi(db, principal, apiId, API_OR_PRODUCT);
      const { hidden } = c.req.valid('json');
      const found = (
        await db
          .select({ id: schema.apiRatings.id })
          .from(schema.apiRatings)
          .where(and(eq(schema.apiRatings.id, ratingId), eq(schema.apiRatings.apiId, api.id)))
          .limit(1)
      )[0];
      if (found === undefined) throw new ApiError('not-found', { detail: 'No such rating of this API' });
      const [rows] = await db.batch([
        db.update(schema.apiRatings).set({ hidden }).where(eq(schema.apiRatings.id, found.id)).returning(),
        auditEntry(db, principal, hidden ? 'rating.hide' : 'rating.show', { type: 'rating', id: found.id }, null, { apiId: api.id }),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('not-found', { detail: 'No such rating of this API' });
      const author = (await db.select({ email: schema.users.email }).from(schema.users).where(eq(schema.users.id, row.userId)).limit(1))[0];
      return c.json(ratingView(row, author?.email ?? ''), 200);
    },
  );
  return app;
}
