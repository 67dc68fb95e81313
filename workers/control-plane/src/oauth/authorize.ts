import { eq } from 'drizzle-orm';
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { newSecret, sha256Hex } from '../../../shared/crypto.ts';
import { checkPassword } from '../auth/login-throttle.ts';
import { crossSiteReason } from '../auth/same-origin.ts';
import { SESSION_COOKIE, findSessionUser } from '../auth/session.ts';
import { schema } from '../db.ts';
import type { AppEnv } from '../types.ts';
import { redirectUriProblem } from './redirect-uri.ts';
import { OIDC_SCOPES } from './oidc.ts';
import { checkScope, grantableScopes } from './scope.ts';

const CODE_TTL_MS = 60_000;
const FORM_LIMIT = 16 * 1024;
const PARAMS = [
  'response_type',
  'client_id',
  'redirect_uri',
  'scope',
  'state',
  'code_challenge',
  'code_challenge_method',
  'nonce',
] as const;
/** A nonce is opaque to us but ends up in a signed token: bounded, printable (OIDC Core §3.1.2.1). */
const NONCE = /^[\x21-\x7e]{1,255}$/;

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, body: string, status = 200): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title></head><body><main><h1>${escape(title)}</h1>${body}</main></body></html>`;
  return new Response(html, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      // No script at all on this page; it may not be framed (clickjacking of the consent button).
      'content-security-policy': "default-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
      'x-frame-options': 'DENY',
      'x-content-type-options': 'nosniff',
    },
  });
}

interface Request {
  clientId: string;
  redirectUri: string;
  scope: string;
  state: string | null;
  challenge: string;
  nonce: string | null;
}

/**
 * Validates an authorization request (RFC 6749 §4.1.1, RFC 7636). Errors about the client or the
 * redirect URI are shown, never redirected (§4.1.2.1); the rest go back to the client's redirect URI.
 */
async function validate(
  c: Context<AppEnv>,
  params: URLSearchParams,
): Promise<{ ok: true; request: Request; appName: string } | { ok: false; response: Response }> {
  const clientId = params.get('client_id');
  const redirectUri = params.get('redirect_uri');
  const key =
    clientId === null
      ? undefined
      : (
          await c.var.db
            .select({ key: schema.applicationKeys, app: schema.applications })
            .from(schema.applicationKeys)
            .innerJoin(schema.applications, eq(schema.applications.id, schema.applicationKeys.applicationId))
            .where(eq(schema.applicationKeys.consumerKey, clientId))
            .limit(1)
        )[0];
  if (key === undefined || clientId === null)
    return { ok: false, response: page('Unknown application', '<p>The client_id is not known.</p>', 400) };
  if (redirectUri === null || !key.key.callbackUrls.includes(redirectUri))
    return {
      ok: false,
      response: page('Redirect not allowed', '<p>The redirect_uri is not registered for this application (exact match required).</p>', 400),
    };
  // Registered before callback URLs were checked, perhaps: never redirect to a non-web scheme.
  if (redirectUriProblem(redirectUri) !== null)
    return {
      ok: false,
      response: page('Redirect not allowed', '<p>The registered redirect_uri is not an https: (or loopback http:) URL.</p>', 400),
    };
  const back = (error: string, description: string) => ({
    ok: false as const,
    response: redirectTo(c, redirectUri, params.get('state'), { error, error_description: description }),
  });
  if (params.get('response_type') !== 'code') return back('unsupported_response_type', 'Only response_type=code is supported');
  if (!key.key.grantTypes.includes('authorization_code'))
    return back('unauthorized_client', 'This client may not use the authorization code grant');
  const challenge = params.get('code_challenge');
  if (challenge === null || params.get('code_challenge_method') !== 'S256' || !/^[A-Za-z0-9_-]{43}$/.test(challenge))
    return back('invalid_request', 'PKCE with code_challenge_method=S256 is required');
  // RFC 6749 §4.1.2.1: an unknown scope, or one the application may not be given, goes back as invalid_scope.
  // The OpenID Connect scopes are about the user, so any client of this flow may ask for them.
  const scope = checkScope(params.get('scope'), new Set([...(await grantableScopes(c.var.db, key.app.id)), ...OIDC_SCOPES]));
  if (!scope.ok)
    return back(
      'invalid_scope',
      scope.reason === 'malformed'
        ? 'The scope parameter is malformed'
        : `Not a scope of this application's subscribed APIs: ${scope.outside.join(' ')}`,
    );
  const nonce = params.get('nonce');
  if (nonce !== null && nonce !== '' && !NONCE.test(nonce))
    return back('invalid_request', 'The nonce must be 1 to 255 printable ASCII characters');
  return {
    ok: true,
    request: {
      clientId,
      redirectUri,
      scope: scope.scopes.join(' '),
      state: params.get('state'),
      challenge,
      nonce: nonce === null || nonce === '' ? null : nonce,
    },
    appName: key.app.name,
  };
}

/**
 * The authorization response (RFC 6749 §4.1.2), success or error, with the state and — RFC 9207 —
 * the issuer, so a client talking to several servers can tell which one answered.
 */
function redirectTo(c: Context<AppEnv>, redirectUri: string, state: string | null, params: Record<string, string>): Response {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  if (state !== null) url.searchParams.set('state', state);
  url.searchParams.set('iss', c.env.ISSUER);
  return c.redirect(url.toString(), 302);
}

function consentForm(request: Request, appName: string, signedInAs: string | null, error: string | null): string {
  const hidden = PARAMS.map((name) => {
    const value =
      name === 'response_type'
        ? 'code'
        : name === 'code_challenge_method'
          ? 'S256'
          : name === 'client_id'
            ? request.clientId
            : name === 'redirect_uri'
              ? request.redirectUri
              : name === 'scope'
                ? request.scope
                : name === 'state'
                  ? (request.state ?? '')
                  : name === 'nonce'
                    ? (request.nonce ?? '')
                    : request.challenge;
    return `<input type="hidden" name="${name}" value="${escape(value)}">`;
  }).join('');
  const login =
    signedInAs === null
      ? `<p><label>Email <input name="email" type="email" autocomplete="username" required></label></p><p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>`
      : `<p>Signed in as ${escape(signedInAs)}.</p>`;
  return `${error === null ? '' : `<p role="alert">${escape(error)}</p>`}<p><strong>${escape(appName)}</strong> asks to call APIs on your behalf${request.scope === '' ? '' : ` with the scopes <code>${escape(request.scope)}</code>`}.</p><form method="post" action="/oauth2/authorize">${hidden}${login}<button name="decision" value="allow">Allow</button> <button name="decision" value="deny">Deny</button></form>`;
}

export async function authorizePage(c: Context<AppEnv>): Promise<Response> {
  const checked = await validate(c, new URL(c.req.url).searchParams);
  if (!checked.ok) return checked.response;
  const token = getCookie(c, SESSION_COOKIE);
  const user = token === undefined ? null : await findSessionUser(c.var.db, token);
  return page('Authorize application', consentForm(checked.request, checked.appName, user?.email ?? null, null));
}

export async function authorizeDecision(c: Context<AppEnv>): Promise<Response> {
  // Only this page may post here, checked before anything else: a cross-site post is refused
  // whatever its body (the cookie is SameSite=Strict too, but the form also takes a password).
  if (crossSiteReason(c.req.raw.headers, new Set([new URL(c.env.ISSUER).origin, new URL(c.req.url).origin])) !== null)
    return page('Refused', '<p>Cross-site request refused.</p>', 403);
  const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded')
    return page('Unsupported request', '<p>The form must be sent as application/x-www-form-urlencoded.</p>', 415);
  const text = await c.req.text();
  if (text.length > FORM_LIMIT) return page('Unsupported request', '<p>The form is too large.</p>', 413);
  const form = new URLSearchParams(text);
  const checked = await validate(c, form);
  if (!checked.ok) return checked.response;
  const { request, appName } = checked;
  const db = c.var.db;
  const redirect = (params: Record<string, string>) => redirectTo(c, request.redirectUri, request.state, params);
  if (form.get('decision') !== 'allow') return redirect({ error: 'access_denied', error_description: 'The user denied the request' });
  const token = getCookie(c, SESSION_COOKIE);
  let user = token === undefined ? null : await findSessionUser(db, token);
  if (user === null) {
    const email = (form.get('email') ?? '').trim().toLowerCase();
    const checked = await checkPassword(db, email, form.get('password') ?? '', c.req.header('cf-connecting-ip') ?? 'unknown');
    if (!checked.ok && checked.reason === 'throttled')
      return page('Authorize application', consentForm(request, appName, null, 'Too many failed sign-ins; try again later.'), 429);
    if (!checked.ok) return page('Authorize application', consentForm(request, appName, null, 'Wrong email or password.'), 401);
    user = checked.user;
  }
  const key = (await db.select().from(schema.applicationKeys).where(eq(schema.applicationKeys.consumerKey, request.clientId)).limit(1))[0];
  if (key === undefined) return page('Unknown application', '<p>The client_id is not known.</p>', 400);
  const code = newSecret('ac_');
  await db.insert(schema.authorizationCodes).values({
    codeHash: await sha256Hex(code),
    applicationKeyId: key.id,
    userId: user.id,
    redirectUri: request.redirectUri,
    scope: request.scope,
    codeChallenge: request.challenge,
    nonce: request.nonce,
    expiresAt: Date.now() + CODE_TTL_MS,
  });
  return redirect({ code });
}
