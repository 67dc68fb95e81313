/**
 * What the demo Petstore (scripts/lib/seed.ts) tells developers: an OpenAPI document with schemas and
 * examples matching workers/demo-backend, and two documents, so the portal's Reference and Documents
 * tabs show something real on a fresh `npm start`.
 */
const pet = { id: 1, name: 'Rex', tag: 'dog' };

export function petstoreDocument(tokenUrl: string): Record<string, unknown> {
  return {
    openapi: '3.0.3',
    info: {
      title: 'Petstore',
      version: 'v1',
      description: 'The demo Petstore: list, read and add pets. Every call needs an OAuth2 access token (client credentials).',
    },
    tags: [
      { name: 'pets', description: 'The pets of the store.' },
      { name: 'diagnostics', description: 'See what the gateway forwards.' },
    ],
    paths: {
      '/pets': {
        get: {
          tags: ['pets'],
          operationId: 'listPets',
          summary: 'List pets',
          description: 'Every pet, oldest first. `limit` cuts the list.',
          // No example: the console would send it, and a bare GET /pets is the first call to try.
          parameters: [
            {
              name: 'limit',
              in: 'query',
              description: 'At most this many pets, e.g. 2',
              schema: { type: 'integer', minimum: 1, maximum: 100 },
            },
          ],
          responses: {
            '200': {
              description: 'The pets',
              content: {
                'application/json': {
                  schema: { type: 'array', items: { $ref: '#/components/schemas/Pet' } },
                  example: [pet, { id: 2, name: 'Tom', tag: 'cat' }],
                },
              },
            },
            '401': { $ref: '#/components/responses/Unauthorized' },
          },
        },
        post: {
          tags: ['pets'],
          operationId: 'addPet',
          summary: 'Add a pet',
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/NewPet' }, example: { name: 'Bella', tag: 'dog' } } },
          },
          responses: {
            '201': {
              description: 'The new pet, with its id',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/Pet' }, example: { id: 4, name: 'Bella', tag: 'dog' } },
              },
            },
            '401': { $ref: '#/components/responses/Unauthorized' },
          },
        },
      },
      '/pets/{petId}': {
        get: {
          tags: ['pets'],
          operationId: 'getPet',
          summary: 'One pet',
          parameters: [{ name: 'petId', in: 'path', required: true, schema: { type: 'integer', minimum: 1 }, example: 1 }],
          responses: {
            '200': {
              description: 'The pet',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' }, example: pet } },
            },
            '404': {
              description: 'No such pet',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' }, example: { error: 'no such pet' } } },
            },
            '401': { $ref: '#/components/responses/Unauthorized' },
          },
        },
      },
      '/echo': {
        get: {
          tags: ['diagnostics'],
          operationId: 'echo',
          summary: 'Echo the request the backend received',
          description:
            'Shows the method, path, query and headers the gateway forwarded: no credential of yours, a backend request id, the backend JWT if the publisher turned it on.',
          responses: {
            '200': {
              description: 'The forwarded request',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Echo' } } },
            },
            '401': { $ref: '#/components/responses/Unauthorized' },
          },
        },
      },
    },
    components: {
      schemas: {
        Pet: {
          type: 'object',
          required: ['id', 'name', 'tag'],
          properties: {
            id: { type: 'integer', example: 1 },
            name: { type: 'string', example: 'Rex' },
            tag: { type: 'string', description: 'The kind of pet', example: 'dog' },
          },
        },
        NewPet: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, example: 'Bella' }, tag: { type: 'string', example: 'dog' } },
        },
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'string' } } },
        Echo: {
          type: 'object',
          properties: {
            method: { type: 'string', example: 'GET' },
            path: { type: 'string', example: '/petstore/echo' },
            query: { type: 'string', example: '' },
            headers: { type: 'object', additionalProperties: { type: 'string' } },
          },
        },
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details, as the gateway answers',
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            code: { type: 'integer' },
          },
        },
      },
      responses: {
        Unauthorized: {
          description: 'No or a bad access token (the gateway answers, not the backend)',
          content: {
            'application/problem+json': {
              schema: { $ref: '#/components/schemas/Problem' },
              example: { type: 'https://turnpike.dev/problems/unauthorized', title: 'Unauthorized', status: 401, code: 900901 },
            },
          },
        },
      },
      securitySchemes: { oauth2: { type: 'oauth2', flows: { clientCredentials: { tokenUrl, scopes: {} } } } },
    },
    security: [{ oauth2: [] }],
  };
}

export const PETSTORE_DOCUMENTS: ReadonlyArray<{ name: string; type: 'HOWTO'; content: string }> = [
  {
    name: 'Getting started',
    type: 'HOWTO',
    content: [
      '# Getting started',
      '',
      '1. **Sign in** (or create a developer account) and open this API in the catalog.',
      '2. Press **Subscribe** on the Overview: pick an application (or create one) and a tier.',
      '3. Under **Applications**, generate production keys and press *Generate a test token*.',
      '4. Open **Reference & try it**, press *Get a test token* and execute `GET /pets`.',
      '',
      'From your own code:',
      '',
      '```',
      'curl -H "Authorization: Bearer $TOKEN" https://<gateway>/petstore/v1/pets',
      '```',
    ].join('\n'),
  },
  {
    name: 'Authentication',
    type: 'HOWTO',
    content: [
      '# Authentication',
      '',
      'Every call needs an **OAuth2 access token** (RFC 6749 client credentials grant, a JWT per RFC 9068).',
      '',
      '```',
      "curl -u '<client_id>:<client_secret>' -d grant_type=client_credentials https://<gateway>/oauth2/token",
      '```',
      '',
      'Send it as `Authorization: Bearer <token>`. A missing or expired token answers **401** with a',
      '`WWW-Authenticate` header; a token of an application that is not subscribed answers **403**; over',
      "your tier's limit answers **429** with `Retry-After`.",
    ].join('\n'),
  },
];
