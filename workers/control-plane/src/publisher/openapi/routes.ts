import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { ApiError } from '../../../../shared/problem.ts';
import { principalOf } from '../../auth/middleware.ts';
import { schema } from '../../db.ts';
import { jsonResponse, problems } from '../../http/openapi.ts';
import { fieldErrors, validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { createApi, sealEndpointSecurity } from '../apis/create.ts';
import { ApiSchema, CreateApiBody } from '../apis/schemas.ts';
import { apiView, manageableApi } from '../apis/store.ts';
import { generatedDocument, parseDefinition } from './parse.ts';
import { loadDocument, storeDocument } from './documents.ts';
import { requires } from '../../http/security.ts';

/** YAML media types the import route accepts besides JSON (RFC 9512 registers application/yaml; the others are in use). */
const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];
export const IMPORT_PATH = '/api/publisher/v1/apis/import';

const ImportOptions = CreateApiBody.omit({ resources: true, openapi: true }).partial({ name: true, version: true });
export const ImportJson = ImportOptions.extend({ definition: z.union([z.string(), z.record(z.string(), z.unknown())]) }).openapi(
  'ImportApiRequest',
);
const ImportQuery = z.object({ context: z.string().optional(), version: z.string().optional(), name: z.string().optional() });

export function openapiRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('api:create'),
      method: 'post',
      path: '/apis/import',
      tags: ['Publisher: APIs'],
      summary: 'Create an API from an OpenAPI 3.0 / 3.1 or Swagger 2.0 document (JSON or YAML; external $refs are never fetched)',
      request: {
        query: ImportQuery,
        // Validated in the handler: a bare OpenAPI document is accepted as well as the wrapped form,
        // and YAML bodies are not JSON at all.
        body: {
          required: false,
          content: {
            'application/json': {
              schema: z.union([
                ImportJson,
                z.record(z.string(), z.unknown()).openapi({ description: 'A bare OpenAPI document; options as query parameters' }),
              ]),
            },
            ...Object.fromEntries(
              YAML_TYPES.map((type) => [
                type,
                { schema: z.string().openapi({ description: 'The document itself; context, version and name as query parameters' }) },
              ]),
            ),
          },
        },
      },
      responses: {
        201: jsonResponse(ApiSchema, 'The API, with one resource per operation'),
        ...problems('unauthorized', 'forbidden', 'conflict', 'payload-too-large'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:create']);
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      let options: Record<string, unknown>;
      let source: unknown;
      if (type === 'application/json') {
        let body: unknown;
        try {
          body = await c.req.json();
        } catch {
          throw new ApiError('malformed-json', { detail: 'The request body is not valid JSON' });
        }
        // A bare OpenAPI document (no `definition` wrapper) is accepted too, with options in the query.
        if (typeof body === 'object' && body !== null && !('definition' in body)) {
          source = body;
          options = c.req.valid('query');
        } else {
          const parsed = ImportJson.safeParse(body);
          if (!parsed.success)
            throw new ApiError('validation-failed', { detail: 'Invalid import request', errors: fieldErrors(parsed.error, 'json') });
          const { definition, ...rest } = parsed.data;
          source = definition;
          // Only what the caller sent: the schema's defaults (e.g. an empty description) must not
          // overwrite what the document itself says.
          options = Object.fromEntries(Object.entries(rest).filter(([key]) => key in (body as Record<string, unknown>)));
        }
      } else {
        source = await c.req.text();
        options = c.req.valid('query');
      }
      const imported = parseDefinition(source);
      const document = await storeDocument(c.env.BLOBS, imported.document);
      const candidate = {
        name: imported.title ?? undefined,
        version: imported.version?.replace(/[^A-Za-z0-9._-]/g, '-') ?? undefined,
        description: imported.description,
        ...options,
        resources: imported.resources,
      };
      const body = CreateApiBody.safeParse(candidate);
      if (!body.success)
        throw new ApiError('validation-failed', {
          detail: 'The document and options do not make a valid API',
          errors: fieldErrors(body.error, 'json'),
        });
      const row = await createApi(
        c.var.db,
        principal,
        body.data,
        document,
        await sealEndpointSecurity(c.env.ENCRYPTION_KEY, body.data.endpoints),
      );
      return c.json(await apiView(c.var.db, row), 201);
    },
  );

  app.openapi(
    createRoute({
      security: requires('api:view'),
      method: 'get',
      path: '/apis/{apiId}/openapi',
      tags: ['Publisher: APIs'],
      summary: 'Export the API as an OpenAPI document',
      request: { params: z.object({ apiId: z.string() }) },
      responses: {
        200: jsonResponse(z.record(z.string(), z.unknown()), 'The OpenAPI document'),
        ...problems('unauthorized', 'forbidden', 'not-found'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['api:view']);
      const api = await manageableApi(c.var.db, principal, c.req.valid('param').apiId);
      const stored = await loadDocument(c.env.BLOBS, api);
      if (stored !== null) return c.json(stored, 200);
      const resources = await c.var.db
        .select()
        .from(schema.apiResources)
        .where(eq(schema.apiResources.apiId, api.id))
        .orderBy(schema.apiResources.sortOrder);
      return c.json(
        generatedDocument(
          api,
          resources.map((r) => ({ method: r.method, path: r.pathTemplate, authType: r.authType, scopes: r.scopes })),
        ),
        200,
      );
    },
  );
  return app;
}
