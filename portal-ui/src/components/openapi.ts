/**
 * Reads an OpenAPI 3.x or Swagger 2.0 document as plain data: operations with their parameters,
 * request body and responses, local $refs resolved (depth-bounded, cycles cut), never fetched.
 * Everything it returns is rendered as text by the caller.
 */
type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie' | 'body';
  required: boolean;
  description: string;
  schema: Json | null;
}
export interface Operation {
  method: string;
  path: string;
  summary: string;
  description: string;
  tags: string[];
  parameters: Parameter[];
  body: { contentType: string; schema: Json | null; required: boolean } | null;
  responses: Array<{ status: string; description: string }>;
  open: boolean;
  scopes: string[];
}

const obj = (v: unknown): Json | null => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : null);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function resolveRef(doc: Json, value: unknown, depth = 0): Json | null {
  const o = obj(value);
  if (o === null || depth > 20) return o;
  const ref = o['$ref'];
  if (typeof ref !== 'string') return o;
  if (!ref.startsWith('#/')) return { description: `External reference ${ref} (not fetched)` };
  let cur: unknown = doc;
  for (const part of ref.slice(2).split('/')) cur = obj(cur)?.[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  return resolveRef(doc, cur, depth + 1);
}

export function operations(doc: Json): Operation[] {
  const out: Operation[] = [];
  const globalSecurity = doc['security'];
  for (const [path, rawItem] of Object.entries(obj(doc['paths']) ?? {})) {
    const item = resolveRef(doc, rawItem);
    if (item === null) continue;
    const shared = Array.isArray(item['parameters']) ? item['parameters'] : [];
    for (const method of METHODS) {
      const op = obj(item[method]);
      if (op === null) continue;
      const params = [...shared, ...(Array.isArray(op['parameters']) ? op['parameters'] : [])].map((p) => resolveRef(doc, p)).filter((p): p is Json => p !== null);
      const parameters: Parameter[] = params
        .filter((p) => p['in'] !== 'body' && p['in'] !== 'formData')
        .map((p) => ({ name: str(p['name']), in: (str(p['in']) || 'query') as Parameter['in'], required: p['required'] === true || p['in'] === 'path', description: str(p['description']), schema: resolveRef(doc, p['schema']) ?? (typeof p['type'] === 'string' ? { type: p['type'] } : null) }));
      let body: Operation['body'] = null;
      const rb = resolveRef(doc, op['requestBody']);
      if (rb !== null) {
        const content = obj(rb['content']) ?? {};
        const contentType = Object.keys(content).find((c) => c.includes('json')) ?? Object.keys(content)[0] ?? 'application/json';
        body = { contentType, schema: resolveRef(doc, obj(content[contentType])?.['schema']), required: rb['required'] === true };
      } else {
        const swaggerBody = params.find((p) => p['in'] === 'body');
        if (swaggerBody !== undefined) body = { contentType: 'application/json', schema: resolveRef(doc, swaggerBody['schema']), required: swaggerBody['required'] === true };
      }
      const security = op['security'] ?? globalSecurity;
      const requirements = Array.isArray(security) ? (security as unknown[]) : null;
      out.push({
        method: method.toUpperCase(),
        path,
        summary: str(op['summary']),
        description: str(op['description']),
        tags: Array.isArray(op['tags']) ? op['tags'].filter((t): t is string => typeof t === 'string') : [],
        parameters,
        body,
        responses: Object.entries(obj(op['responses']) ?? {}).map(([status, r]) => ({ status, description: str(resolveRef(doc, r)?.['description']) })),
        open: requirements !== null && requirements.length === 0,
        scopes: [...new Set((requirements ?? []).flatMap((r) => Object.values(obj(r) ?? {}).flatMap((v) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []))))],
      });
    }
  }
  return out;
}

/** A one-line type for a schema: `string`, `array<Pet>`, `{ id, name }`. */
export function typeOf(doc: Json, schema: Json | null, depth = 0): string {
  if (schema === null) return 'any';
  const s = resolveRef(doc, schema) ?? {};
  if (depth > 3) return '…';
  if (Array.isArray(s['enum'])) return s['enum'].map((e) => JSON.stringify(e)).join(' | ');
  const type = Array.isArray(s['type']) ? s['type'].join(' | ') : str(s['type']);
  if (type === 'array') return `array<${typeOf(doc, obj(s['items']), depth + 1)}>`;
  if (type === 'object' || obj(s['properties']) !== null) return `{ ${Object.keys(obj(s['properties']) ?? {}).join(', ')} }`;
  return type === '' ? 'any' : type + (str(s['format']) === '' ? '' : ` (${str(s['format'])})`);
}

/** An example value built from a schema (example, default, enum, or by type), depth-bounded. */
export function exampleOf(doc: Json, schema: Json | null, depth = 0): unknown {
  const s = resolveRef(doc, schema);
  if (s === null || depth > 5) return null;
  if (s['example'] !== undefined) return s['example'];
  if (s['default'] !== undefined) return s['default'];
  if (Array.isArray(s['enum']) && s['enum'].length > 0) return s['enum'][0];
  const type = Array.isArray(s['type']) ? s['type'][0] : s['type'];
  if (type === 'array') return [exampleOf(doc, obj(s['items']), depth + 1)];
  if (type === 'object' || obj(s['properties']) !== null) {
    return Object.fromEntries(Object.entries(obj(s['properties']) ?? {}).map(([k, v]) => [k, exampleOf(doc, obj(v), depth + 1)]));
  }
  if (type === 'integer' || type === 'number') return 0;
  if (type === 'boolean') return false;
  if (type === 'string') return str(s['format']) === 'date-time' ? new Date(0).toISOString() : 'string';
  return null;
}
