import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import { ApiError, problemResponse, PROBLEMS } from '../../../shared/problem.ts';
import { SESSION_TTL_MS, createSession, sessionCookie } from '../auth/session.ts';
import { controlPlaneConfig } from '../config.ts';
import { schema } from '../db.ts';
import { jsonResponse, problems } from '../http/openapi.ts';
import { PUBLIC } from '../http/security.ts';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { accountFor, type RefusedAccount } from './accounts.ts';
import { flowContext } from './context.ts';
import { countSignInStart, SSO_STARTS_PER_MINUTE } from './start-limit.ts';
import { BINDING_COOKIE, LOGIN_TTL_MS, beginSignIn, finishSignIn, safeReturnTo, type RefusedFlow } from './flow.ts';

const tags = ['Authentication'];
const NameParam = z.object({
  name: z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/)
    .max(60),
});

export const SsoProviderLinkSchema = z
  .object({
    name: z.string().openapi({ description: "The key manager's name" }),
    displayName: z.string(),
    startUrl: z.string().openapi({ description: 'Where the sign-in page links "Sign in with <displayName>" (append ?returnTo=/path)' }),
  })
  .openapi('SsoProviderLink');

/**
 * What a provider sends back (RFC 6749 §4.1.2 and §4.1.2.1, RFC 9207 `iss`), plus what well-known
 * providers add (`session_state`: OIDC Session Management; Google's `scope`, `authuser`, `hd`,
 * `prompt`): the operation guard refuses undeclared query parameters, and a redirect from a third
 * party is no place to be strict about extras. They are read by oauth4webapi, not here.
 */
const CallbackQuery = z.object(
  Object.fromEntries(
    ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state', 'scope', 'authuser', 'hd', 'prompt'].map((k) => [
      k,
      z.string().max(4096).optional(),
    ]),
  ),
);

/** What the visitor is told, by refusal: clear enough to act on, without the internal reason (that goes to the log). */
const REFUSALS: Record<RefusedFlow | RefusedAccount, { code: 'unauthorized' | 'sso-refused'; detail: string }> = {
  'state-unknown': { code: 'unauthorized', detail: 'This sign-in link is not valid or was already used. Start the sign-in again.' },
  'state-expired': { code: 'unauthorized', detail: 'This sign-in took too long. Start it again.' },
  'browser-mismatch': { code: 'unauthorized', detail: 'This sign-in was started in another browser. Start it again here.' },
  'provider-denied': { code: 'unauthorized', detail: 'The identity provider did not sign you in.' },
  'token-invalid': { code: 'unauthorized', detail: "The identity provider's answer could not be verified." },
  'provider-unreachable': { code: 'unauthorized', detail: 'The identity provider could not be reached. Try again later.' },
  'no-role': {
    code: 'sso-refused',
    detail: 'Your account at the identity provider is in no group that grants a role in this portal. Ask an administrator for access.',
  },
  'email-taken': {
    code: 'sso-refused',
    detail:
      'A portal account with your email address exists. Sign in with its password; it can only be joined to the identity provider when the administrator allows it and the provider has verified your address.',
  },
  'no-email': { code: 'sso-refused', detail: 'The identity provider did not share your email address, which the portal needs.' },
  inactive: { code: 'sso-refused', detail: 'Your portal account is not active.' },
};

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * A refusal as the page a browser lands on (it came here by a redirect from the provider, so a JSON
 * body would be a dead end), or as problem+json for any other client.
 */
function refusal(error: ApiError, acceptsHtml: boolean, portalUrl: string): Response {
  if (!acceptsHtml) return problemResponse(error);
  const title = PROBLEMS[error.code].title;
  const signin = new URL('/#/signin', portalUrl).href;
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><main><h1>${escapeHtml(title)}</h1><p id="sso-error">${escapeHtml(error.message)}</p><p><a href="${escapeHtml(signin)}">Back to sign-in</a></p></main></body></html>`;
  return new Response(page, {
    status: error.status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'",
      'referrer-policy': 'no-referrer',
    },
  });
}

function bindingCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  // SameSite=Lax, not Strict: the callback is a top-level navigation from the provider's site, on
  // which only Lax cookies are sent (RFC 6265bis §5.4.7.1). Path-scoped to the SSO routes.
  return `${BINDING_COOKIE}=${value}; Path=/api/auth/sso; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;
}

/** /api/auth/sso — portal sign-in with an external OpenID Provider (decision 0051). */
export function ssoRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sso/providers',
      security: PUBLIC,
      tags,
      summary: 'The identity providers the portal offers sign-in with',
      responses: { 200: jsonResponse(z.object({ list: z.array(SsoProviderLinkSchema) }), 'Enabled providers') },
    }),
    async (c) => {
      const rows = await c.var.db
        .select({ name: schema.keyManagers.name, displayName: schema.keyManagers.displayName })
        .from(schema.ssoProviders)
        .innerJoin(schema.keyManagers, eq(schema.keyManagers.id, schema.ssoProviders.keyManagerId))
        .where(and(eq(schema.ssoProviders.enabled, true), eq(schema.keyManagers.enabled, true)))
        .orderBy(schema.keyManagers.displayName);
      return c.json(
        {
          list: rows.map((r) => ({
            name: r.name,
            displayName: r.displayName,
            startUrl: `/api/auth/sso/${encodeURIComponent(r.name)}/start`,
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sso/{name}/start',
      security: PUBLIC,
      tags,
      summary: 'Start signing in at the provider: a redirect to its authorization endpoint (PKCE S256, state, nonce)',
      description: `Each start holds a pending sign-in for 10 minutes; an address may start ${SSO_STARTS_PER_MINUTE} per minute (then 429 with Retry-After).`,
      request: {
        params: NameParam,
        query: z.object({
          returnTo: z
            .string()
            .max(500)
            .optional()
            .openapi({ description: "A path of the portal's router to land on afterwards, e.g. /publisher/apis" }),
        }),
      },
      responses: {
        302: { description: "To the provider's authorization endpoint" },
        ...problems('not-found', 'login-throttled', 'service-unavailable'),
      },
    }),
    async (c) => {
      const { name } = c.req.valid('param');
      const ctx = await flowContext(c.env, c.var.db, name);
      if (ctx === null) throw new ApiError('not-found', { detail: 'No such sign-in provider' });
      await countSignInStart(c.env, c.req.header('cf-connecting-ip') ?? 'unknown');
      let started: { location: string; binding: string };
      try {
        started = await beginSignIn(c.var.db, ctx, safeReturnTo(c.req.valid('query').returnTo));
      } catch (cause) {
        console.error(JSON.stringify({ level: 'error', message: 'sso start failed', provider: name, cause: String(cause) }));
        throw new ApiError('service-unavailable', { detail: 'The identity provider could not be reached. Try again later.' });
      }
      c.header('set-cookie', bindingCookie(started.binding, LOGIN_TTL_MS / 1000, new URL(c.req.url).protocol === 'https:'));
      c.header('cache-control', 'no-store');
      return c.redirect(started.location, 302);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/sso/{name}/callback',
      security: PUBLIC,
      tags,
      summary: "The provider's redirect back: signs the user in and sends them where they were",
      description:
        'Refusals are problem+json, or an HTML page for a browser (Accept: text/html). A state is used once; the callback must reach the browser that started the sign-in.',
      request: { params: NameParam, query: CallbackQuery },
      responses: {
        303: { description: 'Signed in: to the portal page the visitor came from' },
        ...problems('unauthorized', 'sso-refused', 'not-found'),
      },
    }),
    async (c) => {
      const portalUrl = controlPlaneConfig(c.env).PORTAL_URL;
      const html = (c.req.header('accept') ?? '').includes('text/html');
      const secure = new URL(c.req.url).protocol === 'https:';
      const { name } = c.req.valid('param');
      const db = c.var.db;
      const ctx = await flowContext(c.env, db, name);
      if (ctx === null) return refusal(new ApiError('not-found', { detail: 'No such sign-in provider' }), html, portalUrl);
      const refuse = (reason: RefusedFlow | RefusedAccount, cause?: unknown) => {
        console.warn(
          JSON.stringify({
            level: 'warn',
            message: 'sso sign-in refused',
            provider: name,
            reason,
            cause: cause === undefined ? undefined : String(cause),
          }),
        );
        const { code, detail } = REFUSALS[reason];
        const res = refusal(new ApiError(code, { detail }), html, portalUrl);
        res.headers.append('set-cookie', bindingCookie('', 0, secure));
        return res;
      };
      // The provider redirects to the registered URI on the portal's origin; the query is what counts.
      const callback = new URL(ctx.redirectUri);
      callback.search = new URL(c.req.url).search;
      const flow = await finishSignIn(db, ctx, callback, getCookie(c, BINDING_COOKIE));
      if (!flow.ok) return refuse(flow.reason, flow.cause);
      const account = await accountFor(db, ctx.provider, flow.value);
      if (!account.ok) return refuse(account.reason);
      const session = await createSession(db, account.user.id);
      const res = new Response(null, {
        status: 303,
        headers: { location: new URL(`/#${flow.value.returnTo}`, portalUrl).href, 'cache-control': 'no-store' },
      });
      res.headers.append('set-cookie', sessionCookie(session.token, SESSION_TTL_MS / 1000, secure));
      res.headers.append('set-cookie', bindingCookie('', 0, secure));
      return res;
    },
  );

  return app;
}
