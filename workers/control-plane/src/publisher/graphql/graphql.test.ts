import { eq } from 'drizzle-orm';
import { buildSchema, introspectionFromSchema } from 'graphql';
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
import { parseRevision } from '../../../../shared/revision.ts';
import { schema } from '../../db.ts';
import { introspect } from './schema.ts';

const SDL =
  'type Query { books(first: Int): [Book!]! author(id: ID!): Author }\ntype Mutation { addBook(title: String!): Book! }\ntype Book { title: String! price: Float author: Author! }\ntype Author { name: String! }';

const graphqlBody = (graphql: Record<string, unknown>, overrides: Record<string, unknown> = {}) =>
  apiBody({ type: 'GRAPHQL', resources: [], graphql: { schema: SDL, ...graphql }, ...overrides });

describe('publisher: GraphQL APIs', () => {
  it('creates a GRAPHQL API from SDL with POST / and GET /, freezes type and schema in the revision and compiles its limits into the snapshot', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher, {
      type: 'GRAPHQL',
      resources: [],
      graphql: {
        schema: SDL,
        maxDepth: 5,
        maxComplexity: 100,
        introspection: false,
        fieldScopes: { 'Book.price': ['books:price'] },
        operationPolicies: { 'Query.books': '10KPerMin' },
        points: { limit: 500, windowSeconds: 60 },
      },
    });
    const view = await api<{
      type: string;
      graphql: { maxDepth: number; schema: string };
      resources: Array<{ method: string; path: string }>;
    }>('GET', `/api/publisher/v1/apis/${id}`, publisher);
    expect(view.body.type).toBe('GRAPHQL');
    expect(view.body.graphql.maxDepth).toBe(5);
    expect(view.body.resources.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /', 'GET /']);
    const [stored] = await db.select().from(schema.revisions).where(eq(schema.revisions.apiId, id));
    const parsed = parseRevision(stored?.definition);
    if (!parsed.ok) throw new Error(parsed.detail);
    expect(parsed.definition.type).toBe('GRAPHQL');
    expect(parsed.definition.graphql?.schema).toBe(SDL);
    const served = (await deployedSnapshot()).apis.find((a) => a.id === id);
    expect(served?.type).toBe('GRAPHQL');
    expect(served?.graphql).toMatchObject({
      maxDepth: 5,
      maxComplexity: 100,
      introspection: false,
      fieldScopes: { 'Book.price': ['books:price'] },
    });
    expect(served?.graphql?.operationLimits['Query.books']).toEqual([
      { policy: '10KPerMin', scope: 'resource', limit: 10_000, windowSeconds: 60, failOpen: true },
    ]);
    expect(served?.graphql?.points).toEqual([
      { policy: 'graphql-points', scope: 'subscription', limit: 500, windowSeconds: 60, unit: 'points', failOpen: true },
    ]);
    // The list stays light: no schema in it.
    const list = await api<{ list: Array<Record<string, unknown>> }>('GET', '/api/publisher/v1/apis?limit=100', publisher);
    const listed = list.body.list.find((a) => a.id === id);
    expect(listed?.type).toBe('GRAPHQL');
    expect(listed).not.toHaveProperty('graphql');
  });

  it('serves an HTTP API as before: type HTTP, and a revision written before API types parses as HTTP', async () => {
    const publisher = await userWithRole('publisher');
    const id = await publishedApi(publisher);
    expect((await api<{ type: string }>('GET', `/api/publisher/v1/apis/${id}`, publisher)).body.type).toBe('HTTP');
    const served = (await deployedSnapshot()).apis.find((a) => a.id === id);
    expect(served).not.toHaveProperty('type');
    expect(served).not.toHaveProperty('graphql');
    const old = parseRevision({ name: 'Old', context: '/old', version: 'v1' });
    expect(old.ok && old.definition.type).toBe('HTTP');
  });

  it('refuses a GraphQL config that does not fit its schema, naming each field at fault', async () => {
    const publisher = await userWithRole('publisher');
    const create = (body: Record<string, unknown>) => api<ProblemBody>('POST', '/api/publisher/v1/apis', publisher, body);
    const noSchema = await create(apiBody({ type: 'GRAPHQL', resources: [] }));
    expect(noSchema.status).toBe(400);
    expect(noSchema.body.errors?.[0]?.pointer).toBe('/graphql');
    const broken = await create(graphqlBody({ schema: 'type Query { books: [Book] }' }));
    expect(broken.status).toBe(400);
    expect(broken.body.errors?.[0]?.pointer).toBe('/graphql/schema');
    const coordinates = await create(
      graphqlBody({ fieldScopes: { 'Book.isbn': ['x'] }, operationPolicies: { 'Book.title': '10KPerMin' } }),
    );
    expect(coordinates.status).toBe(400);
    expect(coordinates.body.errors?.map((e) => e.pointer)).toEqual([
      '/graphql/fieldScopes/Book.isbn',
      '/graphql/operationPolicies/Book.title',
    ]);
    const policy = await create(graphqlBody({ operationPolicies: { 'Query.books': 'NoSuchPolicy' } }));
    expect(policy.status).toBe(400);
    expect(policy.body.detail).toMatch(/No advanced policy named NoSuchPolicy/);
    const rest = await create(apiBody({ graphql: { schema: SDL } }));
    expect(rest.status).toBe(400);
    expect(rest.body.errors?.[0]?.pointer).toBe('/graphql');
  });

  it('changes the limits of a GraphQL API with PATCH and keeps its type fixed', async () => {
    const publisher = await userWithRole('publisher');
    const created = await api<{ id: string }>('POST', '/api/publisher/v1/apis', publisher, graphqlBody({ maxDepth: 3 }));
    expect(created.status).toBe(201);
    const patched = await api<{ graphql: { maxDepth: number } }>('PATCH', `/api/publisher/v1/apis/${created.body.id}`, publisher, {
      graphql: { schema: SDL, maxDepth: 8 },
    });
    expect(patched.status).toBe(200);
    expect(patched.body.graphql.maxDepth).toBe(8);
    expect((await api('PATCH', `/api/publisher/v1/apis/${created.body.id}`, publisher, { type: 'HTTP' })).status).toBe(400);
  });

  it("reads a backend's schema by introspection and prints it as SDL", async () => {
    const backend = buildSchema(SDL);
    const seen: string[] = [];
    const fetcher = (async (_url: string | URL | Request, init?: RequestInit) => {
      seen.push(String(init?.body));
      return Response.json({ data: introspectionFromSchema(backend) });
    }) as typeof fetch;
    const result = await introspect('https://graphql.example.com/', { authorization: 'Bearer backend' }, fetcher);
    if (!result.ok) throw new Error(result.detail);
    expect(result.schema).toContain('type Book {');
    expect(result.schema).toContain('addBook(title: String!): Book!');
    expect(seen[0]).toContain('IntrospectionQuery');
    const refused = await introspect('https://graphql.example.com/', {}, (async () =>
      Response.json({ errors: [{ message: 'introspection disabled' }] })) as typeof fetch);
    expect(refused.ok).toBe(false);
  });

  it('refuses to introspect a private host when no gateway environment allows private backends', async () => {
    const publisher = await userWithRole('publisher');
    const res = await api<ProblemBody>('POST', '/api/publisher/v1/graphql/introspection', publisher, { url: 'http://127.0.0.1:9/graphql' });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.pointer).toBe('/url');
  });
});
