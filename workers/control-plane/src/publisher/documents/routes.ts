import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, asc, eq } from 'drizzle-orm';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { API_OR_PRODUCT, manageableApi } from '../apis/store.ts';
import { requires } from '../../http/security.ts';
import { nameText } from '../../http/fields.ts';

const tags = ['Publisher: documents'];
export const DOCUMENT_TYPES = ['HOWTO', 'SAMPLES', 'PUBLIC_FORUM', 'SUPPORT_FORUM', 'OTHER'] as const;
export const DocumentSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.enum(DOCUMENT_TYPES),
    sourceType: z.enum(['INLINE', 'URL']),
    content: z.string().nullable(),
    url: z.string().nullable(),
    sortOrder: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('ApiDocument');
const HttpUrl = z
  .string()
  .url()
  .max(2000)
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'Only http and https links');
export const DocumentBody = z
  .strictObject({
    name: nameText(200),
    type: z.enum(DOCUMENT_TYPES).default('HOWTO'),
    sourceType: z.enum(['INLINE', 'URL']).default('INLINE'),
    content: z
      .string()
      .max(200_000)
      .nullable()
      .default(null)
      .openapi({ description: 'Markdown, for INLINE documents (rendered sanitised by the portal)' }),
    url: HttpUrl.nullable().default(null),
    sortOrder: z.number().int().min(0).max(10_000).default(0),
  })
  .superRefine((d, ctx) => {
    if (d.sourceType === 'INLINE' && d.content === null)
      ctx.addIssue({ code: 'custom', path: ['content'], message: 'An inline document needs content' });
    if (d.sourceType === 'URL' && d.url === null) ctx.addIssue({ code: 'custom', path: ['url'], message: 'A linked document needs a url' });
  })
  .openapi('DocumentRequest');

type Row = typeof schema.apiDocuments.$inferSelect;
export const documentView = (d: Row) => ({
  id: d.id,
  name: d.name,
  type: d.type,
  sourceType: d.sourceType,
  content: d.content,
  url: d.url,
  sortOrder: d.sortOrder,
  updatedAt: d.updatedAt,
});

/** Markdown documents of an API, inline or as links, listed in their order. */
export function documentRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const DocParams = z.object({ apiId: z.string(), documentId: z.string() });

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}/documents',
      tags,
      summary: 'Documents of an API, in order',
      request: { params: z.object({ apiId: z.string() }) },
      responses: {
        200: jsonResponse(z.object({ list: z.array(DocumentSchema) }), 'Documents'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const api = await manageableApi(c.var.db, principalOf(c.var.principal, ['api:view']), c.req.valid('param').apiId, API_OR_PRODUCT);
      const rows = await c.var.db
        .select()
        .from(schema.apiDocuments)
        .where(eq(schema.apiDocuments.apiId, api.id))
        .orderBy(asc(schema.apiDocuments.sortOrder), asc(schema.apiDocuments.name));
      return c.json({ list: rows.map(documentView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'post',
      path: '/apis/{apiId}/documents',
      tags,
      summary: 'Add a document',
      request: { params: z.object({ apiId: z.string() }), body: jsonBody(DocumentBody) },
      responses: { 201: jsonResponse(DocumentSchema, 'The document'), ...problems('unauthorized', 'forbidden', 'not-found', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const api = await manageableApi(db, principal, c.req.valid('param').apiId, API_OR_PRODUCT);
      const body = c.req.valid('json');
      const id = newId('document');
      try {
        const [rows] = await db.batch([
          db
            .insert(schema.apiDocuments)
            .values({ id, apiId: api.id, ...body })
            .returning(),
          auditEntry(db, principal, 'document.create', { type: 'api_document', id }, null, { apiId: api.id, name: body.name }),
        ]);
        const row = rows[0];
        if (row === undefined) throw new ApiError('internal');
        return c.json(documentView(row), 201);
      } catch (err) {
        if (/UNIQUE constraint failed: api_documents/.test(String(err)))
          throw new ApiError('conflict', {
            detail: `A document named ${body.name} exists`,
            errors: [{ pointer: '/name', detail: 'Taken for this API' }],
          });
        throw err;
      }
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'put',
      path: '/apis/{apiId}/documents/{documentId}',
      tags,
      summary: 'Replace a document',
      request: { params: DocParams, body: jsonBody(DocumentBody) },
      responses: { 200: jsonResponse(DocumentSchema, 'The document'), ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const { apiId, documentId } = c.req.valid('param');
      const api = await manageableApi(db, principal, apiId, API_OR_PRODUCT);
      const body = c.req.valid('json');
      const [rows] = await db.batch([
        db
          .update(schema.apiDocuments)
          .set({ ...body, updatedAt: Date.now() })
          .where(and(eq(schema.apiDocuments.id, documentId), eq(schema.apiDocuments.apiId, api.id)))
          .returning(),
        auditEntry(db, principal, 'document.update', { type: 'api_document', id: documentId }, null, { name: body.name }),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('not-found', { detail: 'No such document' });
      return c.json(documentView(row), 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'delete',
      path: '/apis/{apiId}/documents/{documentId}',
      tags,
      summary: 'Remove a document',
      request: { params: DocParams },
      responses: { 204: { description: 'Removed' }, ...problems('unauthorized', 'forbidden', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const db = c.var.db;
      const { apiId, documentId } = c.req.valid('param');
      const api = await manageableApi(db, principal, apiId, API_OR_PRODUCT);
      const existing = (
        await db
          .select()
          .from(schema.apiDocuments)
          .where(and(eq(schema.apiDocuments.id, documentId), eq(schema.apiDocuments.apiId, api.id)))
          .limit(1)
      )[0];
      if (existing === undefined) throw new ApiError('not-found', { detail: 'No such document' });
      await db.batch([
        db.delete(schema.apiDocuments).where(eq(schema.apiDocuments.id, existing.id)),
        auditEntry(db, principal, 'document.delete', { type: 'api_document', id: existing.id }, { name: existing.name }, null),
      ]);
      return c.body(null, 204);
    },
  );
  return app;
}
