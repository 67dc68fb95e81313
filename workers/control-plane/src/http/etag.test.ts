import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import {
  ORIGIN,
  apiBody,
  db,
  publishedApi,
  userWithRole,
  type ProblemBody,
  type TestUser,
} from '../../../../test/workers/control-plane-helpers.ts';
import { schema } from '../db.ts';
import { isStaleWrite, nextVersion, versionGuard } from './etag.ts';

async function call(method: string, path: string, user: TestUser, body?: unknown, ifMatch?: string) {
  const headers: Record<string, string> = { cookie: user.cookie };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (ifMatch !== undefined) headers['if-match'] = ifMatch;
  const res = await SELF.fetch(`${ORIGIN}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, etag: res.headers.get('etag'), body: (await res.json()) as ProblemBody & Record<string, unknown> };
}

/** GET → ETag; a write with it → 200 and a new ETag; the old one again → 412; `*` and no If-Match → 200. */
async function lostUpdateCycle(user: TestUser, path: string, method: string, change: (n: number) => unknown) {
  const read = await call('GET', path, user);
  expect(read.status).toBe(200);
  expect(read.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
  const first = await call(method, path, user, change(1), read.etag ?? '');
  expect(first.status).toBe(200);
  expect(first.etag).not.toBe(read.etag);
  expect((await call('GET', path, user)).etag).toBe(first.etag);

  const stale = await call(method, path, user, change(2), read.etag ?? '');
  expect(stale.status).toBe(412);
  expect(stale.body).toMatchObject({ type: 'https://turnpike.dev/problems/precondition-failed', status: 412 });
  expect(stale.etag).toBe(first.etag);
  // Strong comparison (RFC 9110 §13.1.1): the weak form of the current tag does not match.
  expect((await call(method, path, user, change(3), `W/${first.etag ?? ''}`)).status).toBe(412);
  expect((await call('GET', path, user)).etag).toBe(first.etag);

  expect((await call(method, path, user, change(4), `"nope", ${first.etag ?? ''}`)).status).toBe(200);
  expect((await call(method, path, user, change(5), '*')).status).toBe(200);
  expect((await call(method, path, user, change(6))).status).toBe(200);
}

/** Two writes holding the same ETag at the same time: exactly one wins. */
async function concurrentWrites(user: TestUser, path: string, method: string, change: (n: number) => unknown) {
  const etag = (await call('GET', path, user)).etag ?? '';
  const answers = await Promise.all([1, 2, 3, 4].map((n) => call(method, path, user, change(10 + n), etag)));
  expect(answers.map((a) => a.status).sort()).toEqual([200, 412, 412, 412]);
}

describe('ETag and If-Match', () => {
  it('APIs: a stale If-Match is refused with 412 and nothing is written', async () => {
    const publisher = await userWithRole('publisher');
    const created = await call('POST', '/api/publisher/v1/apis', publisher, apiBody());
    expect(created.status).toBe(201);
    expect(created.etag).not.toBeNull();
    const path = `/api/publisher/v1/apis/${String(created.body['id'])}`;
    expect((await call('GET', path, publisher)).etag).toBe(created.etag);
    await lostUpdateCycle(publisher, path, 'PATCH', (n) => ({ description: `edit ${n}` }));
    const now = await call('GET', path, publisher);
    expect(now.body['description']).toBe('edit 6');
    await concurrentWrites(publisher, path, 'PATCH', (n) => ({ description: `race ${n}` }));
  });

  it('applications', async () => {
    const developer = await userWithRole('developer');
    const created = await call('POST', '/api/devportal/v1/applications', developer, { name: `etag app ${Date.now()}` });
    const path = `/api/devportal/v1/applications/${String(created.body['id'])}`;
    expect((await call('GET', path, developer)).etag).toBe(created.etag);
    await lostUpdateCycle(developer, path, 'PATCH', (n) => ({ description: `edit ${n}` }));
    await concurrentWrites(developer, path, 'PATCH', (n) => ({ description: `race ${n}` }));
  });

  it('throttling policies', async () => {
    const admin = await userWithRole('admin');
    const name = `Etag${Date.now()}`;
    const created = await call('POST', '/api/admin/v1/throttling-policies', admin, { kind: 'application', name, limit: 10 });
    expect(created.status).toBe(201);
    const path = `/api/admin/v1/throttling-policies/${String(created.body['id'])}`;
    expect((await call('GET', path, admin)).etag).toBe(created.etag);
    await lostUpdateCycle(admin, path, 'PUT', (n) => ({ kind: 'application', name, limit: 10 + n }));
    await concurrentWrites(admin, path, 'PUT', (n) => ({ kind: 'application', name, limit: 100 + n }));
  });

  it('subscriptions', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher);
    const developer = await userWithRole('developer');
    const application = await call('POST', '/api/devportal/v1/applications', developer, { name: `etag sub ${Date.now()}` });
    const sub = await call('POST', '/api/devportal/v1/subscriptions', developer, {
      applicationId: application.body['id'],
      apiId,
      tier: 'Gold',
    });
    expect(sub.status).toBe(201);
    const path = `/api/devportal/v1/subscriptions/${String(sub.body['id'])}`;
    expect((await call('GET', path, developer)).etag).toBe(sub.etag);
    await lostUpdateCycle(developer, path, 'PATCH', (n) => ({ tier: n % 2 === 0 ? 'Gold' : 'Bronze' }));
  });

  it('documents If-Match, the 412 answer and the ETag header in the OpenAPI document', async () => {
    type Op = { parameters?: Array<{ name: string; in: string }>; responses: Record<string, { headers?: Record<string, unknown> }> };
    const doc = (await (await SELF.fetch(`${ORIGIN}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, Op>> };
    const writes: Array<[string, string]> = [
      ['/api/publisher/v1/apis/{apiId}', 'patch'],
      ['/api/devportal/v1/applications/{applicationId}', 'patch'],
      ['/api/admin/v1/throttling-policies/{policyId}', 'put'],
      ['/api/devportal/v1/subscriptions/{subscriptionId}', 'patch'],
    ];
    for (const [path, method] of writes) {
      const op = doc.paths[path]?.[method];
      expect(
        op?.parameters?.some((p) => p.name.toLowerCase() === 'if-match' && p.in === 'header'),
        `${method} ${path}`,
      ).toBe(true);
      expect(Object.keys(op?.responses ?? {}), `${method} ${path}`).toContain('412');
      expect(Object.keys(op?.responses['200']?.headers ?? {})).toContain('ETag');
      expect(Object.keys(doc.paths[path]?.['get']?.responses['200']?.headers ?? {}), `get ${path}`).toContain('ETag');
    }
  });
});

describe('the version guard of a write batch', () => {
  it('rolls the whole batch back when the row no longer has the version the If-Match check saw', async () => {
    const developer = await userWithRole('developer');
    const created = await call('POST', '/api/devportal/v1/applications', developer, { name: `guard ${Date.now()}` });
    const id = String(created.body['id']);
    const row = (await db.select().from(schema.applications).where(eq(schema.applications.id, id)))[0];
    if (row === undefined) throw new Error('no row');
    const write = (version: number, description: string) =>
      db.batch([
        versionGuard(db, schema.applications, schema.applications.id, schema.applications.updatedAt, id, version),
        db
          .update(schema.applications)
          .set({ description, updatedAt: nextVersion(version) })
          .where(eq(schema.applications.id, id)),
      ]);
    const stale = await write(row.updatedAt - 1, 'stale').then(
      () => null,
      (err: unknown) => err,
    );
    expect(isStaleWrite(stale)).toBe(true);
    expect((await db.select().from(schema.applications).where(eq(schema.applications.id, id)))[0]?.description).toBe('');
    await write(row.updatedAt, 'fresh');
    const after = (await db.select().from(schema.applications).where(eq(schema.applications.id, id)))[0];
    expect(after?.description).toBe('fresh');
    expect(after?.updatedAt).toBeGreaterThan(row.updatedAt);
  });
});
