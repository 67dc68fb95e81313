import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { and, count, desc, eq, ne } from 'drizzle-orm';
import { getCookie } from 'hono/cookie';
import { hashPassword, newSecret, sha256Hex, timingSafeEqual } from '../../../shared/crypto.ts';
import { newId } from '../../../shared/ids.ts';
import { ApiError } from '../../../shared/problem.ts';
import { auditEntry } from '../audit.ts';
import { schema } from '../db.ts';
import { jsonBody, jsonResponse, problems } from '../http/openapi.ts';
import { validationHook } from '../http/validation.ts';
import type { AppEnv } from '../types.ts';
import { checkPassword } from './login-throttle.ts';
import { recoveryRoutes } from './recovery.ts';
import { ssoRoutes } from '../sso/routes.ts';
import { principalOf } from './middleware.ts';
import { ROLE_SCOPES } from './scopes.ts';
import {
  BootstrapBody,
  ChangePasswordBody,
  CreateTokenBody,
  CreatedTokenSchema,
  LoginBody,
  ManagementTokenSchema,
  UpdateMeBody,
  UserSchema,
  toUser,
} from './schemas.ts';
import { SESSION_COOKIE, SESSION_TTL_MS, createSession, deleteSession, sessionCookie } from './session.ts';
import { OPTIONALLY_SIGNED_IN, PUBLIC, requires } from '../http/security.ts';

const tags = ['Authentication'];

const INACTIVE: Record<string, string> = {
  UNVERIFIED: 'Confirm your email address first: follow the link in the mail we sent you (signing up again sends a new one)',
  PENDING: 'Your sign-up is waiting for approval',
};

export function authRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.route('/', recoveryRoutes());
  app.route('/', ssoRoutes());

  app.openapi(
    createRoute({
      method: 'post',
      path: '/bootstrap',
      security: PUBLIC,
      tags,
      summary: 'Create the first admin (only while no user exists)',
      request: { headers: z.object({ 'x-bootstrap-token': z.string().min(1) }), body: jsonBody(BootstrapBody) },
      responses: { 201: jsonResponse(UserSchema, 'The admin was created'), ...problems('forbidden', 'conflict') },
    }),
    async (c) => {
      if (!timingSafeEqual(await sha256Hex(c.req.valid('header')['x-bootstrap-token']), await sha256Hex(c.env.BOOTSTRAP_TOKEN))) {
        throw new ApiError('forbidden', { detail: 'Wrong bootstrap token' });
      }
      const body = c.req.valid('json');
      const db = c.var.db;
      const existing = await db.select({ n: count() }).from(schema.users);
      if ((existing[0]?.n ?? 0) > 0)
        throw new ApiError('conflict', { detail: 'The platform already has users; sign in as an admin instead' });
      const id = newId('user');
      const [rows] = await db.batch([
        db
          .insert(schema.users)
          .values({ id, email: body.email, displayName: body.displayName, passwordHash: await hashPassword(body.password), role: 'admin' })
          .returning(),
        auditEntry(db, null, 'user.bootstrap', { type: 'user', id }, null, { email: body.email, role: 'admin' }),
      ]);
      const user = rows[0];
      if (user === undefined) throw new ApiError('internal');
      return c.json(toUser(user), 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/login',
      security: PUBLIC,
      tags,
      summary: 'Sign in to the portal; sets an HttpOnly session cookie',
      request: { body: jsonBody(LoginBody) },
      responses: {
        200: jsonResponse(z.object({ user: UserSchema, expiresAt: z.number().int() }), 'Signed in'),
        ...problems('unauthorized', 'login-throttled'),
      },
    }),
    async (c) => {
      const { email, password } = c.req.valid('json');
      const db = c.var.db;
      const checked = await checkPassword(db, email, password, c.req.header('cf-connecting-ip') ?? 'unknown');
      if (!checked.ok) {
        if (checked.reason === 'throttled')
          throw new ApiError('login-throttled', {
            detail: 'Too many failed sign-ins; try again later',
            headers: { 'retry-after': String(checked.retryAfter) },
          });
        if (checked.reason === 'inactive')
          throw new ApiError('unauthorized', { detail: INACTIVE[checked.status] ?? 'This account is not active' });
        throw new ApiError('unauthorized', { detail: 'Wrong email or password' });
      }
      const user = checked.user;
      const session = await createSession(db, user.id);
      c.header('set-cookie', sessionCookie(session.token, SESSION_TTL_MS / 1000, new URL(c.req.url).protocol === 'https:'));
      return c.json({ user: toUser(user), expiresAt: session.expiresAt }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/logout',
      security: PUBLIC,
      tags,
      summary: 'End the portal session',
      responses: { 204: { description: 'Signed out' } },
    }),
    async (c) => {
      const token = getCookie(c, SESSION_COOKIE);
      if (token !== undefined) await deleteSession(c.var.db, token);
      c.header('set-cookie', sessionCookie('', 0, new URL(c.req.url).protocol === 'https:'));
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      security: requires(),
      method: 'get',
      path: '/me',
      tags,
      summary: 'The signed-in user and their scopes',
      responses: {
        200: jsonResponse(z.object({ user: UserSchema, scopes: z.array(z.string()) }), 'The caller'),
        ...problems('unauthorized'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal);
      const user = (await c.var.db.select().from(schema.users).where(eq(schema.users.id, principal.userId)).limit(1))[0];
      if (user === undefined) throw new ApiError('unauthorized');
      return c.json({ user: toUser(user), scopes: [...principal.scopes] }, 200);
    },
  );

  // The portal asks on every page whether someone is signed in; for an anonymous visitor that is an
  // answer, not an error (a 401 would be logged to the browser console on every public page).
  app.openapi(
    createRoute({
      security: OPTIONALLY_SIGNED_IN,
      method: 'get',
      path: '/session',
      tags,
      summary: 'The signed-in user and their scopes, or user null for an anonymous caller',
      responses: { 200: jsonResponse(z.object({ user: UserSchema.nullable(), scopes: z.array(z.string()) }), 'The caller, or nobody') },
    }),
    async (c) => {
      const principal = c.var.principal;
      const user =
        principal === undefined
          ? undefined
          : (await c.var.db.select().from(schema.users).where(eq(schema.users.id, principal.userId)).limit(1))[0];
      if (principal === undefined || user === undefined) return c.json({ user: null, scopes: [] }, 200);
      return c.json({ user: toUser(user), scopes: [...principal.scopes] }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires(),
      method: 'patch',
      path: '/me',
      tags,
      summary: "Change the signed-in user's display name",
      request: { body: jsonBody(UpdateMeBody) },
      responses: { 200: jsonResponse(z.object({ user: UserSchema }), 'The updated user'), ...problems('unauthorized') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal);
      const { displayName } = c.req.valid('json');
      const db = c.var.db;
      const before = (await db.select().from(schema.users).where(eq(schema.users.id, principal.userId)).limit(1))[0];
      if (before === undefined) throw new ApiError('unauthorized');
      const [rows] = await db.batch([
        db.update(schema.users).set({ displayName, updatedAt: Date.now() }).where(eq(schema.users.id, principal.userId)).returning(),
        auditEntry(
          db,
          principal,
          'user.update',
          { type: 'user', id: principal.userId },
          { displayName: before.displayName },
          { displayName },
        ),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('unauthorized');
      return c.json({ user: toUser(row) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires(),
      method: 'post',
      path: '/me/password',
      tags,
      summary: 'Change the password; every other portal session of the user ends',
      description:
        'The current password is checked like a sign-in (throttled per account and IP). Management tokens are not affected: revoke them under /api/auth/tokens.',
      request: { body: jsonBody(ChangePasswordBody) },
      responses: { 204: { description: 'Changed' }, ...problems('unauthorized', 'login-throttled') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal);
      const body = c.req.valid('json');
      const db = c.var.db;
      const checked = await checkPassword(db, principal.email, body.currentPassword, c.req.header('cf-connecting-ip') ?? 'unknown');
      if (!checked.ok) {
        if (checked.reason === 'throttled')
          throw new ApiError('login-throttled', {
            detail: 'Too many wrong passwords; try again later',
            headers: { 'retry-after': String(checked.retryAfter) },
          });
        if (checked.reason === 'inactive') throw new ApiError('unauthorized', { detail: 'This account is not active' });
        throw new ApiError('validation-failed', { errors: [{ pointer: '/currentPassword', detail: 'Not your current password' }] });
      }
      if (body.newPassword === body.currentPassword)
        throw new ApiError('validation-failed', {
          errors: [{ pointer: '/newPassword', detail: 'Choose a password different from the current one' }],
        });
      const token = getCookie(c, SESSION_COOKIE);
      const keep = token === undefined ? null : await sha256Hex(token);
      await db.batch([
        db
          .update(schema.users)
          .set({ passwordHash: await hashPassword(body.newPassword), updatedAt: Date.now() })
          .where(eq(schema.users.id, principal.userId)),
        db
          .delete(schema.sessions)
          .where(
            keep === null
              ? eq(schema.sessions.userId, principal.userId)
              : and(eq(schema.sessions.userId, principal.userId), ne(schema.sessions.tokenHash, keep)),
          ),
        auditEntry(db, principal, 'user.password', { type: 'user', id: principal.userId }, null, null),
      ]);
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      security: requires(),
      method: 'post',
      path: '/tokens',
      tags,
      summary: 'Create a scoped management token for scripts and the CLI (shown once)',
      request: { body: jsonBody(CreateTokenBody) },
      responses: { 201: jsonResponse(CreatedTokenSchema, 'The token, shown once'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal);
      const body = c.req.valid('json');
      const allowed = new Set(ROLE_SCOPES[principal.role]);
      const refused = body.scopes.filter((s) => !allowed.has(s));
      if (refused.length > 0) {
        throw new ApiError('forbidden', {
          detail: `Your role cannot grant: ${refused.join(', ')}`,
          errors: [{ pointer: '/scopes', detail: `Not allowed for role ${principal.role}: ${refused.join(', ')}` }],
        });
      }
      const token = newSecret('tpm_');
      const id = newId('managementToken');
      const expiresAt = body.expiresInDays === undefined ? null : Date.now() + body.expiresInDays * 86_400_000;
      const db = c.var.db;
      const [rows] = await db.batch([
        db
          .insert(schema.managementTokens)
          .values({
            id,
            userId: principal.userId,
            name: body.name,
            tokenHash: await sha256Hex(token),
            prefix: token.slice(0, 8),
            scopes: body.scopes,
            expiresAt,
          })
          .returning(),
        auditEntry(db, principal, 'token.create', { type: 'management_token', id }, null, { name: body.name, scopes: body.scopes }),
      ]);
      const row = rows[0];
      if (row === undefined) throw new ApiError('internal');
      return c.json(
        { id, name: row.name, prefix: row.prefix, scopes: row.scopes, expiresAt: row.expiresAt, createdAt: row.createdAt, token },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires(),
      method: 'get',
      path: '/tokens',
      tags,
      summary: "List the caller's management tokens",
      responses: {
        200: jsonResponse(z.object({ list: z.array(ManagementTokenSchema) }), 'Tokens (without secrets)'),
        ...problems('unauthorized'),
      },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal);
      const rows = await c.var.db
        .select()
        .from(schema.managementTokens)
        .where(eq(schema.managementTokens.userId, principal.userId))
        .orderBy(desc(schema.managementTokens.createdAt));
      return c.json(
        {
          list: rows.map((r) => ({
            id: r.id,
            name: r.name,
            prefix: r.prefix,
            scopes: r.scopes,
            expiresAt: r.expiresAt,
            createdAt: r.createdAt,
          })),
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      security: requires(),
      method: 'delete',
      path: '/tokens/{tokenId}',
      tags,
      summary: 'Revoke a management token',
      request: { params: z.object({ tokenId: z.string() }) },
      responses: { 204: { description: 'Revoked' }, ...problems('unauthorized', 'not-found') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal);
      const { tokenId } = c.req.valid('param');
      const db = c.var.db;
      const deleted = await db
        .delete(schema.managementTokens)
        .where(and(eq(schema.managementTokens.id, tokenId), eq(schema.managementTokens.userId, principal.userId)))
        .returning({ id: schema.managementTokens.id });
      if (deleted.length === 0) throw new ApiError('not-found', { detail: 'No such token' });
      return c.body(null, 204);
    },
  );

  return app;
}
