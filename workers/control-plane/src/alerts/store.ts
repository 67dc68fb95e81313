import { and, eq, inArray, type SQL } from 'drizzle-orm';
import { ApiError } from '../../../shared/problem.ts';
import type { Audience } from '../auth/audience.ts';
import type { Principal } from '../auth/principal.ts';
import { schema, type Database } from '../db.ts';
import { ownSubscription } from '../devportal/applications/store.ts';
import { manageableApi, manageableApiIds } from '../publisher/apis/store.ts';

export type ScopeType = 'API' | 'SUBSCRIPTION';
export type AlertRuleRow = typeof schema.alertRules.$inferSelect;

/** What a rule watches: an API (all its callers) or one subscription (one application on one API). */
export interface AlertTarget {
  readonly apiId: string;
  readonly applicationId: string | null;
}

/**
 * The API or subscription a caller may put a rule on: publishers their own (or shared) APIs,
 * developers subscriptions of their own applications, admins anything. Anything else answers 404
 * exactly like an id that does not exist.
 */
export async function targetFor(
  db: Database,
  audience: Audience,
  principal: Principal,
  scopeType: ScopeType,
  scopeId: string,
): Promise<AlertTarget> {
  if (scopeType === 'API') {
    if (audience === 'admin') {
      const row = (await db.select({ id: schema.apis.id }).from(schema.apis).where(eq(schema.apis.id, scopeId)).limit(1))[0];
      if (row === undefined) throw new ApiError('not-found', { detail: 'No such API' });
      return { apiId: row.id, applicationId: null };
    }
    return { apiId: (await manageableApi(db, principal, scopeId)).id, applicationId: null };
  }
  if (audience !== 'admin') {
    const own = await ownSubscription(db, principal, scopeId);
    return { apiId: own.apiId, applicationId: own.applicationId };
  }
  const row = (
    await db
      .select({ apiId: schema.subscriptions.apiId, applicationId: schema.subscriptions.applicationId })
      .from(schema.subscriptions)
      .where(eq(schema.subscriptions.id, scopeId))
      .limit(1)
  )[0];
  if (row === undefined) throw new ApiError('not-found', { detail: 'No such subscription' });
  return row;
}

/** Whether some gateway environment the API is deployed to allows private backends. */
export async function allowsPrivateWebhooks(db: Database, apiId: string): Promise<boolean> {
  const row = await db
    .select({ id: schema.deployments.id })
    .from(schema.deployments)
    .innerJoin(schema.gatewayEnvironments, eq(schema.gatewayEnvironments.id, schema.deployments.environmentId))
    .where(and(eq(schema.deployments.apiId, apiId), eq(schema.gatewayEnvironments.allowPrivateBackends, true)))
    .limit(1);
  return row.length > 0;
}

/** The condition selecting the rules a caller sees in an audience; null: every rule (admin). */
export async function visibleRules(db: Database, audience: Audience, principal: Principal): Promise<SQL | null> {
  const r = schema.alertRules;
  if (audience === 'admin') return null;
  if (audience === 'publisher') {
    const apiIds = await manageableApiIds(db, principal);
    return apiIds === null ? eq(r.scopeType, 'API') : (and(eq(r.scopeType, 'API'), inArray(r.scopeId, apiIds)) ?? null);
  }
  const own = db
    .select({ id: schema.subscriptions.id })
    .from(schema.subscriptions)
    .innerJoin(schema.applications, eq(schema.applications.id, schema.subscriptions.applicationId))
    .where(eq(schema.applications.ownerId, principal.userId));
  return and(eq(r.scopeType, 'SUBSCRIPTION'), inArray(r.scopeId, own)) ?? null;
}

/** One rule the caller may see, or 404. */
export async function visibleRule(db: Database, audience: Audience, principal: Principal, alertId: string): Promise<AlertRuleRow> {
  const visible = await visibleRules(db, audience, principal);
  const id = eq(schema.alertRules.id, alertId);
  const row = (
    await db
      .select()
      .from(schema.alertRules)
      .where(visible === null ? id : and(id, visible))
      .limit(1)
  )[0];
  if (row === undefined) throw new ApiError('not-found', { detail: 'No such alert rule' });
  return row;
}
