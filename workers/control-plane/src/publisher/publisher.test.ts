import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import {
  api,
  apiBody,
  db,
  deployedSnapshot,
  publishedApi,
  userWithRole,
  type ProblemBody,
} from '../../../../test/workers/control-plane-helpers.ts';
import { subscriptionObjectName } from '../../../../durable-objects/throttle/types.ts';
import { schema } from '../db.ts';
import { throttleNamespace } from '../gateway-sync/bindings.ts';
import { TRANSITIONS } from './lifecycle/transitions.ts';

const snapshot = deployedSnapshot;

describe('publisher: APIs', () => {
  it('creates an API with resources and endpoints, in state CREATED, and audits it', async () => {
    const publisher = await userWithRole('publisher');
    const body = apiBody({ tags: ['pets'], resources: [{ method: 'get', path: '/pets/{id}', authType: 'none', scopes: ['pets:read'] }] });
    const res = await api<{
      id: string;
      lifecycleState: string;
      resources: Array<{ method: string; path: string }>;
      endpoints: { production?: { urls: Array<{ timeoutMs: number }> } };
    }>('POST', '/api/publisher/v1/apis', publisher, body);
    expect(res.status).toBe(201);
    expect(res.body.lifecycleState).toBe('CREATED');
    expect(res.body.resources).toMatchObject([{ method: 'GET', path: '/pets/{id}' }]);
    expect(res.body.endpoints.production?.urls[0]?.timeoutMs).toBe(30_000);
    const audit = await db.select().from(schema.auditLog).where(eq(schema.auditLog.entityId, res.body.id));
    expect(audit.map((a) => a.action)).toEqual(['api.create']);
  });

  it('carries a WS API type and its streaming settings (defaults filled in) into the snapshot; an HTTP API entry has neither', async () => {
    const publisher = await userWithRole('publisher');
    const ws = await publishedApi(publisher, { type: 'WS', streaming: { maxConnectionsPerSubscription: 3 } });
    const http = await publishedApi(publisher);
    const apis = (await snapshot()).apis;
    expect(apis.find((a) => a.id === ws)).toMatchObject({
      type: 'WS',
      streaming: { allowQueryToken: false, idleTimeoutSeconds: 300, maxDurationSeconds: 3600, maxConnectionsPerSubscription: 3 },
    });
    const plain = apis.find((a) => a.id === http);
    expect(plain?.type).toBeUndefined();
    expect(plain?.streaming).toBeUndefined();
    const view = await api<{ type: string }>('GET', `/api/publisher/v1/apis/${http}`, publisher);
    expect(view.body.type).toBe('HTTP');
  });

  it('refuses a WebSocket channel opened with anything but GET, naming the resource, on create and on change', async () => {
    const publisher = await userWithRole('publisher');
    const bad = await api<ProblemBody>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({
        type: 'WS',
        resources: [
          { method: 'GET', path: '/a' },
          { method: 'POST', path: '/b' },
        ],
      }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.pointer)).toEqual(['/resources/1/method']);
    const created = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody({ type: 'WS' }));
    expect(created.status).toBe(201);
    const changed = await api<ProblemBody>('PATCH', `/api/publisher/v1/apis/${created.body.id}`, publisher, {
      resources: [{ method: 'PUT', path: '/a' }],
    });
    expect(changed.status).toBe(400);
    expect(changed.body.errors?.map((e) => e.pointer)).toEqual(['/resources/0/method']);
  });

  it('refuses a taken context and version with 409, and names bad fields', async () => {
    const publisher = await userWithRole('publisher');
    const body = apiBody();
    expect((await api('POST', '/api/publisher/v1/apis', publisher, body)).status).toBe(201);
    expect((await api('POST', '/api/publisher/v1/apis', publisher, body)).status).toBe(409);
    const bad = await api<ProblemBody>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({
        context: '/_turnpike/x',
        subscriptionTiers: ['Platinum'],
        endpoints: { production: { urls: [{ url: 'ftp://x.example' }] } },
        owner: 'me',
      }),
    );
    expect(bad.status).toBe(400);
    const pointers = bad.body.errors?.map((e) => e.pointer) ?? [];
    expect(pointers).toEqual(expect.arrayContaining(['/context', '/endpoints/production/urls/0/url', '/owner']));
    const tiers = await api<ProblemBody>('POST', '/api/publisher/v1/apis', publisher, apiBody({ subscriptionTiers: ['Platinum'] }));
    expect(tiers.body.errors?.map((e) => e.pointer)).toEqual(['/subscriptionTiers/0']);
  });

  it("hides another publisher's API (404), lets admins see it and refuses developers (403)", async () => {
    const owner = await userWithRole('publisher');
    const other = await userWithRole('publisher');
    const admin = await userWithRole('admin');
    const developer = await userWithRole('developer');
    const created = await api<{ id: string }>('POST', '/api/publisher/v1/apis', owner, apiBody());
    expect((await api('GET', `/api/publisher/v1/apis/${created.body.id}`, other)).status).toBe(404);
    expect((await api('POST', `/api/publisher/v1/apis/${created.body.id}/lifecycle`, other, { state: 'PUBLISHED' })).status).toBe(404);
    expect((await api('GET', `/api/publisher/v1/apis/${created.body.id}`, admin)).status).toBe(200);
    expect((await api('GET', '/api/publisher/v1/apis', developer)).status).toBe(403);
    expect((await api('POST', '/api/publisher/v1/apis', developer, apiBody())).status).toBe(403);
    expect((await api('GET', '/api/publisher/v1/apis', null)).status).toBe(401);
    const listed = await api<{ list: Array<{ id: string }> }>('GET', '/api/publisher/v1/apis', other);
    expect(listed.body.list.map((a) => a.id)).not.toContain(created.body.id);
  });

  it('lists with text, state and tag filters and clamps the page size', async () => {
    const publisher = await userWithRole('publisher');
    const marker = `Zebra${Date.now()}`;
    await api('POST', '/api/publisher/v1/apis', publisher, apiBody({ name: `${marker} one`, tags: ['stripes'] }));
    await api('POST', '/api/publisher/v1/apis', publisher, apiBody({ name: `${marker} two` }));
    const byText = await api<{ total: number; limit: number }>('GET', `/api/publisher/v1/apis?query=${marker}&limit=1000`, publisher);
    expect(byText.body.total).toBe(2);
    expect(byText.body.limit).toBe(100);
    const byTag = await api<{ list: Array<{ name: string }> }>('GET', `/api/publisher/v1/apis?query=${marker}&tag=stripes`, publisher);
    expect(byTag.body.list.map((a) => a.name)).toEqual([`${marker} one`]);
    const byState = await api<{ total: number }>('GET', `/api/publisher/v1/apis?query=${marker}&state=PUBLISHED`, publisher);
    expect(byState.body.total).toBe(0);
  });
});

describe('publisher: lifecycle', () => {
  const states = Object.keys(TRANSITIONS) as Array<keyof typeof TRANSITIONS>;
  const pathTo: Record<string, string[]> = {
    CREATED: [],
    'PRE-RELEASED': ['PRE-RELEASED'],
    PUBLISHED: ['PUBLISHED'],
    BLOCKED: ['PUBLISHED', 'BLOCKED'],
    DEPRECATED: ['PUBLISHED', 'DEPRECATED'],
    RETIRED: ['PUBLISHED', 'DEPRECATED', 'RETIRED'],
  };
  for (const from of states) {
    it(`from ${from}: allows exactly ${TRANSITIONS[from].join(', ') || 'nothing'}`, async () => {
      const publisher = await userWithRole('publisher');
      for (const to of states) {
        if (to === from) continue;
        const created = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody());
        for (const step of pathTo[from] ?? [])
          expect((await api('POST', `/api/publisher/v1/apis/${created.body.id}/lifecycle`, publisher, { state: step })).status).toBe(200);
        const res = await api<{ lifecycleState?: string; allowedTransitions?: string[] } & ProblemBody>(
          'POST',
          `/api/publisher/v1/apis/${created.body.id}/lifecycle`,
          publisher,
          { state: to },
        );
        if (TRANSITIONS[from].includes(to)) {
          expect(res.status).toBe(200);
          expect(res.body.lifecycleState).toBe(to);
        } else {
          expect(res.status).toBe(409);
          expect(res.body.type).toContain('illegal-transition');
          expect(res.body.allowedTransitions).toEqual([...TRANSITIONS[from]]);
        }
      }
    });
  }

  it('deprecates older published versions when asked', async () => {
    const publisher = await userWithRole('publisher');
    const v1 = await api<{ id: string; context: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody());
    await api('POST', `/api/publisher/v1/apis/${v1.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' });
    const v2 = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody({ context: v1.body.context, version: 'v2' }));
    await api('POST', `/api/publisher/v1/apis/${v2.body.id}/lifecycle`, publisher, { state: 'PUBLISHED', deprecateOldVersions: true });
    expect((await api<{ lifecycleState: string }>('GET', `/api/publisher/v1/apis/${v1.body.id}`, publisher)).body.lifecycleState).toBe(
      'DEPRECATED',
    );
  });
});

describe('publisher: revisions and deployments', () => {
  it('says, per gateway environment, what changed in the API since the revision it serves, and nothing once the change is deployed', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher);
    type Undeployed = {
      list: Array<{ environment: string; revisionNumber: number; changes: Array<{ action: string; field: string; line: string }> }>;
    };
    const undeployed = async () =>
      (await api<Undeployed>('GET', `/api/publisher/v1/apis/${apiId}/undeployed-changes`, publisher)).body.list;
    expect(await undeployed()).toEqual([{ environment: 'production', revisionNumber: 1, changes: [] }]);
    const patched = await api('PATCH', `/api/publisher/v1/apis/${apiId}`, publisher, {
      apiKeyHeader: 'X-Key',
      description: 'not served by a gateway',
      resources: [
        { method: 'GET', path: '/items', authType: 'oauth2' },
        { method: 'POST', path: '/items', authType: 'api_key' },
      ],
    });
    expect(patched.status).toBe(200);
    const [production] = await undeployed();
    expect(production?.changes.map((c) => c.line)).toEqual([
      '~ apiKeyHeader: apikey -> x-key',
      '+ resource POST /items: {"authType":"api_key","scopes":[],"throttlingPolicy":null}',
    ]);
    const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${apiId}/revisions`, publisher, {});
    await api('POST', `/api/publisher/v1/apis/${apiId}/deployments`, publisher, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    expect(await undeployed()).toEqual([{ environment: 'production', revisionNumber: 2, changes: [] }]);
    expect((await api('GET', `/api/publisher/v1/apis/${apiId}/undeployed-changes`, await userWithRole('publisher'))).status).toBe(404);
  });

  it('reads a served revision that no longer parses as one change, the revision itself, saying why, instead of comparing it as if it did', async () => {
    const publisher = await userWithRole('publisher');
    const apiId = await publishedApi(publisher);
    const [served] = await db
      .select({ id: schema.revisions.id, definition: schema.revisions.definition })
      .from(schema.deployments)
      .innerJoin(schema.revisions, eq(schema.revisions.id, schema.deployments.revisionId))
      .where(eq(schema.deployments.apiId, apiId));
    const write = (definition: unknown) =>
      env.DB.prepare('UPDATE revisions SET definition = ? WHERE id = ?')
        .bind(JSON.stringify(definition), served?.id ?? '')
        .run();
    await write({ name: 'broken', context: '/broken', version: 'v1', resources: 'not a list' });
    // Put back at once: the other tests deploy into the same environment, whose snapshot holds every served revision.
    const res = await api<{ list: Array<{ changes: Array<{ field: string; line: string }> }> }>(
      'GET',
      `/api/publisher/v1/apis/${apiId}/undeployed-changes`,
      publisher,
    ).finally(() => write(served?.definition));
    expect(res.status).toBe(200);
    expect(res.body.list[0]?.changes.map((c) => c.field)).toEqual(['revision']);
    expect(res.body.list[0]?.changes[0]?.line).toMatch(/^~ revision: unreadable \(\/resources: .+\) -> the API as it is now$/);
  });

  it('deploys a revision into the environment snapshot, serving the revision and not later edits', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher, {
      resources: [{ method: 'GET', path: '/items', authType: 'oauth2', throttlingPolicy: '10KPerMin' }],
      apiThrottlingPolicy: '20KPerMin',
    });
    const snap = await snapshot();
    const served = snap.apis.find((a) => a.id === id);
    expect(served?.state).toBe('PUBLISHED');
    expect(served?.resources[0]?.limits).toEqual([
      { policy: '10KPerMin', scope: 'resource', limit: 10_000, windowSeconds: 60, failOpen: true },
    ]);
    expect(served?.limits).toEqual([{ policy: '20KPerMin', scope: 'api', limit: 20_000, windowSeconds: 60, failOpen: true }]);
    expect(snap.issuer).toBe(env.ISSUER);
    expect(snap.jwks[0]?.kid).toBe('test-key');
    expect(snap.jwks[0]).not.toHaveProperty('d');
    expect(snap.applicationPolicies?.['10PerMin']).toEqual([
      { policy: '10PerMin', scope: 'application', limit: 10, windowSeconds: 60, failOpen: true },
    ]);
    const deployments = await api<{ list: Array<{ environment: string }> }>('GET', `/api/publisher/v1/apis/${id}/deployments`, publisher);
    expect(deployments.body.list.map((d) => d.environment)).toEqual(['production']);
  });

  it('blocks at the gateway through the snapshot, and retiring takes the API off every gateway', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher);
    await api('POST', `/api/publisher/v1/apis/${id}/lifecycle`, publisher, { state: 'BLOCKED' });
    expect((await snapshot()).apis.find((a) => a.id === id)?.state).toBe('BLOCKED');
    await api('POST', `/api/publisher/v1/apis/${id}/lifecycle`, publisher, { state: 'DEPRECATED' });
    await api('POST', `/api/publisher/v1/apis/${id}/lifecycle`, publisher, { state: 'RETIRED' });
    expect((await snapshot()).apis.find((a) => a.id === id)).toBeUndefined();
  });

  it('undeploys, and rolls back by deploying an earlier revision', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher);
    const revisions = await api<{ list: Array<{ id: string; number: number }> }>(
      'GET',
      `/api/publisher/v1/apis/${id}/revisions`,
      publisher,
    );
    const first = revisions.body.list[0];
    const second = await api<{ id: string; number: number }>('POST', `/api/publisher/v1/apis/${id}/revisions`, publisher, {
      description: 'second',
    });
    expect(second.body.number).toBe(2);
    await api('POST', `/api/publisher/v1/apis/${id}/deployments`, publisher, { revisionId: second.body.id, environments: ['production'] });
    expect((await snapshot()).apis.find((a) => a.id === id)?.revisionId).toBe(second.body.id);
    await api('POST', `/api/publisher/v1/apis/${id}/deployments`, publisher, { revisionId: first?.id, environments: ['production'] });
    expect((await snapshot()).apis.find((a) => a.id === id)?.revisionId).toBe(first?.id);
    expect((await api('DELETE', `/api/publisher/v1/apis/${id}/deployments/production`, publisher)).status).toBe(204);
    expect((await snapshot()).apis.find((a) => a.id === id)).toBeUndefined();
    expect((await api('DELETE', `/api/publisher/v1/apis/${id}/deployments/production`, publisher)).status).toBe(404);
  });

  it('refuses private and loopback backends unless the environment allows them', async () => {
    const publisher = await userWithRole('publisher');
    const admin = await userWithRole('admin');
    const created = await api<{ id: string }>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({ endpoints: { production: { urls: [{ url: 'http://127.0.0.1:9000' }] } } }),
    );
    await api('POST', `/api/publisher/v1/apis/${created.body.id}/lifecycle`, publisher, { state: 'PUBLISHED' });
    const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${created.body.id}/revisions`, publisher, {});
    const env2 = await api<{ id: string }>('POST', '/api/admin/v1/environments', admin, {
      name: `strict-${Date.now()}`,
      displayName: 'Strict',
    });
    expect(env2.status).toBe(201);
    const envName =
      (await db.select().from(schema.gatewayEnvironments).where(eq(schema.gatewayEnvironments.id, env2.body.id)))[0]?.name ?? '';
    const refused = await api<ProblemBody>('POST', `/api/publisher/v1/apis/${created.body.id}/deployments`, publisher, {
      revisionId: revision.body.id,
      environments: [envName],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.pointer).toBe('/environments/0');
    await api('PATCH', `/api/admin/v1/environments/${env2.body.id}`, admin, { allowPrivateBackends: true });
    expect(
      (
        await api('POST', `/api/publisher/v1/apis/${created.body.id}/deployments`, publisher, {
          revisionId: revision.body.id,
          environments: [envName],
        })
      ).status,
    ).toBe(201);
  });
});

describe('publisher: subscriptions of an API', () => {
  it('lists subscribers and blocks / unblocks them, reaching the counter object at once', async () => {
    const publisher = await userWithRole('publisher');
    const other = await userWithRole('publisher');
    const dev = await userWithRole('developer');
    const apiId = await publishedApi(publisher);
    const app = await api<{ id: string }>('POST', '/api/devportal/v1/applications', dev, { name: 'Blockable' });
    const sub = await api<{ id: string }>('POST', '/api/devportal/v1/subscriptions', dev, {
      applicationId: app.body.id,
      apiId,
      tier: 'Gold',
    });
    const list = await api<{ list: Array<{ id: string; subscriber: string; status: string }> }>(
      'GET',
      `/api/publisher/v1/apis/${apiId}/subscriptions`,
      publisher,
    );
    expect(list.body.list).toEqual([expect.objectContaining({ id: sub.body.id, subscriber: dev.email, status: 'UNBLOCKED' })]);
    expect((await api('POST', `/api/publisher/v1/subscriptions/${sub.body.id}/block`, other, { status: 'BLOCKED' })).status).toBe(404);
    const object = throttleNamespace(env).getByName(subscriptionObjectName(app.body.id, apiId));
    expect(
      (await api('POST', `/api/publisher/v1/subscriptions/${sub.body.id}/block`, publisher, { status: 'PROD_ONLY_BLOCKED' })).status,
    ).toBe(200);
    expect((await object.inspect()).state?.status).toBe('PROD_ONLY_BLOCKED');
    expect((await api('POST', `/api/publisher/v1/subscriptions/${sub.body.id}/unblock`, publisher)).status).toBe(200);
    expect((await object.inspect()).state?.status).toBe('UNBLOCKED');
    expect(
      (await api<ProblemBody>('POST', `/api/publisher/v1/subscriptions/${sub.body.id}/block`, publisher, { status: 'ON_HOLD' })).status,
    ).toBe(400);
  });
});

describe('publisher: changing, versioning and deleting APIs', () => {
  it('refuses header edits the gateway could not apply, naming the header at fault', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher);
    const bad = await api<ProblemBody>('PATCH', `/api/publisher/v1/apis/${id}`, publisher, {
      headerEdits: { request: { set: { 'X-Ok': 'fine', 'Bad Name': 'x', 'X-Split': 'a\r\nInjected: 1' }, remove: ['<img>'] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.pointer)).toEqual(
      expect.arrayContaining(['/headerEdits/request/set/Bad Name', '/headerEdits/request/set/X-Split', '/headerEdits/request/remove/0']),
    );
    const good = await api<{ headerEdits: unknown }>('PATCH', `/api/publisher/v1/apis/${id}`, publisher, {
      headerEdits: { request: { set: { 'X-Ok': 'fine' }, remove: ['Cookie'] } },
    });
    expect(good.status).toBe(200);
    expect(good.body.headerEdits).toEqual({ request: { set: { 'X-Ok': 'fine' }, remove: ['Cookie'] }, response: { set: {}, remove: [] } });
  });

  it('changes only what a PATCH sends, replacing resources and endpoints, and serves it after a new revision', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher, { tags: ['keep'], description: 'before' });
    const patched = await api<{
      description: string;
      tags: string[];
      resources: Array<{ path: string }>;
      endpoints: { production?: { urls: Array<{ url: string }> }; sandbox?: unknown };
    }>('PATCH', `/api/publisher/v1/apis/${id}`, publisher, {
      description: 'after',
      resources: [{ method: 'GET', path: '/v2items' }],
      endpoints: {
        production: { urls: [{ url: 'https://new.example.com' }] },
        sandbox: { urls: [{ url: 'https://sandbox.example.com' }] },
      },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.description).toBe('after');
    expect(patched.body.tags).toEqual(['keep']);
    expect(patched.body.resources.map((r) => r.path)).toEqual(['/v2items']);
    expect(patched.body.endpoints.production?.urls[0]?.url).toBe('https://new.example.com');
    // The gateway still serves the deployed revision until a new one is deployed.
    expect((await snapshot()).apis.find((a) => a.id === id)?.resources.map((r) => r.pathTemplate)).toEqual(['/items']);
    const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${id}/revisions`, publisher, {});
    await api('POST', `/api/publisher/v1/apis/${id}/deployments`, publisher, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    expect((await snapshot()).apis.find((a) => a.id === id)?.resources.map((r) => r.pathTemplate)).toEqual(['/v2items']);
    const bad = await api<ProblemBody>('PATCH', `/api/publisher/v1/apis/${id}`, publisher, {
      context: '/moved',
      subscriptionTiers: ['Nope'],
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.map((e) => e.pointer)).toContain('/context');
  });

  it('copies an API into a new version and keeps one default version per context', async () => {
    const publisher = await userWithRole('publisher');
    const v1 = await api<{ id: string; context: string }>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({
        isDefaultVersion: true,
        resources: [
          { method: 'GET', path: '/a' },
          { method: 'POST', path: '/a' },
        ],
      }),
    );
    const v2 = await api<{ id: string; version: string; lifecycleState: string; resources: unknown[]; isDefaultVersion: boolean }>(
      'POST',
      `/api/publisher/v1/apis/${v1.body.id}/new-version`,
      publisher,
      { version: 'v2', isDefaultVersion: true },
    );
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 'v2', lifecycleState: 'CREATED', isDefaultVersion: true });
    expect(v2.body.resources).toHaveLength(2);
    expect((await api<{ isDefaultVersion: boolean }>('GET', `/api/publisher/v1/apis/${v1.body.id}`, publisher)).body.isDefaultVersion).toBe(
      false,
    );
    expect((await api('POST', `/api/publisher/v1/apis/${v1.body.id}/new-version`, publisher, { version: 'v2' })).status).toBe(409);
  });

  it('deletes an API only when nobody subscribes and no gateway serves it', async () => {
    const publisher = await userWithRole('publisher');
    const deployed = await publishedApi(publisher);
    const refused = await api<ProblemBody>('DELETE', `/api/publisher/v1/apis/${deployed}`, publisher);
    expect(refused.status).toBe(409);
    const draft = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody());
    expect((await api('DELETE', `/api/publisher/v1/apis/${draft.body.id}`, publisher)).status).toBe(204);
    expect((await api('GET', `/api/publisher/v1/apis/${draft.body.id}`, publisher)).status).toBe(404);
  });
});

describe('publisher: documents', () => {
  it('adds, orders, replaces and removes documents, and shows them in the catalog once published', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher);
    const second = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${id}/documents`, publisher, {
      name: 'Errors',
      content: '# Errors',
      sortOrder: 2,
    });
    expect(second.status).toBe(201);
    await api('POST', `/api/publisher/v1/apis/${id}/documents`, publisher, { name: 'Getting started', content: '# Hello', sortOrder: 1 });
    await api('POST', `/api/publisher/v1/apis/${id}/documents`, publisher, {
      name: 'Forum',
      type: 'PUBLIC_FORUM',
      sourceType: 'URL',
      url: 'https://forum.example.com',
    });
    expect((await api('POST', `/api/publisher/v1/apis/${id}/documents`, publisher, { name: 'Errors', content: 'again' })).status).toBe(409);
    const bad = await api<ProblemBody>('POST', `/api/publisher/v1/apis/${id}/documents`, publisher, {
      name: 'Bad',
      sourceType: 'URL',
      url: 'javascript:alert(1)',
    });
    expect(bad.body.errors?.map((e) => e.pointer)).toContain('/url');
    const listed = await api<{ list: Array<{ name: string }> }>('GET', `/api/devportal/v1/apis/${id}/documents`, null);
    expect(listed.body.list.map((d) => d.name)).toEqual(['Forum', 'Getting started', 'Errors']);
    expect(
      (await api('PUT', `/api/publisher/v1/apis/${id}/documents/${second.body.id}`, publisher, { name: 'Errors', content: '# Errors v2' }))
        .status,
    ).toBe(200);
    expect((await api('DELETE', `/api/publisher/v1/apis/${id}/documents/${second.body.id}`, publisher)).status).toBe(204);
    const other = await userWithRole('publisher');
    expect((await api('POST', `/api/publisher/v1/apis/${id}/documents`, other, { name: 'Mine', content: 'x' })).status).toBe(404);
    const spec = await api<{ paths: Record<string, unknown> }>('GET', `/api/devportal/v1/apis/${id}/openapi`, null);
    expect(Object.keys(spec.body.paths)).toEqual(['/items']);
  });
});
