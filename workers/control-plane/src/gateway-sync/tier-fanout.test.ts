import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { newId } from '../../../shared/ids.ts';
import {
  api,
  db,
  propagated,
  publishedApi,
  userWithRole,
  type Propagation,
  type TestUser,
} from '../../../../test/workers/control-plane-helpers.ts';
import { schema } from '../db.ts';
import { throttleNamespace } from './bindings.ts';
import { consumeSync, syncTierPage, TIER_PAGE_SIZE, type SyncMessage } from './tier-fanout.ts';

const SUBSCRIPTIONS = 250;

interface Tier {
  admin: TestUser;
  policyId: string;
  name: string;
  /** The subscriptions on the tier, in id order. */
  subs: Array<{ id: string; applicationId: string; apiId: string }>;
}

/**
 * A subscription tier with SUBSCRIPTIONS subscriptions (one API, one application each), written
 * straight into D1 as a bulk import would: none of their counter objects has been told anything.
 */
async function tierWithSubscriptions(): Promise<Tier> {
  const admin = await userWithRole('admin');
  const publisher = await userWithRole('publisher');
  const dev = await userWithRole('developer');
  const name = `Fan${Date.now()}${Math.random().toString(36).slice(2, 6)}`;
  const policy = await api<{ id: string }>('POST', '/api/admin/v1/throttling-policies', admin, {
    kind: 'subscription',
    name,
    limit: 5,
    unitTime: 1,
    timeUnit: 'min',
  });
  expect(policy.status).toBe(201);
  const apiId = await publishedApi(publisher, { subscriptionTiers: [name] });
  const subs = Array.from({ length: SUBSCRIPTIONS }, () => ({ id: newId('subscription'), applicationId: newId('application'), apiId }));
  for (let i = 0; i < subs.length; i += 50) {
    await env.DB.batch(
      subs
        .slice(i, i + 50)
        .flatMap((s, j) => [
          env.DB.prepare('INSERT INTO applications (id, name, owner_id) VALUES (?, ?, ?)').bind(s.applicationId, `fan ${i + j}`, dev.id),
          env.DB.prepare('INSERT INTO subscriptions (id, application_id, api_id, tier) VALUES (?, ?, ?, ?)').bind(
            s.id,
            s.applicationId,
            apiId,
            name,
          ),
        ]),
    );
  }
  return { admin, policyId: policy.body.id, name, subs: subs.sort((a, b) => (a.id < b.id ? -1 : 1)) };
}

const edit = (tier: Tier, limit: number) =>
  api('PUT', `/api/admin/v1/throttling-policies/${tier.policyId}`, tier.admin, {
    kind: 'subscription',
    name: tier.name,
    limit,
    unitTime: 1,
    timeUnit: 'min',
  });

/** The limits each subscription's counter object enforces now, read back over its RPC. */
async function limitsHeld(tier: Tier): Promise<Array<number | null>> {
  const throttle = throttleNamespace(env);
  const held = await Promise.all(tier.subs.map((s) => throttle.getByName(subscriptionObjectName(s.applicationId, s.apiId)).inspect()));
  return held.map((h) => (h.state === null ? null : (h.state.limits[0]?.limit ?? null)));
}

async function deliver(messages: SyncMessage[], attempts: number) {
  const batch = createMessageBatch<SyncMessage>(
    'turnpike-sync',
    messages.map((body, i) => ({ id: `test-${i}-${Math.random()}`, timestamp: new Date(), attempts, body })),
  );
  await consumeSync(batch, env);
  return getQueueResult(batch, createExecutionContext());
}

describe('tier edits fan out through the turnpike-sync queue', () => {
  it('reach every subscription of a tier larger than a page, and say so in the progress', async () => {
    expect(SUBSCRIPTIONS).toBeGreaterThan(2 * TIER_PAGE_SIZE);
    const tier = await tierWithSubscriptions();
    const before = await api<Propagation>('GET', `/api/admin/v1/throttling-policies/${tier.policyId}/propagation`, tier.admin);
    expect(before.body).toEqual({
      policyId: tier.policyId,
      generation: 0,
      total: null,
      done: 0,
      startedAt: null,
      finishedAt: null,
      lastError: null,
    });
    expect(new Set(await limitsHeld(tier))).toEqual(new Set([null]));

    expect((await edit(tier, 9)).status).toBe(200);
    const progress = await propagated(tier.admin, tier.policyId, 1);
    expect(progress).toMatchObject({ total: SUBSCRIPTIONS, done: SUBSCRIPTIONS, lastError: null });
    expect(progress.finishedAt).toBeGreaterThanOrEqual(progress.startedAt ?? Infinity);
    expect(await limitsHeld(tier)).toEqual(tier.subs.map(() => 9));
  }, 120_000);

  it('lets a later edit win over a push still running, whose stale pages stop', async () => {
    const tier = await tierWithSubscriptions();
    expect((await edit(tier, 11)).status).toBe(200);
    // The first push has synced (at least) its first page when the second edit is saved...
    const first: SyncMessage = { kind: 'tier', policyId: tier.policyId, tier: tier.name, generation: 1, after: '' };
    expect((await deliver([first], 1)).explicitAcks).toHaveLength(1);
    expect((await edit(tier, 12)).status).toBe(200);
    // ...and its continuation, delivered after it, does nothing.
    const stale = await deliver([{ ...first, after: tier.subs[TIER_PAGE_SIZE - 1]!.id }], 1);
    expect(stale.explicitAcks).toHaveLength(1);
    expect(stale.retryMessages).toHaveLength(0);

    const progress = await propagated(tier.admin, tier.policyId, 2);
    expect(progress).toMatchObject({ total: SUBSCRIPTIONS, done: SUBSCRIPTIONS, lastError: null });
    expect(await limitsHeld(tier)).toEqual(tier.subs.map(() => 12));

    // A message of a superseded generation touches nothing, not even objects it could reach: on a
    // tier nobody pushed yet, a generation-1 page after generation 2 was started leaves every object untold.
    const untouched = await tierWithSubscriptions();
    await db.insert(schema.tierFanouts).values({ policyId: untouched.policyId, generation: 2, startedAt: Date.now() });
    const old = await deliver([{ kind: 'tier', policyId: untouched.policyId, tier: untouched.name, generation: 1, after: '' }], 1);
    expect(old.explicitAcks).toHaveLength(1);
    expect(new Set(await limitsHeld(untouched))).toEqual(new Set([null]));
    expect((await db.select().from(schema.tierFanouts).where(eq(schema.tierFanouts.policyId, untouched.policyId)))[0]).toMatchObject({
      generation: 2,
      done: 0,
      cursor: '',
    });
  }, 180_000);

  it('takes a redelivered page again without counting it twice, and resumes a push whose next page was never enqueued', async () => {
    const tier = await tierWithSubscriptions();
    expect((await edit(tier, 13)).status).toBe(200);
    const finished = await propagated(tier.admin, tier.policyId, 1);
    const page1: SyncMessage = { kind: 'tier', policyId: tier.policyId, tier: tier.name, generation: 1, after: '' };

    const again = await deliver([page1, page1], 2);
    expect(again.explicitAcks).toHaveLength(2);
    expect((await api<Propagation>('GET', `/api/admin/v1/throttling-policies/${tier.policyId}/propagation`, tier.admin)).body).toEqual(
      finished,
    );
    expect(await limitsHeld(tier)).toEqual(tier.subs.map(() => 13));

    // What a delivery that committed page 1 and died before enqueuing page 2 leaves behind: only
    // the queue's retry of that same message can move the push on.
    await db
      .update(schema.tierFanouts)
      .set({ cursor: tier.subs[TIER_PAGE_SIZE - 1]!.id, done: TIER_PAGE_SIZE, total: SUBSCRIPTIONS, finishedAt: null })
      .where(eq(schema.tierFanouts.policyId, tier.policyId));
    await syncTierPage(env, db, page1, false);
    expect(
      (await api<Propagation>('GET', `/api/admin/v1/throttling-policies/${tier.policyId}/propagation`, tier.admin)).body,
    ).toMatchObject({ done: TIER_PAGE_SIZE, finishedAt: null });
    expect((await deliver([page1], 2)).explicitAcks).toHaveLength(1);
    expect(await propagated(tier.admin, tier.policyId, 1)).toMatchObject({ total: SUBSCRIPTIONS, done: SUBSCRIPTIONS, lastError: null });
  }, 120_000);

  it('answers 404 for policies that are not subscription tiers, and only to admins', async () => {
    const tier = await tierWithSubscriptions();
    const app = await api<{ id: string }>('POST', '/api/admin/v1/throttling-policies', tier.admin, {
      kind: 'application',
      name: `FanApp${Date.now()}`,
      limit: 3,
    });
    expect((await api('GET', `/api/admin/v1/throttling-policies/${app.body.id}/propagation`, tier.admin)).status).toBe(404);
    expect((await api('GET', '/api/admin/v1/throttling-policies/pol_nope/propagation', tier.admin)).status).toBe(404);
    const publisher = await userWithRole('publisher');
    expect((await api('GET', `/api/admin/v1/throttling-policies/${tier.policyId}/propagation`, publisher)).status).toBe(403);
  });
});
