import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';

import { newId } from '../../../../shared/ids.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { createUser } from '../../auth/users.ts';
import { Email, Password, UserSchema, toUser } from '../../auth/schemas.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { PUBLIC } from '../../http/security.ts';
import { nameText } from '../../http/fields.ts';

export function signupRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.openapi(
    createRoute({ security: PUBLIC,
      method: 'post',
      path: '/signup',
      tags: ['Devportal: sign-up'],
      summary: 'Sign up as a developer (subscriber); PENDING when the sign-up workflow is on',
      request: { body: jsonBody(z.strictObject({ email: Email, password: Password, displayName: nameText(100) }).openapi('SignupRequest')) },
      responses: { 201: jsonResponse(UserSchema, 'The new account'), ...problems('forbidden', 'conflict') },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const db = c.var.db;
      const settings = await db.select().from(schema.settings);
      const value = (key: string) => settings.find((s) => s.key === key)?.value;
      if (value('selfSignup') === false) throw new ApiError('forbidden', { detail: 'Self sign-up is turned off; ask an admin for an account' });
      const pending = (value('workflows') as Record<string, boolean> | undefined)?.['USER_SIGNUP'] === true;
      const user = await createUser(db, null, { ...body, role: 'subscriber', status: pending ? 'PENDING' : 'ACTIVE' }, 'user.signup', (id) =>
        pending ? [db.insert(schema.workflows).values({ id: newId('workflow'), type: 'USER_SIGNUP', referenceId: id, requestedBy: id })] : [],
      );
      return c.json(toUser(user), 201);
    },
  );
  return app;
}
