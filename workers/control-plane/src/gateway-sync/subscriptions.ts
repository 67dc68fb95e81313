import { and, eq, gt, inArray, type SQL } from 'drizzle-orm';
import { counterObjectName, subscriptionObjectName, type SubscriptionState } from '../../../../durable-objects/throttle/types.ts';
import type { KeyType } from '../../../shared/db/schema.ts';
import { schema, type Database } from '../db.ts';
import { policyToLimits, type PolicyLike } from '../policies/limits.ts';
import { throttleNamespace } from './bindings.ts';
import { notifyApplication, notifyApplications } from './notify.ts';

/**
 * The three statements (for one `db.batch()`) that read the live state of the subscriptions matching
 * `where`, the first `limit` in id order: the subscriptions with their tier's policy, their
 * applications' key watermarks and their applications' unexpired revocations. Three queries for
 * one subscription or for a page of them.
 */
export function subscriptionStateQueries(db: Database, where: SQL | undefined, limit: number, now: number) {
  const subs = schema.subscriptions;
  const policies = schema.throttlingPolicies;
  const applicationIds = db.select({ id: subs.applicationId }).from(subs).where(where).orderBy(subs.id).limit(limit);
  return [
    // Columns named apart: D1 returns a batch's rows keyed by column name.
    db
      .select({
        sub: { id: subs.id, applicationId: subs.applicationId, apiId: subs.apiId, status: subs.status, tier: subs.tier },
        policy: {
          quotaType: policies.quotaType,
          limit: policies.limit,
          unitTime: policies.unitTime,
          timeUnit: policies.timeUnit,
          burstLimit: policies.burstLimit,
          burstTimeUnit: policies.burstTimeUnit,
          stopOnQuotaReach: policies.stopOnQuotaReach,
        },
      })
      .from(subs)
      .leftJoin(policies, and(eq(policies.kind, 'subscription'), eq(policies.name, subs.tier)))
      .where(where)
      .orderBy(subs.id)
      .limit(limit),
    db
      .select({
        applicationId: schema.applicationKeys.applicationId,
        keyType: schema.applicationKeys.keyType,
        validAfter: schema.applicationKeys.tokensValidAfter,
      })
      .from(schema.applicationKeys)
      .where(inArray(schema.applicationKeys.applicationId, applicationIds)),
    db
      .select({
        applicationId: schema.revokedTokens.applicationId,
        id: schema.revokedTokens.jti,
        expiresAt: schema.revokedTokens.expiresAt,
      })
      .from(schema.revokedTokens)
      .where(and(inArray(schema.revokedTokens.applicationId, applicationIds), gt(schema.revokedTokens.expiresAt, now))),
  ] as const;
}

type SubscriptionRow = {
  sub: Pick<typeof schema.subscriptions.$inferSelect, 'id' | 'applicationId' | 'apiId' | 'status' | 'tier'>;
  policy: Omit<PolicyLike, 'name'> | null;
};

/** What `subscriptionStateQueries` read, as the state each subscription's counter object holds (in id order). */
export function subscriptionStates(
  rows: readonly SubscriptionRow[],
  keys: ReadonlyArray<{ applicationId: string; keyType: KeyType; validAfter: number }>,
  revoked: ReadonlyArray<{ applicationId: string; id: string; expiresAt: number }>,
): SubscriptionState[] {
  return rows.map(({ sub, policy }) => {
    const validAfter = { PRODUCTION: 0, SANDBOX: 0 };
    for (const k of keys) if (k.applicationId === sub.applicationId) validAfter[k.keyType] = k.validAfter;
    return {
      subscriptionId: sub.id,
      applicationId: sub.applicationId,
      apiId: sub.apiId,
      status: sub.status,
      tier: sub.tier,
      // A tier whose policy was not found enforces nothing rather than everything: policies in use
      // cannot be deleted (409), so this only happens for the built-in Unlimited tier.
      limits: policy === null ? [] : policyToLimits({ ...policy, name: sub.tier }, 'subscription'),
      validAfter,
      // In id order, so two reads of the same state compare equal (tier-fanout.ts verifies a page that way).
      revokedCredentials: revoked
        .filter((r) => r.applicationId === sub.applicationId)
        .map(({ id, expiresAt }) => ({ id, expiresAt }))
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    };
  });
}

/**
 * Pushes a subscription's live state (status, tier limits) to its counter object, which the gateway
 * asks on every call. Call it after every committed change to a subscription or its tier policy.
 * A subscription that no longer exists is removed from its object, so its tokens stop working.
 */
export async function syncSubscription(env: Env, db: Database, applicationId: string, apiId: string): Promise<void> {
  const [rows, keys, revoked] = await db.batch(
    subscriptionStateQueries(
      db,
      and(eq(schema.subscriptions.applicationId, applicationId), eq(schema.subscriptions.apiId, apiId)),
      1,
      Date.now(),
    ),
  );
  await writeObjects(env, [{ applicationId, apiId, state: subscriptionStates(rows, keys, revoked)[0] ?? null }]);
}

/** A subscription object to configure with `state`, or to empty (`null`: the subscription is gone). */
export type ObjectWrite = { readonly applicationId: string; readonly apiId: string; readonly state: SubscriptionState | null };

/** Counter objects written at once by one fan-out page. */
const OBJECT_CONCURRENCY = 10;

/** Configures (or removes) each object, OBJECT_CONCURRENCY at a time, then tells the gateway once. */
export async function writeObjects(env: Env, writes: readonly ObjectWrite[]): Promise<void> {
  const throttle = throttleNamespace(env);
  let next = 0;
  const worker = async () => {
    for (let w = writes[next++]; w !== undefined; w = writes[next++]) {
      const stub = throttle.getByName(subscriptionObjectName(w.applicationId, w.apiId));
      if (w.state === null) await stub.remove();
      else await stub.configure(w.state);
    }
  };
  await Promise.all(Array.from({ length: Math.min(OBJECT_CONCURRENCY, writes.length) }, worker));
  await notifyApplications(env, [...new Set(writes.map((w) => w.applicationId))]);
}

/** Refuses every credential of an application issued before now (secret regeneration, deletion). */
export async function revokeApplicationCredentials(
  env: Env,
  db: Database,
  applicationId: string,
  keyType: 'PRODUCTION' | 'SANDBOX',
  instant = Date.now(),
): Promise<void> {
  const subs = await db
    .select({ apiId: schema.subscriptions.apiId })
    .from(schema.subscriptions)
    .where(eq(schema.subscriptions.applicationId, applicationId));
  await Promise.all(
    subs.map((s) => throttleNamespace(env).getByName(subscriptionObjectName(applicationId, s.apiId)).revokeIssuedBefore(keyType, instant)),
  );
  await notifyApplication(env, applicationId);
}

/** Refuses one access token (by `jti`) at every API its application is subscribed to. */
export async function revokeAccessToken(env: Env, db: Database, applicationId: string, jti: string, expiresAt: number): Promise<void> {
  const subs = await db
    .select({ apiId: schema.subscriptions.apiId })
    .from(schema.subscriptions)
    .where(eq(schema.subscriptions.applicationId, applicationId));
  await Promise.all(
    subs.map((s) => throttleNamespace(env).getByName(subscriptionObjectName(applicationId, s.apiId)).revokeCredential(jti, expiresAt)),
  );
  await notifyApplication(env, applicationId);
}

/** Refuses one API key at every API its application is subscribed to, from the next request on. */
export async function revokeApiKey(env: Env, db: Database, applicationId: string, keyId: string, expiresAt: number | null): Promise<void> {
  // A key without expiry is remembered for ten years; the alarm drops it after that.
  await revokeAccessToken(env, db, applicationId, keyId, expiresAt ?? Date.now() + 10 * 365 * 86_400_000);
}

/** Removes every subscription object of an application (deleted application: all its tokens stop). */
export async function removeApplicationSubscriptions(env: Env, applicationId: string, apiIds: readonly string[]): Promise<void> {
  // Removed as an application, not as subscriptions: its credentials are dead (401 invalid_token),
  // and its own `app:` object says so for the APIs it was never subscribed to.
  const names = [...apiIds.map((apiId) => subscriptionObjectName(applicationId, apiId)), counterObjectName.application(applicationId)];
  await Promise.all(names.map((name) => throttleNamespace(env).getByName(name).remove('application')));
  await notifyApplication(env, applicationId);
}
