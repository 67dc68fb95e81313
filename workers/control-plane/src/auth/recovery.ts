import { PUBLIC } from '../http/security.ts';
import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { hashPassword } from '../../../shared/crypto.ts';
import { newId } from '../../../shared/ids.ts';
import { ApiError } from '../../../shared/problem.ts';
import { auditEntry } from '../audit.ts';
import { schema } from '../db.ts';
import { jsonBody, jsonResponse, problems } from '../http/openapi.ts';
import { validationHook } from '../http/validation.ts';
import { mailSender, sendLater } from '../mail/sender.ts';
import type { AppEnv } from '../types.ts';
import { resetMail } from './account-mails.ts';
import { consumeAccountToken, issueAccountToken } from './account-tokens.ts';
import { ForgotPasswordBody, MailSentSchema, ResetPasswordBody, VerifyEmailBody, VerifiedSchema } from './schemas.ts';

const tags = ['Authentication'];
const invalidLink = () =>
  new ApiError('validation-failed', {
    detail: 'This link is invalid, already used or expired',
    errors: [{ pointer: '/token', detail: 'Invalid, used or expired' }],
  });

/** Email verification and password reset: the links the account mails carry. */
export function recoveryRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: PUBLIC,
      method: 'post',
      path: '/verify-email',
      tags,
      summary: 'Confirm an email address with the token of a verification mail (single use)',
      description: 'ACTIVE: the account can sign in now. PENDING: the sign-up waits for an admin (the sign-up workflow is on).',
      request: { body: jsonBody(VerifyEmailBody) },
      responses: { 200: jsonResponse(VerifiedSchema, 'The address is confirmed'), ...problems('validation-failed') },
    }),
    async (c) => {
      const db = c.var.db;
      const userId = await consumeAccountToken(db, c.req.valid('json').token, 'VERIFY_EMAIL');
      if (userId === null) throw invalidLink();
      const user = (await db.select().from(schema.users).where(eq(schema.users.id, userId)).limit(1))[0];
      if (user === undefined) throw invalidLink();
      // A sign-up held for approval reaches the admins only once its address is proven.
      await db.batch([
        db.update(schema.users).set({ emailVerified: true, updatedAt: Date.now() }).where(eq(schema.users.id, userId)),
        auditEntry(
          db,
          { userId, email: user.email },
          'user.verify-email',
          { type: 'user', id: userId },
          { emailVerified: false },
          { emailVerified: true },
        ),
        ...(user.status === 'PENDING' && !user.emailVerified
          ? [db.insert(schema.workflows).values({ id: newId('workflow'), type: 'USER_SIGNUP', referenceId: userId, requestedBy: userId })]
          : []),
      ]);
      return c.json({ email: user.email, status: user.status === 'PENDING' ? ('PENDING' as const) : ('ACTIVE' as const) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: PUBLIC,
      method: 'post',
      path: '/password/forgot',
      tags,
      summary: 'Mail a password-reset link; the answer is the same whether or not the address has an account',
      request: { body: jsonBody(ForgotPasswordBody) },
      responses: { 202: jsonResponse(MailSentSchema, 'If the address has an account, a link is on its way') },
    }),
    async (c) => {
      const { email } = c.req.valid('json');
      const db = c.var.db;
      const user = (await db.select().from(schema.users).where(eq(schema.users.email, email)).limit(1))[0];
      // Accounts an admin closed stay closed: no link for REJECTED or DISABLED.
      if (user !== undefined && (user.status === 'ACTIVE' || user.status === 'PENDING')) {
        const { token, statements } = await issueAccountToken(db, user.id, 'RESET_PASSWORD');
        await db.batch(statements);
        sendLater(c.executionCtx, mailSender(c.env), resetMail(c.env.PORTAL_URL, user.email, token), 'password-reset');
      }
      return c.json(
        {
          status: 'MAIL_SENT' as const,
          detail: 'If an account uses this address, we sent it a link to reset the password. It works once, for one hour.',
        },
        202,
      );
    },
  );

  app.openapi(
    createRoute({
      security: PUBLIC,
      method: 'post',
      path: '/password/reset',
      tags,
      summary: 'Set a new password with the token of a reset mail (single use); ends every portal session of the account',
      description:
        'Following the link also proves the address, so an unconfirmed sign-up becomes confirmed, and a sign-in lockout ends. Management tokens are not affected: revoke them under /api/auth/tokens.',
      request: { body: jsonBody(ResetPasswordBody) },
      responses: { 204: { description: 'The password is changed; sign in with it' }, ...problems('validation-failed') },
    }),
    async (c) => {
      const { token, newPassword } = c.req.valid('json');
      const db = c.var.db;
      const userId = await consumeAccountToken(db, token, 'RESET_PASSWORD');
      if (userId === null) throw invalidLink();
      const user = (await db.select().from(schema.users).where(eq(schema.users.id, userId)).limit(1))[0];
      if (user === undefined) throw invalidLink();
      await db.batch([
        db
          .update(schema.users)
          .set({
            passwordHash: await hashPassword(newPassword),
            emailVerified: true,
            failedLogins: 0,
            lockedUntil: null,
            updatedAt: Date.now(),
          })
          .where(eq(schema.users.id, userId)),
        db.delete(schema.sessions).where(eq(schema.sessions.userId, userId)),
        db.delete(schema.loginAttempts).where(eq(schema.loginAttempts.key, `acct:${user.email}`)),
        auditEntry(db, { userId, email: user.email }, 'user.password-reset', { type: 'user', id: userId }, null, null),
      ]);
      return c.body(null, 204);
    },
  );

  return app;
}
