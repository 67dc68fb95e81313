import { describe, expect, it } from 'vitest';
import { operationOf } from './operation.ts';

describe('OpenAPI operation extraction for request validation', () => {
  it('reads Swagger 2.0 parameters from the parameter itself and the body from `in: body`, with the draft 4 dialect', () => {
    const op = operationOf(
      {
        swagger: '2.0',
        paths: {
          '/pets': {
            post: {
              parameters: [
                { name: 'limit', in: 'query', type: 'integer', maximum: 10, description: 'x' },
                { name: 'pet', in: 'body', required: true, schema: { $ref: '#/definitions/Pet' } },
              ],
            },
          },
        },
        definitions: { Pet: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
      },
      'POST',
      '/pets',
    );
    expect(op).toEqual({
      dialect: '4',
      parameters: [{ name: 'limit', in: 'query', required: false, schema: { type: 'integer', maximum: 10 } }],
      body: { required: true, schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } },
      responses: [],
    });
  });

  it('reads the documented responses for the mock: JSON preferred, named examples by $ref, schemas with their examples kept, externalValue never fetched', () => {
    const op = operationOf(
      {
        openapi: '3.0.3',
        paths: {
          '/pets/{id}': {
            get: {
              responses: {
                '200': {
                  description: 'ok',
                  content: {
                    'application/xml': { example: '<pet/>' },
                    'application/json': {
                      schema: { $ref: '#/components/schemas/Pet' },
                      example: { id: 1 },
                      examples: { cat: { $ref: '#/components/examples/Cat' }, remote: { externalValue: 'https://evil.example/pet.json' } },
                    },
                  },
                },
                '404': { $ref: '#/components/responses/NotFound' },
                '204': { description: 'nothing' },
                'x-note': { description: 'not a status' },
              },
            },
          },
        },
        components: {
          schemas: { Pet: { type: 'object', properties: { name: { type: 'string', example: 'Rex' } } } },
          examples: { Cat: { value: { id: 2, name: 'Tom' } } },
          responses: { NotFound: { description: 'gone', content: { 'text/plain': { example: 'no such pet' } } } },
        },
      },
      'GET',
      '/pets/{id}',
    );
    expect(op?.responses).toEqual([
      {
        status: '200',
        mediaType: 'application/json',
        example: { id: 1 },
        examples: { cat: { id: 2, name: 'Tom' } },
        schema: { type: 'object', properties: { name: { type: 'string', example: 'Rex' } } },
      },
      { status: '204', mediaType: null, examples: {}, schema: null },
      { status: '404', mediaType: 'text/plain', example: 'no such pet', examples: {}, schema: null },
    ]);
  });

  it('uses JSON Schema 2020-12 for OpenAPI 3.1, lets the operation override a path-level parameter, and never follows an external $ref', () => {
    const op = operationOf(
      {
        openapi: '3.1.0',
        paths: {
          '/pets/{id}': {
            parameters: [
              { name: 'id', in: 'path', schema: { type: 'string' } },
              { name: 'X-Trace', in: 'header', schema: { type: 'string' } },
            ],
            get: {
              parameters: [
                { name: 'id', in: 'path', required: true, schema: { type: 'integer' } },
                { name: 'q', in: 'query', schema: { $ref: 'https://evil.example/schema.json' } },
              ],
            },
          },
        },
      },
      'get',
      '/pets/{id}',
    );
    expect(op?.dialect).toBe('2020-12');
    expect(op?.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: { type: 'integer' } },
      { name: 'x-trace', in: 'header', required: false, schema: { type: 'string' } },
      { name: 'q', in: 'query', required: false, schema: {} },
    ]);
    expect(operationOf({ openapi: '3.1.0', paths: {} }, 'GET', '/pets/{id}')).toBeNull();
  });

  it('cuts a cycle of $refs instead of recursing forever', () => {
    const op = operationOf(
      {
        openapi: '3.0.3',
        paths: {
          '/tree': { post: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } } } },
        },
        components: { schemas: { Node: { type: 'object', nullable: true, properties: { child: { $ref: '#/components/schemas/Node' } } } } },
      },
      'POST',
      '/tree',
    );
    expect(op?.body?.schema).toMatchObject({ type: ['object', 'null'], properties: { child: { type: ['object', 'null'] } } });
    expect(JSON.stringify(op).length).toBeLessThan(100_000);
  });

  it('bounds what a schema that refers to itself from several places inlines to, instead of growing exponentially', () => {
    const node = {
      type: 'object',
      properties: Object.fromEntries(['a', 'b', 'c', 'd', 'e'].map((k) => [k, { $ref: '#/components/schemas/Node' }])),
    };
    const op = operationOf(
      {
        openapi: '3.1.0',
        paths: { '/t': { put: { requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Node' } } } } } } },
        components: { schemas: { Node: node } },
      },
      'PUT',
      '/t',
    );
    expect(op?.body?.schema).toMatchObject({ type: 'object' });
    expect(JSON.stringify(op).length).toBeLessThan(1_000_000);
  });
});
