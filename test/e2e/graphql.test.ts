import { buildSchema, getIntrospectionQuery, buildClientSchema, printSchema, type IntrospectionQuery } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { Client, tokenFor } from '../../scripts/lib/seed.ts';
import { usePlatform } from '../support/platform.ts';
import { clientCredentialsToken, publishApi } from './support.ts';

const { gatewayUrl, controlPlaneUrl, demoBackendUrl, demo } = usePlatform();
const tokenUrl = `${gatewayUrl}/oauth2/token`;
let token = '';

/** A GraphQL request over HTTP (GraphQL over HTTP: a JSON POST), as any GraphQL client sends it. */
async function graphqlCall(url: string, query: string, bearer: string, variables?: Record<string, unknown>) {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${bearer}`,
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
    },
    body: JSON.stringify({ query, variables }),
  });
  return {
    res,
    body: (await res.json()) as {
      data?: Record<string, unknown>;
      errors?: Array<{ message: string; extensions?: { code?: string } }>;
      detail?: string;
      limit?: string;
      field?: string;
    },
  };
}

beforeAll(async () => {
  token = await clientCredentialsToken(tokenUrl, demo.application.clientId, demo.application.clientSecret);
});

describe('the demo GraphQL API through the running gateway', () => {
  it('is listed in demo.json with its gateway URL and served on every demo environment', () => {
    expect(demo.graphql.gatewayUrl).toBe(`${gatewayUrl}/library/v1`);
    for (const e of demo.environments) expect(e.apis).toContain(demo.graphql.context);
  });

  it("answers a query within the limits with the backend's data and RateLimit headers in points", async () => {
    const { res, body } = await graphqlCall(demo.graphql.gatewayUrl, 'query Shelf { books(first: 2) { title author { name } } }', token);
    expect(res.status).toBe(200);
    expect(body.data).toEqual({
      books: [
        { title: 'A Wizard of Earthsea', author: { name: 'Ursula K. Le Guin' } },
        { title: 'The Dispossessed', author: { name: 'Ursula K. Le Guin' } },
      ],
    });
    expect(res.headers.get('ratelimit-policy')).toContain(
      `"subscription:graphql-points";q=${demo.graphql.pointsPerMinute};w=60;qu="points"`,
    );
  });

  it('refuses a query too deep or too complex with 400 naming the limit, and an invalid one with GraphQL errors', async () => {
    const deep = await graphqlCall(demo.graphql.gatewayUrl, '{ books { author { books { author { books { title } } } } } }', token);
    expect(deep.res.status).toBe(400);
    expect(deep.body.limit).toBe('maxDepth');
    expect(deep.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_DEEP');
    const complex = await graphqlCall(
      demo.graphql.gatewayUrl,
      'query($n: Int) { books(first: $n) { title year author { name } } }',
      token,
      { n: 50 },
    );
    expect(complex.res.status).toBe(400);
    expect(complex.body.limit).toBe('maxComplexity');
    expect(complex.body.detail).toContain(`at most ${demo.graphql.maxComplexity} (maxComplexity)`);
    const invalid = await graphqlCall(demo.graphql.gatewayUrl, '{ books { isbn } }', token);
    expect(invalid.res.status).toBe(400);
    expect(invalid.body.errors?.[0]?.message).toMatch(/isbn/);
  });

  it('answers 403 naming the field when the token lacks its scope, and serves it to a token that has it', async () => {
    const refused = await graphqlCall(demo.graphql.gatewayUrl, '{ books(first: 1) { title price } }', token);
    expect(refused.res.status).toBe(403);
    expect(refused.body.field).toBe('Book.price');
    expect(refused.body.detail).toContain(demo.graphql.priceScope);
    const scoped = await clientCredentialsToken(
      tokenUrl,
      demo.application.clientId,
      demo.application.clientSecret,
      demo.graphql.priceScope,
    );
    const served = await graphqlCall(demo.graphql.gatewayUrl, '{ books(first: 1) { title price } }', scoped);
    expect(served.res.status).toBe(200);
    expect(served.body.data).toEqual({ books: [{ title: 'A Wizard of Earthsea', price: 9.5 }] });
  });

  it('lets a GraphQL client introspect the schema it was created from', async () => {
    const { res, body } = await graphqlCall(demo.graphql.gatewayUrl, getIntrospectionQuery(), token);
    expect(res.status).toBe(200);
    const viaGateway = printSchema(buildClientSchema(body.data as unknown as IntrospectionQuery));
    const direct = (await (
      await fetch(`${demoBackendUrl}/library/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: getIntrospectionQuery() }),
      })
    ).json()) as { data: IntrospectionQuery };
    expect(viaGateway).toBe(printSchema(buildClientSchema(direct.data)));
    expect(buildSchema(viaGateway).getQueryType()?.getFields()).toHaveProperty('books');
  });
});

describe('complexity points under concurrency', () => {
  let url = '';

  beforeAll(async () => {
    const anon = new Client(controlPlaneUrl);
    const publisher = await tokenFor(anon, demo.users.publisher, ['api:create', 'api:publish', 'api:deploy', 'api:view']);
    const introspected = await publisher.expect<{ schema: string }>([200], 'POST', '/api/publisher/v1/graphql/introspection', {
      url: `${demoBackendUrl}/library/graphql`,
    });
    const context = `/points${Date.now().toString(36)}`;
    const apiId = await publishApi(publisher, {
      name: `Points ${context}`,
      context,
      version: 'v1',
      type: 'GRAPHQL',
      subscriptionTiers: ['Unlimited'],
      graphql: { schema: introspected.body.schema, points: { limit: 20, windowSeconds: 3600 }, introspection: false },
      endpoints: { production: { urls: [{ url: `${demoBackendUrl}/library/graphql`, timeoutMs: 5000 }] } },
    });
    const developer = await tokenFor(anon, demo.users.developer, ['apps:manage', 'subscriptions:manage']);
    await developer.expect([201], 'POST', '/api/devportal/v1/subscriptions', {
      applicationId: demo.application.id,
      apiId,
      tier: 'Unlimited',
    });
    url = `${gatewayUrl}${context}/v1`;
  });

  it('admits exactly the calls whose cost fits the budget: 15 concurrent calls of 3 points on 20 admit 6', async () => {
    // books(first: 2) { title } costs 1 + 2 × 1 = 3 points.
    const results = await Promise.all(Array.from({ length: 15 }, () => graphqlCall(url, '{ books(first: 2) { title } }', token)));
    expect(results.filter((r) => r.res.status === 200).length).toBe(6);
    const refused = results.find((r) => r.res.status === 429);
    expect(refused?.res.headers.get('ratelimit')).toMatch(/"subscription:graphql-points";r=2;/);
    // The 2 points left still buy a call that costs 2.
    expect((await graphqlCall(url, '{ books(first: 1) { title } }', token)).res.status).toBe(200);
    expect((await graphqlCall(url, '{ books(first: 1) { title } }', token)).res.status).toBe(429);
  });

  it('blocks introspection where the publisher turned it off', async () => {
    const { res, body } = await graphqlCall(url, '{ __schema { queryType { name } } }', token);
    expect(res.status).toBe(400);
    expect(body.errors?.[0]?.extensions?.code).toBe('INTROSPECTION_DISABLED');
  });
});
