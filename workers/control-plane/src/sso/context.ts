import { eq } from 'drizzle-orm';
import { allowsLoopback } from '../admin/key-managers/routes.ts';
import { controlPlaneConfig } from '../config.ts';
import { schema, type Database } from '../db.ts';
import type { FlowContext } from './flow.ts';

/** The redirect URI the portal registers at the provider: on the portal's origin, so the cookies are the portal's. */
export function redirectUriFor(env: Env, keyManagerName: string): string {
  return new URL(`/api/auth/sso/${encodeURIComponent(keyManagerName)}/callback`, controlPlaneConfig(env).PORTAL_URL).href;
}

/** The sign-in configured for the key manager named `name`, or null when there is none or it (or its key manager) is off. */
export async function flowContext(env: Env, db: Database, name: string, fetcher?: typeof fetch): Promise<FlowContext | null> {
  const row = (
    await db
      .select({ provider: schema.ssoProviders, keyManager: schema.keyManagers })
      .from(schema.ssoProviders)
      .innerJoin(schema.keyManagers, eq(schema.keyManagers.id, schema.ssoProviders.keyManagerId))
      .where(eq(schema.keyManagers.name, name))
      .limit(1)
  )[0];
  if (row === undefined || !row.provider.enabled || !row.keyManager.enabled) return null;
  return {
    ...row,
    redirectUri: redirectUriFor(env, name),
    encryptionKey: env.ENCRYPTION_KEY,
    allowLoopback: await allowsLoopback(db),
    ...(fetcher === undefined ? {} : { fetcher }),
  };
}
