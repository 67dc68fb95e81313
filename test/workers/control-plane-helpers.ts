/** Helpers for control-plane tests: users made directly in D1, signed in through the real login route. */
import { SELF, env } from 'cloudflare:test';
import { expect, vi } from 'vitest';
import { hashPassword } from '../../workers/shared/crypto.ts';
import { newId } from '../../workers/shared/ids.ts';
import type { Role } from '../../workers/shared/roles.ts';
import { createDb, schema } from '../../workers/control-plane/src/db.ts';
import { decodeSnapshot } from '../../workers/shared/snapshot-codec.ts';
import { wholeSnapshot } from '../../workers/shared/snapshot-shards.ts';
import type { GatewaySnapshot } from '../../workers/shared/snapshot.ts';

export const ORIGIN = 'http://cp.test';
export const db = createDb(env.DB);
export const PASSWORD = 'a long enough test password';

export interface TestUser {
  id: string;
  email: string;
  cookie: string;
}

let n = 0;
/** A user of a role, signed in (session cookie). Cheap PBKDF2 iterations keep tests fast. */
export async function userWithRole(role: Role): Promise<TestUser> {
  n++;
  const email = `${role}-${n}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const id = newId('user');
  await db.insert(schema.users).values({ id, email, displayName: email, passwordHash: await hashPassword(PASSWORD, 1000), role });
  const res = await SELF.fetch(`${ORIGIN}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  return { id, email, cookie: (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
}

export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A JSON call to the control plane as `user` (or anonymously). */
export async function api<T = Record<string, unknown>>(
  method: string,
  path: string,
  user: TestUser | null,
  body?: unknown,
): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (user !== null) headers['cookie'] = user.cookie;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await SELF.fetch(`${ORIGIN}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? null : JSON.parse(text)) as T, headers: res.headers };
}

/** The body of an API with one resource and a production endpoint. */
export function apiBody(overrides: Record<string, unknown> = {}) {
  n++;
  return {
    name: `Test API ${n}`,
    context: `/test${n}${Math.random().toString(36).slice(2, 6)}`,
    version: 'v1',
    subscriptionTiers: ['Gold', 'Bronze'],
    resources: [{ method: 'GET', path: '/items', authType: 'oauth2' }],
    endpoints: { production: { urls: [{ url: 'https://backend.example.com/api' }] } },
    ...overrides,
  };
}

export interface ProblemBody {
  type: string;
  status: number;
  code?: number;
  detail?: string;
  errors?: Array<{ pointer: string; detail: string }>;
}

/** Publishes and deploys an API as `publisher`; returns its id. */
export async function publishedApi(publisher: TestUser, overrides: Record<string, unknown> = {}): Promise<string> {
  const created = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody(overrides));
  expect(created.status).toBe(201);
  expect((await api('POST', `/api/publisher/v1/apis/${created.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' })).status).toBe(200);
  const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${created.body.id}/revisions`, publisher, {});
  expect(revision.status).toBe(201);
  expect(
    (
      await api('POST', `/api/publisher/v1/apis/${created.body.id}/deployments`, publisher, {
        revisionId: revision.body.id,
        environments: ['production'],
      })
    ).status,
  ).toBe(201);
  return created.body.id;
}

/** What the gateway environment `production` serves now: its D1 head with every R2 shard read back in. */
export async function deployedSnapshot(): Promise<GatewaySnapshot> {
  const row = await env.DB.prepare(`SELECT body FROM gateway_snapshots WHERE environment_id = 'env_production'`).first<{ body: string }>();
  if (row === null) throw new Error('nothing deployed to production');
  return wholeSnapshot(await decodeSnapshot(row.body), async (key) => (await env.BLOBS.get(key))?.arrayBuffer() ?? null);
}

/** GET …/throttling-policies/{id}/propagation (the PropagationSchema shape). */
export interface Propagation {
  policyId: string;
  generation: number;
  total: number | null;
  done: number;
  startedAt: number | null;
  finishedAt: number | null;
  lastError: string | null;
}

/**
 * Waits until the push of a tier's edit number `generation` to its subscriptions has finished (the
 * control plane's own queue delivers it in the background); returns its progress.
 */
export async function propagated(admin: TestUser, policyId: string, generation: number): Promise<Propagation> {
  return vi.waitFor(
    async () => {
      const progress = await api<Propagation>('GET', `/api/admin/v1/throttling-policies/${policyId}/propagation`, admin);
      expect(progress.status).toBe(200);
      expect(progress.body).toMatchObject({ generation });
      expect(progress.body.finishedAt).not.toBeNull();
      return progress.body;
    },
    { timeout: 90_000, interval: 100 },
  );
}
