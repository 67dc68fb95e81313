type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

// The schema is the operation's, inlined and bounded by the control plane; these bound the value made from it.
const MAX_DEPTH = 8;
const MAX_NODES = 2000;

/**
 * A value that fits `schema`, for a mock of an operation whose document gives no example: the
 * schema's own `const`, `example`, `examples[0]`, `default` or first `enum` value where it has one,
 * else the simplest value of its type (OpenAPI 3.1 §4.8.24 Schema Object, JSON Schema 2020-12).
 * Deterministic, so a snapshot builds the same answer every time.
 */
export function exampleFromSchema(schema: unknown): unknown {
  return valueOf(schema, 0, { left: MAX_NODES });
}

function valueOf(schema: unknown, depth: number, budget: { left: number }): unknown {
  if (!isObject(schema) || depth > MAX_DEPTH || --budget.left < 0) return null;
  if ('const' in schema) return schema.const;
  if ('example' in schema) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('default' in schema) return schema.default;
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  if (Array.isArray(schema.allOf)) {
    const parts = schema.allOf.map((s) => valueOf(s, depth + 1, budget));
    if (parts.every(isObject)) return Object.assign({}, ...parts) as Json;
    return parts[0] ?? null;
  }
  for (const key of ['oneOf', 'anyOf'] as const) {
    const options = schema[key];
    if (Array.isArray(options) && options.length > 0)
      return valueOf(options.find((o) => !(isObject(o) && o.type === 'null')) ?? options[0], depth + 1, budget);
  }
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = types.find((t) => t !== 'null') ?? (isObject(schema.properties) ? 'object' : isObject(schema.items) ? 'array' : types[0]);
  switch (type) {
    case 'object': {
      const out: Json = {};
      for (const [name, property] of Object.entries(isObject(schema.properties) ? schema.properties : {}))
        out[name] = valueOf(property, depth + 1, budget);
      return out;
    }
    case 'array': {
      const count = typeof schema.minItems === 'number' && schema.minItems > 1 ? Math.min(schema.minItems, 10) : 1;
      const item = valueOf(schema.items, depth + 1, budget);
      return Array.from({ length: count }, () => item);
    }
    case 'string':
      return stringOf(schema);
    case 'integer':
    case 'number': {
      if (typeof schema.minimum === 'number') return type === 'integer' ? Math.ceil(schema.minimum) : schema.minimum;
      if (typeof schema.exclusiveMinimum === 'number')
        return type === 'integer' ? Math.floor(schema.exclusiveMinimum) + 1 : schema.exclusiveMinimum + 1;
      if (typeof schema.maximum === 'number' && schema.maximum < 0) return schema.maximum;
      return 0;
    }
    case 'boolean':
      return true;
    default:
      return null;
  }
}

const FORMATS: Readonly<Record<string, string>> = {
  'date-time': '2026-01-01T00:00:00Z',
  date: '2026-01-01',
  time: '00:00:00Z',
  email: 'user@example.com',
  uuid: '00000000-0000-4000-8000-000000000000',
  uri: 'https://example.com/',
  'uri-reference': '/',
  hostname: 'example.com',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  byte: 'c3RyaW5n',
};

function stringOf(schema: Json): string {
  const value = typeof schema.format === 'string' ? (FORMATS[schema.format] ?? 'string') : 'string';
  const min = typeof schema.minLength === 'number' ? Math.min(schema.minLength, 1000) : 0;
  return value.length >= min ? value : value.padEnd(min, 'x');
}
