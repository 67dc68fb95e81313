import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { desc } from 'drizzle-orm';
import { Email, Password, UserSchema, toUser } from '../../auth/schemas.ts';
import { principalOf } from '../../auth/middleware.ts';
import { RoleInput } from '../../auth/role-input.ts';
import { createUser } from '../../auth/users.ts';
import { schema } from '../../db.ts';
import { jsonBody, jsonResponse, problems } from '../../http/openapi.ts';
import { validationHook } from '../../http/validation.ts';
import type { AppEnv } from '../../types.ts';
import { requires } from '../../http/security.ts';
import { nameText } from '../../http/fields.ts';

const tags = ['Admin: users'];

export function userRoutes() {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      security: requires('admin:users'),
      method: 'get',
      path: '/users',
      tags,
      summary: 'Users and their roles',
      responses: { 200: jsonResponse(z.object({ list: z.array(UserSchema) }), 'Users'), ...problems('unauthorized', 'forbidden') },
    }),
    async (c) => {
      principalOf(c.var.principal, ['admin:users']);
      const rows = await c.var.db.select().from(schema.users).orderBy(desc(schema.users.createdAt)).limit(1000);
      return c.json({ list: rows.map(toUser) }, 200);
    },
  );

  app.openapi(
    createRoute({
      security: requires('admin:users'),
      method: 'post',
      path: '/users',
      tags,
      summary: 'Create a user with a role',
      request: {
        body: jsonBody(
          z.strictObject({ email: Email, password: Password, displayName: nameText(100), role: RoleInput }).openapi('CreateUserRequest'),
        ),
      },
      responses: { 201: jsonResponse(UserSchema, 'The user'), ...problems('unauthorized', 'forbidden', 'conflict') },
    }),
    async (c) => {
      const principal = principalOf(c.var.principal, ['admin:users']);
      const body = c.req.valid('json');
      const user = await createUser(c.var.db, principal, body, 'user.create');
      return c.json(toUser(user), 201);
    },
  );
  return app;
}
