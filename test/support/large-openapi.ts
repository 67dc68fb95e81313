/**
 * A medium-sized, realistic OpenAPI 3.0 description (the size where the portal's reference once
 * rendered about half): `tags` × `perTag` operations over CRUD-style paths, each with parameters,
 * Markdown descriptions, request bodies and responses that reference component schemas with examples.
 */
export interface LargeSpec {
  doc: Record<string, unknown>;
  tags: string[];
  /** Every operation as `METHOD path`, in document order. */
  operations: Array<{ method: string; path: string; tag: string; operationId: string }>;
}

const RESOURCES = [
  'accounts',
  'invoices',
  'payments',
  'customers',
  'orders',
  'products',
  'shipments',
  'refunds',
  'subscriptions',
  'coupons',
  'webhooks',
  'reports',
  'taxes',
  'disputes',
  'payouts',
  'files',
];

export function largeOpenApi(options: { title: string; version: string; tags?: number; perTag?: number }): LargeSpec {
  const tagCount = options.tags ?? 12;
  const perTag = options.perTag ?? 15;
  const paths: Record<string, Record<string, unknown>> = {};
  const schemas: Record<string, unknown> = {
    Error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'integer', example: 404 }, message: { type: 'string', example: 'Not found' } },
    },
  };
  const operations: LargeSpec['operations'] = [];
  const tags: string[] = [];
  for (let t = 0; t < tagCount; t++) {
    const resource = RESOURCES[t % RESOURCES.length] ?? `things${t}`;
    const tag = resource[0]?.toUpperCase() + resource.slice(1);
    tags.push(tag);
    const model = `${tag.replace(/s$/, '')}`;
    schemas[model] = {
      type: 'object',
      description: `A ${model.toLowerCase()} of the account.`,
      required: ['id', 'createdAt'],
      properties: {
        id: { type: 'string', example: `${resource.slice(0, 3)}_1234` },
        createdAt: { type: 'string', format: 'date-time', example: '2026-01-02T03:04:05Z' },
        status: { type: 'string', enum: ['active', 'pending', 'closed'], example: 'active' },
        amount: { type: 'integer', minimum: 0, example: 4200 },
        metadata: { type: 'object', additionalProperties: { type: 'string' } },
      },
    };
    schemas[`${model}List`] = {
      type: 'object',
      properties: {
        data: { type: 'array', items: { $ref: `#/components/schemas/${model}` } },
        hasMore: { type: 'boolean', example: false },
      },
    };
    for (let i = 0; i < perTag; i++) {
      // Five operations per path: list, create, read, replace, delete; one path per five.
      const group = Math.floor(i / 5);
      const base = `/${resource}${group === 0 ? '' : `/v${group}`}`;
      const kind = i % 5;
      const path = kind < 2 ? base : `${base}/{${model.toLowerCase()}Id}`;
      const method = ['get', 'post', 'get', 'put', 'delete'][kind] ?? 'get';
      const operationId = `${['list', 'create', 'get', 'replace', 'delete'][kind] ?? 'op'}${model}${group === 0 ? '' : `V${group}`}`;
      const body =
        method === 'post' || method === 'put'
          ? {
              requestBody: {
                required: true,
                content: {
                  'application/json': { schema: { $ref: `#/components/schemas/${model}` }, example: { status: 'active', amount: 4200 } },
                },
              },
            }
          : {};
      const params = [
        ...(path.includes('{')
          ? [
              {
                name: `${model.toLowerCase()}Id`,
                in: 'path',
                required: true,
                schema: { type: 'string', example: `${resource.slice(0, 3)}_1234` },
              },
            ]
          : []),
        ...(kind === 0
          ? [
              { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
              { name: 'cursor', in: 'query', schema: { type: 'string' } },
            ]
          : []),
      ];
      const ok = kind === 0 ? `${model}List` : model;
      (paths[path] ??= {})[method] = {
        tags: [tag],
        operationId,
        summary: `${['List', 'Create', 'Read', 'Replace', 'Delete'][kind] ?? ''} ${kind === 0 ? resource : model.toLowerCase()} (${operationId})`,
        description: `**${operationId}** works on ${resource}.\n\n- Idempotent: ${method === 'get' || method === 'put' || method === 'delete' ? 'yes' : 'no'}\n- Rate limited per subscription\n\nSee \`${path}\`.`,
        parameters: params,
        ...body,
        responses: {
          [kind === 1 ? '201' : kind === 4 ? '204' : '200']:
            kind === 4
              ? { description: 'Deleted' }
              : { description: 'OK', content: { 'application/json': { schema: { $ref: `#/components/schemas/${ok}` } } } },
          '404': { description: 'Not found', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      };
      operations.push({ method: method.toUpperCase(), path, tag, operationId });
    }
  }
  return {
    doc: {
      openapi: '3.0.3',
      info: {
        title: options.title,
        version: options.version,
        description: `A large description: ${operations.length} operations over ${tagCount} tags.`,
      },
      servers: [{ url: 'https://api.example.com/v1' }],
      tags: tags.map((name) => ({ name, description: `Everything about ${name.toLowerCase()}.` })),
      paths,
      components: {
        schemas,
        securitySchemes: {
          oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://api.example.com/oauth2/token', scopes: {} } } },
        },
      },
      security: [{ oauth: [] }],
    },
    tags,
    operations,
  };
}
