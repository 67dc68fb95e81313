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
} from '../../../../../test/workers/control-plane-helpers.ts';
import { compileSteps } from '../../../../gateway/src/policies/compile.ts';
import { schema } from '../../db.ts';

const document = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1' },
  paths: {
    '/pets/{petId}': {
      parameters: [{ $ref: '#/components/parameters/PetId' }],
      put: {
        parameters: [{ name: 'dryRun', in: 'query', schema: { type: 'boolean' } }],
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } },
        responses: { '200': { description: 'ok' } },
      },
    },
  },
  components: {
    parameters: { PetId: { name: 'petId', in: 'path', required: true, schema: { type: 'integer' } } },
    schemas: {
      Pet: { type: 'object', required: ['name'], properties: { name: { type: 'string' }, tag: { type: 'string', nullable: true } } },
    },
  },
};

describe('publisher: policies', () => {
  it('attaches policies to an API and to an operation, freezes them in the revision and compiles them into the snapshot with the operation from the OpenAPI document', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher, {
      openapi: document,
      policies: [{ name: 'header-edits', config: { response: { set: { 'x-api-policy': 'yes' } } } }],
      resources: [{ method: 'PUT', path: '/pets/{petId}', authType: 'none', policies: [{ name: 'request-validation', config: {} }] }],
    });
    const view = await api<{ policies: unknown[]; resources: Array<{ policies: unknown[] }> }>(
      'GET',
      `/api/publisher/v1/apis/${id}`,
      publisher,
    );
    expect(view.body.policies).toEqual([{ name: 'header-edits', config: { response: { set: { 'x-api-policy': 'yes' } } } }]);
    expect(view.body.resources[0]?.policies).toEqual([{ name: 'request-validation', config: {} }]);
    // The revision freezes the operation's inputs, not the whole document.
    const [stored] = await db.select().from(schema.revisions).where(eq(schema.revisions.apiId, id));
    expect(stored?.definition).not.toHaveProperty('openapi');
    expect((stored?.definition.resources as Array<{ operation?: unknown }>)[0]?.operation).toMatchObject({ dialect: '4' });
    const snapshot = await deployedSnapshot();
    const served = snapshot.apis.find((a) => a.id === id);
    expect(served?.policies).toEqual([{ name: 'header-edits', config: { response: { set: { 'x-api-policy': 'yes' } } } }]);
    const resource = served?.resources[0];
    expect(resource?.policies).toEqual([{ name: 'request-validation', config: {} }]);
    expect(resource?.operation?.parameters.map((p) => `${p.in}:${p.name}`)).toEqual(['path:petId', 'query:dryRun']);
    expect(resource?.operation?.body?.required).toBe(true);

    // The gateway builds steps from exactly this snapshot: validation first, then the API's header edits.
    const steps = resource === undefined ? undefined : compileSteps(snapshot).get(resource);
    expect(steps?.inbound).toHaveLength(1);
    expect(steps?.outbound).toHaveLength(1);
    const call = (rest: string, body: string) => ({
      request: new Request(`http://gw.test${rest}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body }),
      search: '?dryRun=maybe',
      rest,
      extraHeaders: {},
      headers: new Headers(),
      body: body as ReadableStream | string | null,
      caller: null,
      waitUntil: () => undefined,
      counters: [],
      operation: null,
    });
    const refused = await Promise.resolve(steps?.inbound[0]?.(call('/pets/x', JSON.stringify({ tag: null })))).catch((err: unknown) => err);
    expect((refused as { options?: { errors?: Array<{ pointer: string }> } }).options?.errors?.map((e) => e.pointer).sort()).toEqual([
      '/body',
      '/path/petId',
      '/query/dryRun',
    ]);
    const passed = call('/pets/7', JSON.stringify({ name: 'Rex', tag: null }));
    passed.search = '?dryRun=true';
    await steps?.inbound[0]?.(passed);
  });

  it("serves a prototype API with no endpoint from its document's examples: the mock's revision freezes the documented responses, and a transform needs no document", async () => {
    const publisher = await userWithRole('publisher');
    const doc = {
      openapi: '3.1.0',
      info: { title: 'Proto', version: '1' },
      paths: {
        '/pets': {
          get: { responses: { '200': { description: 'ok', content: { 'application/json': { example: [{ id: 1, name: 'Rex' }] } } } } },
        },
      },
    };
    const id = await publishedApi(publisher, {
      openapi: doc,
      endpoints: {},
      policies: [{ name: 'mock', config: {} }],
      resources: [
        {
          method: 'GET',
          path: '/pets',
          authType: 'none',
          policies: [{ name: 'transform', config: { response: { set: { '/0/mocked': true } } } }],
        },
      ],
    });
    const snapshot = await deployedSnapshot();
    const served = snapshot.apis.find((a) => a.id === id);
    expect(served?.endpoints).toEqual({});
    const resource = served?.resources[0];
    expect(resource?.operation?.responses).toEqual([
      { status: '200', mediaType: 'application/json', example: [{ id: 1, name: 'Rex' }], examples: {}, schema: null },
    ]);
    const steps = resource === undefined ? undefined : compileSteps(snapshot).get(resource);
    const call = {
      request: new Request('http://gw.test/pets'),
      search: '',
      rest: '/pets',
      extraHeaders: {},
      headers: new Headers(),
      body: null,
      waitUntil: () => undefined,
      caller: null,
      counters: [],
      operation: null,
    };
    const mocked = await steps?.backend?.(call);
    expect(mocked?.headers.get('x-turnpike-mock')).toBe('example');
    const relayed = mocked === undefined ? undefined : await steps?.response[0]?.(mocked, call);
    expect(await relayed?.json()).toEqual([{ id: 1, name: 'Rex', mocked: true }]);
  });

  it('refuses an unknown policy or a config its schema does not accept with 400, naming the field', async () => {
    const publisher = await userWithRole('publisher');
    const unknown = await api<ProblemBody>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({ policies: [{ name: 'no-such-policy', config: {} }] }),
    );
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors?.map((e) => e.pointer)).toEqual(['/policies/0/name']);
    const badConfig = await api<ProblemBody>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({ resources: [{ method: 'GET', path: '/items', policies: [{ name: 'request-validation', config: { body: 'yes' } }] }] }),
    );
    expect(badConfig.status).toBe(400);
    expect(badConfig.body.errors?.map((e) => e.pointer)).toEqual(['/resources/0/policies/0/config/body']);
    const created = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody());
    const patched = await api<ProblemBody>('PATCH', `/api/publisher/v1/apis/${created.body.id}`, publisher, {
      policies: [{ name: 'header-edits', config: { request: { set: { 'bad header': 'x' } } } }],
    });
    expect(patched.status).toBe(400);
    expect(patched.body.errors?.[0]?.pointer).toMatch(/^\/policies\/0\/config\/request\/set/);
  });

  it('deploys an old stored revision that predates policies and other later fields, its snapshot carrying their defaults', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher);
    const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${id}/revisions`, publisher, {});
    // What a revision written before policies (and before several other fields) looks like in D1.
    const old = {
      name: 'Old API',
      context: '/old-revision',
      version: 'v1',
      resources: [{ method: 'GET', path: '/items', scopes: [] }],
      endpoints: { production: { urls: [{ url: 'https://backend.example.com/api' }] } },
    };
    await db.update(schema.revisions).set({ definition: old }).where(eq(schema.revisions.id, revision.body.id));
    const deployed = await api('POST', `/api/publisher/v1/apis/${id}/deployments`, publisher, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    expect(deployed.status).toBe(201);
    const served = (await deployedSnapshot()).apis.find((a) => a.id === id);
    expect(served).toMatchObject({
      context: '/old-revision',
      apiKeyHeader: 'apikey',
      backendJwt: false,
      cors: null,
      headerEdits: null,
      limits: [],
    });
    expect(served?.policies).toBeUndefined();
    expect(served?.resources).toEqual([{ method: 'GET', pathTemplate: '/items', authType: 'oauth2_or_api_key', scopes: [], limits: [] }]);
    expect(served?.endpoints.PRODUCTION).toEqual({
      strategy: 'single',
      urls: [{ url: 'https://backend.example.com/api', timeoutMs: 30_000 }],
      suspendSeconds: 30,
    });
    expect(env.ISSUER).toBeTruthy();
  });

  it('refuses to deploy a stored revision that no longer parses, naming the revision, instead of serving half of it', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher);
    const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${id}/revisions`, publisher, {});
    await db
      .update(schema.revisions)
      .set({ definition: { name: 'Broken', resources: 'not a list' } })
      .where(eq(schema.revisions.id, revision.body.id));
    const refused = await api<ProblemBody>('POST', `/api/publisher/v1/apis/${id}/deployments`, publisher, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.pointer).toBe('/revisionId');
  });

  it('answers 409 naming the damaged revision, not 500, when a revision deployed to the environment no longer parses', async () => {
    const publisher = await userWithRole('publisher');
    const damaged = await publishedApi(publisher);
    const served = await db.select().from(schema.deployments).where(eq(schema.deployments.apiId, damaged));
    const revisionId = served[0]?.revisionId ?? '';
    await db
      .update(schema.revisions)
      .set({ definition: { name: 'Broken', resources: 'not a list' } })
      .where(eq(schema.revisions.id, revisionId));
    const created = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody());
    const other = created.body.id;
    expect((await api('POST', `/api/publisher/v1/apis/${other}/lifecycle`, publisher, { state: 'PUBLISHED' })).status).toBe(200);
    const revision = await api<{ id: string }>('POST', `/api/publisher/v1/apis/${other}/revisions`, publisher, {});
    const refused = await api<ProblemBody & { revisionId?: string }>('POST', `/api/publisher/v1/apis/${other}/deployments`, publisher, {
      revisionId: revision.body.id,
      environments: ['production'],
    });
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toMatch(/no longer parses/);
    expect(refused.body.revisionId).toBe(revisionId);
  });

  it('keeps the policies of an operation when a change resends its resources without them (an editor that does not show policies), and drops them when sent empty', async () => {
    const publisher = await userWithRole('publisher');
    const policies = [{ name: 'request-validation', config: { body: false } }];
    const created = await api<{ id: string }>(
      'POST',
      '/api/publisher/v1/apis',
      publisher,
      apiBody({ resources: [{ method: 'GET', path: '/items', policies }] }),
    );
    expect(created.status).toBe(201);
    const resent = await api<{ resources: Array<{ path: string; policies: unknown[] }> }>(
      'PATCH',
      `/api/publisher/v1/apis/${created.body.id}`,
      publisher,
      {
        resources: [
          { method: 'GET', path: '/items', authType: 'none' },
          { method: 'GET', path: '/new' },
        ],
      },
    );
    expect(resent.status).toBe(200);
    expect(resent.body.resources.map((r) => [r.path, r.policies])).toEqual([
      ['/items', policies],
      ['/new', []],
    ]);
    const cleared = await api<{ resources: Array<{ policies: unknown[] }> }>(
      'PATCH',
      `/api/publisher/v1/apis/${created.body.id}`,
      publisher,
      { resources: [{ method: 'GET', path: '/items', policies: [] }] },
    );
    expect(cleared.body.resources[0]?.policies).toEqual([]);
  });

  it('lists the policies a publisher can attach, each with the JSON Schema of its config, to signed-in publishers only', async () => {
    const publisher = await userWithRole('publisher');
    const catalog = await api<{
      list: Array<{ name: string; description: string; configSchema: { type?: string; properties?: Record<string, unknown> } }>;
    }>('GET', '/api/publisher/v1/policies', publisher);
    expect(catalog.status).toBe(200);
    expect(catalog.body.list.map((p) => p.name).sort()).toEqual([
      'header-edits',
      'mock',
      'request-validation',
      'response-cache',
      'size-limits',
      'transform',
    ]);
    const validation = catalog.body.list.find((p) => p.name === 'request-validation');
    expect(validation?.configSchema).toMatchObject({
      type: 'object',
      properties: { parameters: { type: 'boolean', default: true }, body: { type: 'boolean', default: true } },
    });
    expect(catalog.body.list.find((p) => p.name === 'response-cache')?.configSchema).toMatchObject({
      type: 'object',
      properties: { ttlSeconds: { type: 'integer', default: 300 }, private: { type: 'boolean', default: false } },
    });
    expect((await api('GET', '/api/publisher/v1/policies', null)).status).toBe(401);
    expect((await api('GET', '/api/publisher/v1/policies', await userWithRole('developer'))).status).toBe(403);
  });
});
