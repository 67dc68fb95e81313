import { SELF } from 'cloudflare:test';
import { beforeAll, describe, expect, it } from 'vitest';
import { ORIGIN, api, apiBody, userWithRole, type ProblemBody, type TestUser } from '../../../../test/workers/control-plane-helpers.ts';
import { ROLE_SCOPES } from '../auth/scopes.ts';

type Requirement = Record<string, string[]>;
interface Operation {
  security?: Requirement[];
}
interface Document {
  security?: Requirement[];
  paths: Record<string, Record<string, Operation>>;
}

async function operations(): Promise<Array<{ method: string; path: string; security: Requirement[] }>> {
  const doc = (await (await SELF.fetch(`${ORIGIN}/api/openapi.json`)).json()) as Document;
  const out: Array<{ method: string; path: string; security: Requirement[] }> = [];
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods))
      out.push({ method: method.toUpperCase(), path, security: op.security ?? doc.security ?? [] });
  }
  return out;
}

const isPublic = (security: Requirement[]) => security.length === 0 || security.some((r) => Object.keys(r).length === 0);
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, 'x_does_not_exist');
const withBody = (method: string) => ['POST', 'PUT', 'PATCH'].includes(method);

/** A call whose body and query are both invalid for every operation: only the auth check can answer first. */
async function invalidCall(method: string, path: string, cookie?: string) {
  const headers: Record<string, string> = {};
  if (cookie !== undefined) headers['cookie'] = cookie;
  if (withBody(method)) headers['content-type'] = 'application/json';
  const res = await SELF.fetch(`${ORIGIN}${concrete(path)}?no_such_parameter=1`, {
    method,
    headers,
    body: withBody(method) ? '{"no_such_field": {"a": 1, "a": 2}' : undefined,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: (text === '' ? null : JSON.parse(text)) as ProblemBody | null };
}

describe('the auth matrix over every operation of /api/openapi.json', () => {
  let developer: TestUser;
  let publisher: TestUser;
  beforeAll(async () => {
    developer = await userWithRole('developer');
    publisher = await userWithRole('publisher');
  });

  it('answers an anonymous call to every protected operation with 401 and a challenge before reading its body or query', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(60);
    let protectedOps = 0;
    for (const op of ops.filter((o) => !isPublic(o.security))) {
      protectedOps++;
      const res = await invalidCall(op.method, op.path);
      expect(res.status, `${op.method} ${op.path}`).toBe(401);
      expect(res.headers.get('www-authenticate'), `${op.method} ${op.path}`).toMatch(/^Bearer realm="turnpike-management"/);
      expect(res.body?.status).toBe(401);
    }
    expect(protectedOps).toBeGreaterThan(50);
  });

  it('answers a signed-in caller without the scope an operation documents with 403 before reading its body or query', async () => {
    let checked = 0;
    for (const op of await operations()) {
      const scopes = op.security[0] === undefined ? [] : Object.values(op.security[0]).flat();
      if (isPublic(op.security) || scopes.length === 0) continue;
      const caller = [developer, publisher].find((u) => {
        const role = u === developer ? 'developer' : 'publisher';
        return scopes.some((s) => !(ROLE_SCOPES[role] as readonly string[]).includes(s));
      });
      if (caller === undefined) continue;
      const res = await invalidCall(op.method, op.path, caller.cookie);
      expect(res.status, `${op.method} ${op.path} as a caller without ${scopes.join(' ')}`).toBe(403);
      expect(res.body?.type).toBe('https://turnpike.dev/problems/forbidden');
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('lets anonymous callers reach the public operations (sign-in, sign-up, the catalog)', async () => {
    const publicOps = (await operations()).filter((o) => isPublic(o.security)).map((o) => `${o.method} ${o.path}`);
    expect(publicOps).toEqual(
      expect.arrayContaining(['POST /api/auth/login', 'POST /api/devportal/v1/signup', 'GET /api/devportal/v1/apis']),
    );
    const catalog = await api('GET', '/api/devportal/v1/apis', null);
    expect(catalog.status).toBe(200);
  });

  it('has every operation declare who may call it, so that a scope is refused before validation', async () => {
    const doc = (await (await SELF.fetch(`${ORIGIN}/api/openapi.json`)).json()) as Document;
    const undeclared = Object.entries(doc.paths).flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([, op]) => op.security === undefined)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('documents the management security schemes and a signed-in default', async () => {
    const doc = (await (await SELF.fetch(`${ORIGIN}/api/openapi.json`)).json()) as Document & {
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(Object.keys(doc.components.securitySchemes)).toEqual(expect.arrayContaining(['managementToken', 'session']));
    expect(doc.security).toEqual([{ managementToken: [] }, { session: [] }]);
    expect(doc.paths['/api/publisher/v1/apis']?.['post']?.security).toEqual([
      { managementToken: ['api:create'] },
      { session: ['api:create'] },
    ]);
  });
});

describe('authentication before validation', () => {
  it('answers an anonymous create-API call with an invalid body with 401 and a challenge, not the missing fields', async () => {
    const res = await api<ProblemBody>('POST', '/api/publisher/v1/apis', null, { name: 1 });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect(res.body.errors).toBeUndefined();
  });

  it('answers an anonymous call with a non-JSON body with 401, not 415', async () => {
    const res = await SELF.fetch(`${ORIGIN}/api/publisher/v1/apis`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    expect(res.status).toBe(401);
  });

  it('answers a developer creating an API with an invalid body with 403', async () => {
    const developer = await userWithRole('developer');
    const res = await api<ProblemBody>('POST', '/api/publisher/v1/apis', developer, { name: 1 });
    expect(res.status).toBe(403);
  });
});

describe('unknown query parameters', () => {
  it('refuses a query parameter an operation does not declare with 400 naming it', async () => {
    const publisher = await userWithRole('publisher');
    const res = await api<ProblemBody>('GET', '/api/publisher/v1/apis?sortBy=;drop&limit=5', publisher);
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ pointer: '#query/sortBy', detail: 'Unknown query parameter' }]);
  });

  it('refuses any query parameter on an operation that declares none', async () => {
    const publisher = await userWithRole('publisher');
    const created = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, apiBody());
    const res = await api<ProblemBody>('GET', `/api/publisher/v1/apis/${created.body.id}?fields=name`, publisher);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.pointer).toBe('#query/fields');
  });

  it('refuses a declared parameter given twice rather than picking one', async () => {
    const publisher = await userWithRole('publisher');
    const res = await api<ProblemBody>('GET', '/api/publisher/v1/apis?limit=1&limit=100', publisher);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.pointer).toBe('#query/limit');
  });

  it('still accepts the declared ones', async () => {
    const admin = await userWithRole('admin');
    expect((await api('GET', '/api/admin/v1/applications?query=x&limit=5', admin)).status).toBe(200);
    expect((await api('GET', '/api/publisher/v1/apis?query=x&state=CREATED&tag=t&limit=5&offset=0', admin)).status).toBe(200);
  });
});
