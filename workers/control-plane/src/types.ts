import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Database } from './db.ts';
import type { Principal } from './auth/principal.ts';

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Database;
    /** Set by `authenticate`; absent for anonymous callers. */
    principal: Principal | undefined;
  };
}

export type App = OpenAPIHono<AppEnv>;
