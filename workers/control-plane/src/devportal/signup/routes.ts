import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';

import { hashPassword } from '../../../../shared/crypto.ts';
import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { auditEntry } from '../../audit.ts';
import { Email, Password, UserSchema, toUser } from '../../auth/schemas.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';

export function signupRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({
      method: 'post',
      path: '/signup',
      tags: ['Devportal: sign-up'],
      summary: 'Sign up as a developer (subscriber); PENDING when the sign-up workflow is on',
      request: { body: jsonBody(z.strictObject({ email: Email, password: Password, displayName: z.string().trim().min(1).max(100) }).openapi('SignupRequest')) },
      responses: { 201: jsonResponse(UserSchema, 'The new account'), ...problems('forbidden', 'conflict') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const db = c.var.db;
      const settings = await db.select().from(schema.settings);
      const value = (key: string) => settings.find((s) => s.key === key)?.value;
      if (value('selfSignup') === false) throw new ApiError('forbidden', { detail: 'Self sign-up is turned off; ask an admin for an account' });
      const pending = (value('workflows') as Record<string, boolean> | undefined)?.['USER_SIGNUP'] === true;
      const id = newId('user');
      try {
        const [rows] = await db.batch([
          db.insert(schema.users).values({ id, email: body.email, displayName: body.displayName, passwordHash: await hashPassword(body.password), role: 'subscriber', status: pending ? 'PENDING' : 'ACTIVE' }).returning(),
          ...(pending ? [db.insert(schema.workflows).values({ id: newId('workflow'), type: 'USER_SIGNUP', referenceId: id, requestedBy: id })] : []),
          auditEntry(db, { userId: id, email: body.email }, 'user.signup', { type: 'user', id }, null, { email: body.email, status: pending ? 'PENDING' : 'ACTIVE' }),
        ]);
        const user = rows[0];
        if (user === undefined) throw new ApiError('internal');
        return c.json(toUser(user), 201);
      } catch (err) {
        if (/UNIQUE constraint failed: users\.email/.test(String(err))) throw new ApiError('conflict', { detail: 'An account with this email exists', errors: [{ pointer: '/email', detail: 'Taken' }] });
        throw err;
      }
    },
  );
  return app;
}
