import type { StoredOperation } from '../../../shared/revision.ts';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
// A schema nested deeper than this (or a cycle of $refs) is cut off as "anything": the gateway
// validates what it can rather than refusing to compile.
const MAX_DEPTH = 32;
// Inlining copies a schema at every $ref: a schema referring to itself from several places grows
// exponentially with depth. Past this many copied nodes per schema the rest validates anything.
const MAX_NODES = 5000;

/**
 * What the request-validation and mock policies need of one operation, extracted from the API's OpenAPI
 * document (3.x, or Swagger 2.0 for parameters and `in: body`): its path, query and header
 * parameters (path-item parameters merged, the operation's winning, OpenAPI 3.1 §4.8.10) and its
 * `application/json` body schema, with internal `$ref`s (`#/…`) resolved. External references are
 * never fetched (SSRF); they validate nothing. Null when the document has no such operation.
 */
export function operationOf(document: Json, method: string, pathTemplate: string): StoredOperation | null {
  const paths = document.paths;
  if (!isObject(paths)) return null;
  const item = resolve(document, paths[pathTemplate], 0);
  if (!isObject(item)) return null;
  const operation = resolve(document, item[method.toLowerCase()], 0);
  if (!isObject(operation)) return null;
  const swagger = typeof document.swagger === 'string';
  const openapi31 = typeof document.openapi === 'string' && document.openapi.startsWith('3.1');
  const byKey = new Map<string, Json>();
  for (const list of [item.parameters, operation.parameters]) {
    if (!Array.isArray(list)) continue;
    for (const raw of list) {
      const p = resolve(document, raw, 0);
      if (isObject(p) && typeof p.name === 'string' && typeof p.in === 'string') byKey.set(`${p.in}:${p.name}`, p);
    }
  }
  const parameters: Array<StoredOperation['parameters'][number]> = [];
  let body: StoredOperation['body'] = null;
  for (const p of byKey.values()) {
    const where = p.in;
    if (swagger && where === 'body') {
      body = { required: p.required === true, schema: schemaOf(document, p.schema) };
      continue;
    }
    if (where !== 'path' && where !== 'query' && where !== 'header') continue;
    // Swagger 2.0 puts type, format and the rest on the parameter itself.
    const schema = swagger
      ? schemaOf(document, withoutKeys(p, ['name', 'in', 'required', 'description', 'collectionFormat', 'allowEmptyValue']))
      : schemaOf(document, p.schema);
    parameters.push({
      name: where === 'header' ? (p.name as string).toLowerCase() : (p.name as string),
      in: where,
      required: where === 'path' || p.required === true,
      schema,
    });
  }
  const requestBody = resolve(document, operation.requestBody, 0);
  if (!swagger && isObject(requestBody) && isObject(requestBody.content)) {
    const media = Object.entries(requestBody.content).find(([type]) =>
      /^application\/([\w.+-]*\+)?json$/i.test(type.split(';')[0]?.trim() ?? ''),
    );
    if (media !== undefined && isObject(media[1]) && media[1].schema !== undefined)
      body = { required: requestBody.required === true, schema: schemaOf(document, media[1].schema) };
  }
  return { parameters, body, dialect: openapi31 ? '2020-12' : '4', responses: responsesOf(document, operation, swagger) };
}

// A documented example larger than this is left out of the revision (the mock generates from the schema instead).
const MAX_EXAMPLE_BYTES = 64 * 1024;
const MAX_RESPONSES = 20;

/**
 * The operation's documented responses, for the mock policy: per status, the first media type
 * (JSON preferred), its `example` and named `examples` (OpenAPI 3 §4.8.17; `externalValue` is
 * never fetched) and its schema with internal `$ref`s inlined and `example`s kept, to generate
 * from. Swagger 2.0 keeps examples by media type on the response (§2.0 Response Object).
 */
function responsesOf(document: Json, operation: Json, swagger: boolean): StoredOperation['responses'] {
  const responses = resolve(document, operation.responses, 0);
  if (!isObject(responses)) return [];
  const out: StoredOperation['responses'] = [];
  for (const [status, raw] of Object.entries(responses).slice(0, MAX_RESPONSES)) {
    if (!/^([1-5](\d\d|XX)|default)$/.test(status)) continue;
    const response = resolve(document, raw, 0);
    if (!isObject(response)) continue;
    if (swagger) {
      const examples = isObject(response.examples) ? response.examples : {};
      const mediaType =
        Object.keys(examples).find(isJson) ?? Object.keys(examples)[0] ?? (response.schema === undefined ? null : 'application/json');
      const example = mediaType === null ? undefined : bounded(examples[mediaType]);
      out.push({
        status,
        mediaType,
        ...(example === undefined ? {} : { example }),
        examples: {},
        schema: response.schema === undefined ? null : exampleSchemaOf(document, response.schema),
      });
      continue;
    }
    const content = isObject(response.content) ? response.content : {};
    const mediaType = Object.keys(content).find(isJson) ?? Object.keys(content)[0] ?? null;
    const media = mediaType === null ? undefined : resolve(document, content[mediaType], 0);
    if (!isObject(media)) {
      out.push({ status, mediaType: null, examples: {}, schema: null });
      continue;
    }
    const named: Record<string, unknown> = {};
    for (const [name, e] of Object.entries(isObject(media.examples) ? media.examples : {})) {
      const value = resolve(document, e, 0);
      const kept = isObject(value) ? bounded(value.value) : undefined;
      if (kept !== undefined) named[name] = kept;
    }
    const example = bounded(media.example);
    out.push({
      status,
      mediaType,
      ...(example === undefined ? {} : { example }),
      examples: named,
      schema: media.schema === undefined ? null : exampleSchemaOf(document, media.schema),
    });
  }
  return out;
}

const isJson = (type: string) => /^application\/([\w.+-]*\+)?json$/i.test(type.split(';')[0]?.trim() ?? '');

function bounded(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value);
  return text === undefined || text.length > MAX_EXAMPLE_BYTES ? undefined : (JSON.parse(text) as unknown);
}

function exampleSchemaOf(document: Json, schema: unknown): Json {
  const out = inline(document, schema, 0, { left: MAX_NODES }, true);
  return isObject(out) ? out : {};
}

function schemaOf(document: Json, schema: unknown): Json {
  const out = inline(document, schema, 0, { left: MAX_NODES });
  return isObject(out) ? out : {};
}

/** Inlines internal `$ref`s; OpenAPI 3.0's `nullable` becomes a `null` type (3.0 §4.7.25 → JSON Schema). */
function inline(document: Json, node: unknown, depth: number, budget: { left: number }, keepExamples = false): unknown {
  if (depth > MAX_DEPTH || --budget.left < 0) return {};
  if (Array.isArray(node)) return node.map((n) => inline(document, n, depth + 1, budget, keepExamples));
  if (!isObject(node)) return node;
  if (typeof node.$ref === 'string') {
    const target = pointer(document, node.$ref);
    return target === undefined ? {} : inline(document, target, depth + 1, budget, keepExamples);
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    // An example is data, not a schema: copied as it is (for the mock), or dropped (for validation).
    if (key === 'example' || key === 'examples') {
      if (keepExamples) out[key] = value;
      continue;
    }
    if (key === 'xml' || key === 'externalDocs' || key === 'discriminator' || key === 'description') continue;
    // `properties` and similar hold names, not schemas, at their first level.
    out[key] =
      key === 'properties' || key === 'patternProperties' || key === '$defs' || key === 'definitions'
        ? Object.fromEntries(
            Object.entries(isObject(value) ? value : {}).map(([k, v]) => [k, inline(document, v, depth + 1, budget, keepExamples)]),
          )
        : inline(document, value, depth + 1, budget, keepExamples);
  }
  if (out.nullable === true && typeof out.type === 'string') out.type = [out.type, 'null'];
  delete out.nullable;
  delete out.readOnly;
  delete out.writeOnly;
  return out;
}

function resolve(document: Json, node: unknown, depth: number): unknown {
  if (depth > MAX_DEPTH || !isObject(node) || typeof node.$ref !== 'string') return node;
  return resolve(document, pointer(document, node.$ref), depth + 1);
}

/** An internal reference `#/a/b` (RFC 6901 escapes); anything else (another document, a URL) is undefined. */
function pointer(document: Json, ref: string): unknown {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) && !Array.isArray(node)) return undefined;
    node = (node as Json)[key];
  }
  return node;
}

function withoutKeys(node: Json, keys: readonly string[]): Json {
  return Object.fromEntries(Object.entries(node).filter(([k]) => !keys.includes(k)));
}
