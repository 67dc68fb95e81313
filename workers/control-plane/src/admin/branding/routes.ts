import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { auditEntry } from '../../audit.ts';
import { principalOf } from '../../auth/middleware.ts';
import { PUBLIC, requires } from '../../http/security.ts';
import { schema, type Database } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';

const COLOUR = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'A colour as #rrggbb');
/**
 * The logo travels as a data: URL, so the portal's CSP (`img-src 'self' data:`) needs no other
 * origin and no upload store; an <img> never runs script, SVG included. 200 kB of base64 at most.
 */
const LOGO = z
  .string()
  .max(200_000, 'A logo of at most about 150 kB')
  .regex(
    /^data:image\/(png|jpeg|webp|gif|svg\+xml);base64,[A-Za-z0-9+/]+={0,2}$/,
    'A PNG, JPEG, WebP, GIF or SVG image as a base64 data: URL',
  );

export const BrandingSchema = z
  .object({
    portalName: z.string().trim().min(1).max(60),
    logo: LOGO.nullable(),
    primaryColor: COLOUR.openapi({ description: 'Links, buttons and the active tab' }),
    headerColor: COLOUR.openapi({ description: 'The background of the page header' }),
    landingMarkdown: z
      .string()
      .max(20_000)
      .openapi({ description: "The landing page's text (Markdown, rendered without HTML); empty: the portal's own" }),
  })
  .openapi('Branding');
export type Branding = z.infer<typeof BrandingSchema>;

export const DEFAULT_BRANDING: Branding = {
  portalName: 'Turnpike',
  logo: null,
  primaryColor: '#0b63ce',
  headerColor: '#ffffff',
  landingMarkdown: '',
};

/** The stored branding (settings key `branding`), parsed: a stored value that no longer parses counts as unset. */
async function readBranding(db: Database): Promise<Branding> {
  const row = (await db.select().from(schema.settings).where(eq(schema.settings.key, 'branding')).limit(1))[0];
  const parsed = BrandingSchema.safeParse(row?.value);
  return parsed.success ? parsed.data : DEFAULT_BRANDING;
}

/** GET /api/devportal/v1/branding: anyone, so the portal's first paint (signed in or not) carries it. */
export function brandingPublicRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: PUBLIC,
      method: 'get',
      path: '/branding',
      tags: ['Devportal: catalog'],
      summary: "The portal's name, logo, colours and landing text",
      responses: { 200: jsonResponse(BrandingSchema, 'Branding') },
    }),
    async (c) => c.json(await readBranding(c.var.db), 200),
  );
  return app;
}

/** PUT /api/admin/v1/branding: the portal applies it on its next page load, no rebuild. */
export function brandingAdminRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: requires('admin:settings'),
      method: 'put',
      path: '/branding',
      tags: ['Admin: settings'],
      summary: "Set the portal's name, logo, colours and landing text",
      request: { body: jsonBody(BrandingSchema.strict()) },
      responses: { 200: jsonResponse(BrandingSchema, 'Branding'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:settings']);
      const db = c.var.db;
      const next = c.req.valid('json');
      const before = await readBranding(db);
      // The logo is large and opaque: the audit entry says whether one is set, not its bytes.
      const summary = (b: Branding) => ({
        ...b,
        logo: b.logo === null ? null : `${b.logo.length} characters`,
        landingMarkdown: `${b.landingMarkdown.length} characters`,
      });
      await db.batch([
        db
          .insert(schema.settings)
          .values({ key: 'branding', value: next })
          .onConflictDoUpdate({ target: schema.settings.key, set: { value: next } }),
        auditEntry(db, principal, 'branding.update', { type: 'settings', id: 'branding' }, summary(before), summary(next)),
      ]);
      return c.json(next, 200);
    },
  );
  return app;
}
