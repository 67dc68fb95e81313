import { and, eq, gt } from 'drizzle-orm';
import { subscriptionObjectName, type SubscriptionState } from '../../../../durable-objects/throttle/types.ts';
import { schema, type Database } from '../db.ts';
import { policyToLimits } from '../policies/limits.ts';
import { throttleNamespace } from './bindings.ts';
import { notifyApplication } from './notify.ts';

/**
 * Pushes a subscription's live state (status, tier limits) to its counter object, which the gateway
 * asks on every call. Call it after every committed change to a subscription or its tier policy.
 * A subscription that no longer exists is removed from its object, so its tokens stop working.
 */
export async function syncSubscription(env: Env, db: Database, applicationId: string, apiId: string): Promise<void> {
  const stub = throttleNamespace(env).getByName(subscriptionObjectName(applicationId, apiId));
  const rows = await db
    .select({ sub: schema.subscriptions, policy: schema.throttlingPolicies })
    .from(schema.subscriptions)
    .leftJoin(schema.throttlingPolicies, and(eq(schema.throttlingPolicies.kind, 'subscription'), eq(schema.throttlingPolicies.name, schema.subscriptions.tier)))
    .where(and(eq(schema.subscriptions.applicationId, applicationId), eq(schema.subscriptions.apiId, apiId)))
    .limit(1);
  const row = rows[0];
  if (row === undefined) {
    await stub.remove();
    await notifyApplication(env, applicationId);
    return;
  }
  const [keys, revoked] = await db.batch([
    db.select({ keyType: schema.applicationKeys.keyType, validAfter: schema.applicationKeys.tokensValidAfter }).from(schema.applicationKeys).where(eq(schema.applicationKeys.applicationId, applicationId)),
    db
      .select({ id: schema.revokedTokens.jti, expiresAt: schema.revokedTokens.expiresAt })
      .from(schema.revokedTokens)
      .where(and(eq(schema.revokedTokens.applicationId, applicationId), gt(schema.revokedTokens.expiresAt, Date.now()))),
  ]);
  const validAfter = { PRODUCTION: 0, SANDBOX: 0 };
  for (const k of keys) validAfter[k.keyType] = k.validAfter;
  const state: SubscriptionState = {
    subscriptionId: row.sub.id,
    applicationId,
    apiId,
    status: row.sub.status,
    tier: row.sub.tier,
    // A tier whose policy was not found enforces nothing rather than everything: policies in use
    // cannot be deleted (409), so this only happens for the built-in Unlimited tier.
    limits: row.policy === null ? [] : policyToLimits(row.policy, 'subscription'),
    validAfter,
    revokedCredentials: revoked,
  };
  await stub.configure(state);
  await notifyApplication(env, applicationId);
}

/** Refuses every credential of an application issued before now (secret regeneration, deletion). */
export async function revokeApplicationCredentials(env: Env, db: Database, applicationId: string, keyType: 'PRODUCTION' | 'SANDBOX', instant = Date.now()): Promise<void> {
  const subs = await db.select({ apiId: schema.subscriptions.apiId }).from(schema.subscriptions).where(eq(schema.subscriptions.applicationId, applicationId));
  await Promise.all(subs.map((s) => throttleNamespace(env).getByName(subscriptionObjectName(applicationId, s.apiId)).revokeIssuedBefore(keyType, instant)));
  await notifyApplication(env, applicationId);
}

/** Refuses one access token (by `jti`) at every API its application is subscribed to. */
export async function revokeAccessToken(env: Env, db: Database, applicationId: string, jti: string, expiresAt: number): Promise<void> {
  const subs = await db.select({ apiId: schema.subscriptions.apiId }).from(schema.subscriptions).where(eq(schema.subscriptions.applicationId, applicationId));
  await Promise.all(subs.map((s) => throttleNamespace(env).getByName(subscriptionObjectName(applicationId, s.apiId)).revokeCredential(jti, expiresAt)));
  await notifyApplication(env, applicationId);
}

/** Refuses one API key at every API its application is subscribed to, from the next request on. */
export async function revokeApiKey(env: Env, db: Database, applicationId: string, keyId: string, expiresAt: number | null): Promise<void> {
  // A key without expiry is remembered for ten years; the alarm drops it after that.
  await revokeAccessToken(env, db, applicationId, keyId, expiresAt ?? Date.now() + 10 * 365 * 86_400_000);
}

/** Removes every subscription object of an application (deleted application: all its tokens stop). */
export async function removeApplicationSubscriptions(env: Env, applicationId: string, apiIds: readonly string[]): Promise<void> {
  await Promise.all(apiIds.map((apiId) => throttleNamespace(env).getByName(subscriptionObjectName(applicationId, apiId)).remove()));
  await notifyApplication(env, applicationId);
}
