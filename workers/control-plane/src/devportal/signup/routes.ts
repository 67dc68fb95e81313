import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { hashPassword } from '../../../../shared/crypto.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { alreadyRegisteredMail, verificationMail } from '../../auth/account-mails.ts';
import { issueAccountToken } from '../../auth/account-tokens.ts';
import { MailSentSchema, SignupBody } from '../../auth/schemas.ts';
import { createUser } from '../../auth/users.ts';
import { auditEntry } from '../../audit.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import { mailSender, sendLater } from '../../mail/sender.ts';
import type { AppEnv } from '../../types.ts';
import { PUBLIC } from '../../http/security.ts';

const ANSWER = {
  status: 'MAIL_SENT' as const,
  detail: 'Check your inbox: we sent a link to confirm your email address. It works once, for 24 hours.',
};

export function signupRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      security: PUBLIC,
      method: 'post',
      path: '/signup',
      tags: ['Devportal: sign-up'],
      summary: 'Sign up as a developer; the account opens when the emailed link is followed',
      description:
        'The answer is the same whether or not the address already has an account (OWASP: no account enumeration); the mailbox learns which. A new account signs in once its address is confirmed (POST /api/auth/verify-email), and waits for an admin first when the sign-up workflow is on.',
      request: { body: jsonBody(SignupBody) },
      responses: { 202: jsonResponse(MailSentSchema, 'A mail is on its way to the address'), ...problems('forbidden') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const db = c.var.db;
      const settings = await db.select().from(schema.settings);
      const value = (key: string) => settings.find((s) => s.key === key)?.value;
      if (value('selfSignup') === false)
        throw new ApiError('forbidden', { detail: 'Self sign-up is turned off; ask an admin for an account' });
      const pending = (value('workflows') as Record<string, boolean> | undefined)?.['USER_SIGNUP'] === true;
      const sender = mailSender(c.env);
      const existing = (await db.select().from(schema.users).where(eq(schema.users.email, body.email)).limit(1))[0];
      if (existing === undefined) {
        try {
          // The token row rides the user's batch: no account without its link.
          const id = newId('user');
          const { token, statements } = await issueAccountToken(db, id, 'VERIFY_EMAIL');
          await createUser(
            db,
            null,
            { ...body, id, role: 'developer', status: pending ? 'PENDING' : 'ACTIVE', emailVerified: false },
            'user.signup',
            () => statements,
          );
          sendLater(c.executionCtx, sender, verificationMail(c.env.PORTAL_URL, body.email, body.displayName, token), 'signup-verification');
          return c.json(ANSWER, 202);
        } catch (err) {
          // Another sign-up took the address meanwhile: answered as for any taken address.
          if (!(err instanceof ApiError && err.code === 'conflict')) throw err;
        }
      }
      const user = existing ?? (await db.select().from(schema.users).where(eq(schema.users.email, body.email)).limit(1))[0];
      // The same work as a new account — a password hash and one batch — so the answer's timing
      // does not tell a taken address from a free one.
      await hashPassword(body.password);
      if (user !== undefined && !user.emailVerified) {
        // Not confirmed yet: a fresh link (the earlier one stops working); the password stays the first one's.
        const { token, statements } = await issueAccountToken(db, user.id, 'VERIFY_EMAIL');
        await db.batch([...statements, auditEntry(db, null, 'user.signup-repeated', { type: 'user', id: user.id }, null, null)]);
        sendLater(c.executionCtx, sender, verificationMail(c.env.PORTAL_URL, user.email, user.displayName, token), 'signup-verification');
      } else if (user !== undefined) {
        await db.batch([auditEntry(db, null, 'user.signup-repeated', { type: 'user', id: user.id }, null, null)]);
        sendLater(c.executionCtx, sender, alreadyRegisteredMail(c.env.PORTAL_URL, user.email), 'signup-existing');
      }
      return c.json(ANSWER, 202);
    },
  );
  return app;
}
