import { Hono } from 'hono';
import type { AppEnv } from '../types.ts';

/** The Key Manager: /.well-known/oauth-authorization-server and /oauth2/* (RFC 6749 error bodies). */
export function oauthRoutes() {
  return new Hono<AppEnv>();
}
