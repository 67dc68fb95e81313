import { SELF } from 'cloudflare:test';
import { stringify } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ORIGIN, api, userWithRole, type ProblemBody } from '../../../../../test/workers/control-plane-helpers.ts';
import { petstore3 } from '../../../../../test/fixtures/petstore3.ts';
import { IMPORT_BODY_LIMIT } from '../../http/guards.ts';

const methodsOf = (doc: { paths: Record<string, Record<string, unknown>> }) =>
  Object.entries(doc.paths)
    .flatMap(([path, item]) =>
      Object.keys(item)
        .filter((m) => ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'].includes(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    )
    .sort();

async function importRaw(cookie: string, body: string, contentType: string, query: string) {
  const res = await SELF.fetch(`${ORIGIN}/api/publisher/v1/apis/import?${query}`, {
    method: 'POST',
    headers: { cookie, 'content-type': contentType },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('OpenAPI import and export', () => {
  afterEach(() => vi.restoreAllMocks());

  it('refuses a document that breaks the OpenAPI schema, naming the JSON pointer and line of each error', async () => {
    const publisher = await userWithRole('publisher');
    const yaml = [
      'openapi: 3.0.3',
      'info:',
      '  title: Pets',
      'paths:',
      '  /pets/{id}:',
      '    get:',
      '      parameters:',
      '        - name: id',
      '          in: pth',
      '          required: true',
      '          schema: { type: string }',
      '      responses:',
      '        "200": { description: ok }',
      '',
    ].join('\n');
    const res = await importRaw(publisher.cookie, yaml, 'application/yaml', `context=/bad${Date.now()}&version=v1`);
    expect(res.status).toBe(400);
    const errors = res.body['errors'] as Array<{ pointer: string; detail: string; line?: number }>;
    expect(errors).toContainEqual({ pointer: '/definition/info', detail: expect.stringContaining('version'), line: 2 });
    expect(errors).toContainEqual({
      pointer: '/definition/paths/~1pets~1{id}/get/parameters/0/in',
      detail: 'Must be one of path, query, header, cookie',
      line: 9,
    });
  });

  it('resolves internal $refs where validation needs them: a parameter declared by reference is held to its path template, and a reference to nothing is refused', async () => {
    const publisher = await userWithRole('publisher');
    const doc = (name: string, ref: string) => ({
      openapi: '3.1.0',
      info: { title: 'Refs', version: '1' },
      paths: { '/pets/{id}': { parameters: [{ $ref: ref }], get: { responses: { '200': { description: 'ok' } } } } },
      components: { parameters: { Id: { name, in: 'path', required: true, schema: { type: 'string' } } } },
    });
    const ok = await api('POST', '/api/publisher/v1/apis/import', publisher, {
      definition: doc('id', '#/components/parameters/Id'),
      context: `/refs${Date.now()}`,
    });
    expect(ok.status).toBe(201);
    const misnamed = await api<ProblemBody>('POST', '/api/publisher/v1/apis/import', publisher, {
      definition: doc('petId', '#/components/parameters/Id'),
      context: `/refs-b${Date.now()}`,
    });
    expect(misnamed.status).toBe(400);
    expect(misnamed.body.errors?.[0]?.pointer).toBe('/definition/paths/~1pets~1{id}/parameters/0/name');
    const dangling = await api<ProblemBody>('POST', '/api/publisher/v1/apis/import', publisher, {
      definition: doc('id', '#/components/parameters/Nope'),
      context: `/refs-c${Date.now()}`,
    });
    expect(dangling.status).toBe(400);
    expect(dangling.body.errors?.[0]).toMatchObject({
      pointer: '/definition/paths/~1pets~1{id}/parameters/0/$ref',
      detail: expect.stringContaining('#/components/parameters/Nope'),
    });
  });

  it('never fetches an external reference: the document is imported with the reference kept as written', async () => {
    const publisher = await userWithRole('publisher');
    const fetchSpy = vi.spyOn(globalThis, 'fetch');
    const doc = {
      openapi: '3.1.0',
      info: { title: 'External', version: '1' },
      paths: {
        '/things': {
          get: {
            responses: {
              '200': {
                description: 'ok',
                content: { 'application/json': { schema: { $ref: 'http://169.254.169.254/latest/meta-data.json#/Thing' } } },
              },
            },
          },
        },
      },
    };
    const res = await api<{ id: string }>('POST', '/api/publisher/v1/apis/import', publisher, {
      definition: doc,
      context: `/external${Date.now()}`,
    });
    expect(res.status).toBe(201);
    expect(fetchSpy.mock.calls.map(([input]) => String(input instanceof Request ? input.url : input))).not.toContainEqual(
      expect.stringContaining('169.254.169.254'),
    );
    const exported = await api('GET', `/api/publisher/v1/apis/${res.body.id}/openapi`, publisher);
    expect(JSON.stringify(exported.body)).toContain('http://169.254.169.254/latest/meta-data.json#/Thing');
  });

  it('imports the Swagger Petstore 3 (JSON) and exports the same paths and methods', async () => {
    const publisher = await userWithRole('publisher');
    const res = await api<{
      id: string;
      name: string;
      version: string;
      resources: Array<{ method: string; path: string; authType: string; scopes: string[] }>;
    }>('POST', '/api/publisher/v1/apis/import', publisher, {
      definition: petstore3,
      context: `/petstore3-${Date.now()}`,
      subscriptionTiers: ['Gold'],
    });
    expect(res.status).toBe(201);
    expect(res.body.name).toBe('Swagger Petstore - OpenAPI 3.0');
    expect(res.body.version).toBe('1.0.27');
    expect(res.body.resources).toHaveLength(19);
    expect(res.body.resources.find((r) => r.path === '/user/login')?.authType).toBe('none');
    // The document's own description is kept when the caller sends none.
    expect((res.body as { description?: string }).description).toBe((petstore3 as { info: { description: string } }).info.description);
    expect(res.body.resources.find((r) => r.method === 'PUT' && r.path === '/pet')?.scopes).toEqual(['write:pets', 'read:pets']);
    const exported = await api<{ paths: Record<string, Record<string, unknown>> }>(
      'GET',
      `/api/publisher/v1/apis/${res.body.id}/openapi`,
      publisher,
    );
    expect(methodsOf(exported.body)).toEqual(methodsOf(petstore3));
    // External $refs are kept as written, never fetched.
    expect(JSON.stringify(exported.body)).toContain('https://evil.example/category.json');
  });

  it('imports a YAML document with hundreds of operations and Swagger 2.0', async () => {
    const publisher = await userWithRole('publisher');
    const paths: Record<string, Record<string, unknown>> = {};
    for (let i = 0; i < 300; i++)
      paths[`/resource${i}/{id}`] = {
        get: { responses: { '200': { description: 'ok' } } },
        delete: { responses: { '204': { description: 'gone' } } },
      };
    const big = { openapi: '3.1.0', info: { title: 'Big', version: '2' }, paths };
    const yaml = await importRaw(publisher.cookie, stringify(big), 'application/yaml', `context=/big${Date.now()}&version=v2`);
    expect(yaml.body).toMatchObject({ resources: expect.any(Array) });
    expect(yaml.status).toBe(201);
    expect((yaml.body['resources'] as unknown[]).length).toBe(600);
    const exported = await api<{ paths: Record<string, Record<string, unknown>> }>(
      'GET',
      `/api/publisher/v1/apis/${String(yaml.body['id'])}/openapi`,
      publisher,
    );
    expect(methodsOf(exported.body)).toEqual(methodsOf(big));
    const swagger = {
      swagger: '2.0',
      info: { title: 'Old', version: '1.0' },
      paths: { '/things': { get: { responses: { '200': { description: 'ok' } } } } },
    };
    const two = await api<{ resources: unknown[] }>('POST', '/api/publisher/v1/apis/import', publisher, {
      definition: JSON.stringify(swagger),
      context: `/old${Date.now()}`,
    });
    expect(two.status).toBe(201);
    expect(two.body.resources).toHaveLength(1);
  });

  it('names what is wrong with a bad document, and refuses an oversized upload with 413', async () => {
    const publisher = await userWithRole('publisher');
    const notOas = await api<ProblemBody>('POST', '/api/publisher/v1/apis/import', publisher, {
      definition: { openapi: '2.5', paths: {} },
      context: '/x',
    });
    expect(notOas.status).toBe(400);
    expect(notOas.body.errors?.[0]?.pointer).toBe('/definition/openapi');
    const garbage = await importRaw(publisher.cookie, 'openapi: [unclosed', 'application/yaml', 'context=/y&version=v1');
    expect(garbage.status).toBe(400);
    const noContext = await api<ProblemBody>('POST', '/api/publisher/v1/apis/import', publisher, { definition: petstore3 });
    expect(noContext.body.errors?.map((e) => e.pointer)).toContain('/context');
    const huge = await importRaw(publisher.cookie, 'x'.repeat(IMPORT_BODY_LIMIT + 1), 'application/yaml', 'context=/z&version=v1');
    expect(huge.status).toBe(413);
    const developer = await userWithRole('developer');
    expect((await api('POST', '/api/publisher/v1/apis/import', developer, { definition: petstore3, context: '/dev' })).status).toBe(403);
  });

  it('exports an API made by hand as OpenAPI 3.1', async () => {
    const publisher = await userWithRole('publisher');
    const made = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, {
      name: 'Hand',
      context: `/hand${Date.now()}`,
      version: 'v1',
      resources: [
        { method: 'GET', path: '/a/{id}', authType: 'none' },
        { method: 'POST', path: '/a' },
      ],
    });
    const exported = await api<{ openapi: string; paths: Record<string, Record<string, unknown>> }>(
      'GET',
      `/api/publisher/v1/apis/${made.body.id}/openapi`,
      publisher,
    );
    expect(exported.body.openapi).toBe('3.1.0');
    expect(methodsOf(exported.body)).toEqual(['GET /a/{id}', 'POST /a']);
  });

  it('keeps a document sent with create or update (as the CLI does) and refuses one that is not OpenAPI', async () => {
    const publisher = await userWithRole('publisher');
    const doc = {
      openapi: '3.0.3',
      info: { title: 'Kept', version: 'v1' },
      paths: { '/things': { get: { summary: 'Things', responses: { '200': { description: 'ok' } } } } },
    };
    const made = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, {
      name: 'Kept',
      context: `/kept${Date.now()}`,
      version: 'v1',
      resources: [{ method: 'GET', path: '/things' }],
      openapi: doc,
    });
    expect(made.status).toBe(201);
    expect((await api('GET', `/api/publisher/v1/apis/${made.body.id}/openapi`, publisher)).body).toEqual(doc);

    const next = { ...doc, info: { title: 'Kept', version: 'v1', description: 'now described' } };
    expect((await api('PATCH', `/api/publisher/v1/apis/${made.body.id}`, publisher, { openapi: next })).status).toBe(200);
    expect((await api('GET', `/api/publisher/v1/apis/${made.body.id}/openapi`, publisher)).body).toEqual(next);

    const bad = await api<ProblemBody>('PATCH', `/api/publisher/v1/apis/${made.body.id}`, publisher, { openapi: { info: {} } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors?.[0]?.pointer).toMatch(/^\/openapi/);
    expect((await api('GET', `/api/publisher/v1/apis/${made.body.id}/openapi`, publisher)).body).toEqual(next);

    // Dropping the document makes export generate one from the resources again.
    expect((await api('PATCH', `/api/publisher/v1/apis/${made.body.id}`, publisher, { openapi: null })).status).toBe(200);
    expect((await api<{ openapi: string }>('GET', `/api/publisher/v1/apis/${made.body.id}/openapi`, publisher)).body.openapi).toBe('3.1.0');
  });
});
