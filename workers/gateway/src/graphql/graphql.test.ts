import { env } from 'cloudflare:test';
import { flush as flushUsage } from '../usage/reporter.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import type { SnapshotGraphql } from '../../../shared/snapshot.ts';
import { api, call, deploy, resource, signingKey, subscribe, token, type Echo, type SigningKey } from '../test-support.ts';
import { analyse, selectOperation } from './analysis.ts';

const SDL = /* GraphQL */ `
  type Query {
    books(first: Int): [Book!]!
    author(id: ID!): Author
    secret: String
  }
  type Mutation {
    addBook(title: String!): Book!
  }
  type Book {
    title: String!
    price: Float
    author: Author!
  }
  type Author {
    name: String!
    books(first: Int): [Book!]!
  }
`;

const graphqlConfig = (overrides: Partial<SnapshotGraphql> = {}): SnapshotGraphql => ({
  schema: SDL,
  maxDepth: 4,
  maxComplexity: 60,
  introspection: false,
  fieldCosts: { 'Query.books': 2 },
  fieldScopes: { 'Book.price': ['books:price'] },
  operationLimits: {},
  points: [],
  ...overrides,
});

const graphqlApi = (id: string, context: string, graphql: SnapshotGraphql) =>
  api({
    id,
    context,
    type: 'GRAPHQL',
    graphql,
    resources: [resource('POST', '/'), resource('GET', '/')],
    endpoints: { PRODUCTION: { strategy: 'single', urls: [{ url: 'http://backend.test/graphql', timeoutMs: 5000 }], suspendSeconds: 30 } },
  });

let key: SigningKey;

beforeAll(async () => {
  key = await signingKey('k1');
  await deploy(
    [
      graphqlApi('api_gql', '/gql', graphqlConfig()),
      graphqlApi(
        'api_gql_points',
        '/gqlpoints',
        graphqlConfig({
          maxComplexity: null,
          points: [{ policy: 'graphql-points', scope: 'subscription', limit: 10, windowSeconds: 60, unit: 'points', failOpen: true }],
        }),
      ),
      graphqlApi(
        'api_gql_ops',
        '/gqlops',
        graphqlConfig({
          operationLimits: { 'Query.books': [{ policy: 'TwoBooks', scope: 'resource', limit: 2, windowSeconds: 60, failOpen: true }] },
        }),
      ),
      graphqlApi('api_gql_open', '/gqlopen', graphqlConfig({ introspection: true })),
      api({
        id: 'api_gql_anon',
        context: '/gqlanon',
        type: 'GRAPHQL',
        graphql: graphqlConfig(),
        resources: [resource('POST', '/', { authType: 'none' })],
        endpoints: {
          PRODUCTION: { strategy: 'single', urls: [{ url: 'http://backend.test/graphql', timeoutMs: 5000 }], suspendSeconds: 30 },
        },
      }),
    ],
    [key],
  );
  for (const apiId of ['api_gql', 'api_gql_points', 'api_gql_ops', 'api_gql_open']) await subscribe('app_gql', apiId);
  await subscribe('app_gql_race', 'api_gql_points');
  await subscribe('app_gql_usage', 'api_gql');
});

async function post(
  context: string,
  query: string,
  options: { scope?: string; app?: string; operationName?: string; variables?: Record<string, unknown> } = {},
) {
  const t = await token(key, { applicationId: options.app ?? 'app_gql', scope: options.scope ?? '' });
  return call(`${context}/v1/`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query, operationName: options.operationName, variables: options.variables }),
  });
}

interface GraphqlProblem {
  status: number;
  type: string;
  detail: string;
  limit?: string;
  field?: string;
  errors: Array<{ message: string; locations?: Array<{ line: number; column: number }>; extensions?: { code?: string } }>;
}

describe('GraphQL APIs at the gateway', () => {
  it('passes a valid query within the limits to the backend, body unchanged', async () => {
    const query = '{ books(first: 3) { title author { name } } }';
    const res = await post('/gql', query);
    expect(res.status).toBe(200);
    const echo = (await res.json()) as Echo;
    expect(new URL(echo.url).pathname).toBe('/graphql');
    expect(JSON.parse(echo.body)).toMatchObject({ query });
  });

  it('refuses a document that does not parse with 400 and GraphQL errors carrying a location, never calling the backend', async () => {
    const res = await post('/gql', '{ books { title ');
    expect(res.status).toBe(400);
    expect(res.headers.get('x-backend')).toBeNull();
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = (await res.json()) as GraphqlProblem;
    expect(body.type).toMatch(/graphql-invalid$/);
    expect(body.errors[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    expect(body.errors[0]?.locations?.[0]?.line).toBe(1);
  });

  it('refuses an operation that does not validate against the schema, naming the unknown field', async () => {
    const res = await post('/gql', '{ books { title isbn } }');
    expect(res.status).toBe(400);
    const body = (await res.json()) as GraphqlProblem;
    expect(body.errors[0]?.message).toMatch(/isbn/);
    expect(body.errors[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });

  it('refuses a query deeper than maxDepth with 400 naming the limit, fragments expanded', async () => {
    const res = await post('/gql', 'query Deep { books { ...B } } fragment B on Book { author { books { author { name } } } }');
    expect(res.status).toBe(400);
    const body = (await res.json()) as GraphqlProblem;
    expect(body.limit).toBe('maxDepth');
    expect(body.detail).toMatch(/5 levels deep.*at most 4 \(maxDepth\)/);
    expect(body.errors[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
  });

  it('refuses a query costlier than maxComplexity with 400 naming the limit, list sizes multiplying the cost', async () => {
    // Query.books costs 2 plus 30 × (title + author + author.name) = 2 + 30 × 3 = 92 > 60.
    const res = await post('/gql', 'query Big($n: Int) { books(first: $n) { title author { name } } }', { variables: { n: 30 } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as GraphqlProblem;
    expect(body.limit).toBe('maxComplexity');
    expect(body.detail).toMatch(/costs 92 complexity points.*at most 60/);
    expect(
      (await post('/gql', 'query Small($n: Int) { books(first: $n) { title author { name } } }', { variables: { n: 10 } })).status,
    ).toBe(200);
  });

  it('refuses introspection where the API disables it and lets __typename through', async () => {
    const refused = await post('/gql', '{ __schema { types { name } } }');
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as GraphqlProblem).errors[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
    expect((await post('/gql', '{ __typename books { __typename title } }')).status).toBe(200);
    expect((await post('/gqlopen', '{ __schema { queryType { name } } }')).status).toBe(200);
  });

  it("answers 403 naming the field when the token lacks the field's scope, and passes it with the scope", async () => {
    const refused = await post('/gql', '{ books { title price } }', { scope: 'other' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('www-authenticate')).toContain('scope="books:price"');
    const body = (await refused.json()) as GraphqlProblem;
    expect(body.field).toBe('Book.price');
    expect(body.detail).toMatch(/Book\.price requires the scope books:price/);
    expect((await post('/gql', '{ books { title price } }', { scope: 'books:price' })).status).toBe(200);
    expect((await post('/gql', '{ books { title } }', { scope: 'other' })).status).toBe(200);
    // An open GraphQL API: a call with no credential holds no scope, so a scoped field is refused.
    const anonymous = (query: string) =>
      call('/gqlanon/v1/', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    expect((await anonymous('{ books { title } }')).status).toBe(200);
    expect((await anonymous('{ books { title price } }')).status).toBe(403);
  });

  it('serves queries by GET and refuses a mutation by GET with 405', async () => {
    const t = await token(key, { applicationId: 'app_gql' });
    const get = (q: string) => call(`/gql/v1/?query=${encodeURIComponent(q)}`, { headers: { authorization: `Bearer ${t}` } });
    expect((await get('{ books { title } }')).status).toBe(200);
    const mutation = await get('mutation { addBook(title: "x") { title } }');
    expect(mutation.status).toBe(405);
    expect(mutation.headers.get('allow')).toBe('POST');
  });

  it('chooses the operation by operationName and refuses an ambiguous document without one', async () => {
    const doc = 'query A { books { title } } query B { secret }';
    expect((await post('/gql', doc, { operationName: 'B' })).status).toBe(200);
    const ambiguous = await post('/gql', doc);
    expect(ambiguous.status).toBe(400);
    expect(((await ambiguous.json()) as GraphqlProblem).errors[0]?.extensions?.code).toBe('OPERATION_RESOLUTION_FAILURE');
  });

  it('counts complexity points: each call consumes its cost, RateLimit headers count points, and an over-budget call gets 429', async () => {
    // books(first: 1) { title } costs 2 + 1 = 3; the budget is 10 points: three calls, then 1 point left.
    const query = '{ books(first: 1) { title } }';
    const first = await post('/gqlpoints', query);
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toContain('"subscription:graphql-points";q=10;w=60;qu="points"');
    expect(first.headers.get('ratelimit')).toMatch(/"subscription:graphql-points";r=7;/);
    expect((await post('/gqlpoints', query)).status).toBe(200);
    expect((await post('/gqlpoints', query)).status).toBe(200);
    const over = await post('/gqlpoints', query);
    expect(over.status).toBe(429);
    expect(over.headers.get('ratelimit')).toMatch(/"subscription:graphql-points";r=1;/);
    // What is left still buys a call that costs 1.
    expect((await post('/gqlpoints', '{ secret }')).status).toBe(200);
  });

  it('admits exactly the calls whose complexity fits the points budget when they arrive at once', async () => {
    // Each costs 3; 10 points admit exactly three of twelve.
    const results = await Promise.all(
      Array.from({ length: 12 }, () => post('/gqlpoints', '{ books(first: 1) { title } }', { app: 'app_gql_race' })),
    );
    expect(results.filter((r) => r.status === 200).length).toBe(3);
    expect(results.filter((r) => r.status === 429).length).toBe(9);
  });

  it('throttles a named operation by its own policy and leaves the others alone', async () => {
    expect((await post('/gqlops', '{ books { title } }')).status).toBe(200);
    expect((await post('/gqlops', '{ books { title } }')).status).toBe(200);
    const over = await post('/gqlops', '{ books { title } }');
    expect(over.status).toBe(429);
    expect(over.headers.get('ratelimit-policy')).toContain('"resource:TwoBooks"');
    expect((await post('/gqlops', '{ author(id: "1") { name } }')).status).toBe(200);
  });
});

describe('GraphQL usage', () => {
  it("reports usage per operation: the operation's name, or its root fields when it has none", async () => {
    for (let i = 0; i < 2; i++) expect((await post('/gql', 'query Shelf { books { title } }', { app: 'app_gql_usage' })).status).toBe(200);
    expect((await post('/gql', '{ secret author(id: 1) { name } }', { app: 'app_gql_usage' })).status).toBe(200);
    type Row = { operation: string; requests: number; errors: number };
    let rows: Row[] = [];
    for (let i = 0; i < 50 && rows.reduce((n, r) => n + r.requests, 0) < 3; i++) {
      // Usage folds for USAGE_FOLD_MS in the isolate: shipped now, through the real queue.
      await flushUsage(env);
      await new Promise((r) => setTimeout(r, 200));
      rows = (
        await env.DB.prepare(
          `SELECT operation, requests, errors FROM usage_operations WHERE api_id = 'api_gql' AND application_id = 'app_gql_usage' AND granularity = 'minute' ORDER BY operation`,
        ).all<Row>()
      ).results;
    }
    expect(rows).toEqual([
      { operation: 'Query.secret,Query.author', requests: 1, errors: 0 },
      { operation: 'Shelf', requests: 2, errors: 0 },
    ]);
  });
});

describe('GraphQL query analysis', () => {
  const schema = buildSchema(SDL);
  const run = (query: string, variables: Record<string, unknown> = {}, fieldCosts: Record<string, number> = {}) => {
    const document = parse(query);
    const operation = selectOperation(document, null) as OperationDefinitionNode;
    return analyse(schema, document, operation, variables, { fieldCosts });
  };

  it('measures depth from the root field, through inline fragments and fragment spreads', () => {
    expect(run('{ secret }').depth).toBe(1);
    expect(run('{ books { author { name } } }').depth).toBe(3);
    expect(run('{ books { ... on Book { author { ...A } } } } fragment A on Author { books { title } }').depth).toBe(4);
  });

  it('costs each field 1 unless priced, multiplies a selection by first/limit, and counts __typename as free', () => {
    expect(run('{ books { title } }').complexity).toBe(2);
    expect(run('{ books(first: 5) { title author { name } } }').complexity).toBe(1 + 5 * 3);
    expect(run('query($n: Int) { books(first: $n) { title } }', { n: 7 }, { 'Query.books': 10 }).complexity).toBe(10 + 7);
    expect(run('{ __typename books { __typename title } }').complexity).toBe(2);
  });

  it('lists the fields selected as coordinates and the root fields as operations', () => {
    const a = run('{ books { title price } author(id: 1) { name } }');
    expect(a.fields).toEqual(['Query.books', 'Book.title', 'Book.price', 'Query.author', 'Author.name']);
    expect(a.operations).toEqual(['Query.books', 'Query.author']);
    expect(a.introspection).toBe(false);
    expect(run('{ __type(name: "Book") { name } }').introspection).toBe(true);
  });
});
