import { Validator, type Schema } from '@cfworker/json-schema';
import { z } from 'zod';
import { ApiError, type FieldError } from '../../../../shared/problem.ts';
import { definePolicy, type InboundCall } from '../step.ts';

/** Bodies larger than this are refused rather than read whole into the isolate to be validated. */
export const MAX_VALIDATED_BODY_BYTES = 1024 * 1024;
const MAX_REPORTED_ERRORS = 20;
// Keywords that only say "a subschema failed": the failure itself is reported at its own location.
const WRAPPER_KEYWORDS = new Set([
  'properties',
  'items',
  'prefixItems',
  'additionalProperties',
  'unevaluatedProperties',
  'allOf',
  '$ref',
  'dependentSchemas',
  'contains',
]);

const Config = z.strictObject({
  parameters: z.boolean().default(true),
  body: z.boolean().default(true),
});

interface CompiledParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly schema: Readonly<Record<string, unknown>>;
  readonly validator: Validator;
}

/**
 * Checks the call against the operation of the API's OpenAPI document: path, query and header
 * parameters and an `application/json` body. A bad call is answered 400 problem+json with one JSON
 * pointer per offending field (`/query/limit`, `/body/items/0/name`), before any quota is spent or
 * the backend is called. The validators are built once per snapshot; an operation the document
 * does not describe is not validated.
 */
export const requestValidation = definePolicy({
  name: 'request-validation',
  description:
    "Checks path, query and header parameters and JSON bodies against the operation of the API's OpenAPI document; a bad call gets 400 with a JSON pointer per field, before any quota is spent.",
  config: Config,
  readsOperation: true,
  build(config, { resource }) {
    const operation = resource.operation;
    if (operation === undefined) return {};
    const draft = operation.dialect;
    const parameters: CompiledParameter[] = config.parameters
      ? operation.parameters.map((p) => ({ ...p, validator: new Validator(p.schema as Schema, draft, false) }))
      : [];
    const body =
      config.body && operation.body !== null
        ? { required: operation.body.required, validator: new Validator(operation.body.schema as Schema, draft, false) }
        : null;
    if (parameters.length === 0 && body === null) return {};
    const pathParams = parameters.some((p) => p.in === 'path') ? templateMatcher(resource.pathTemplate) : null;
    return {
      inbound(call) {
        const errors: FieldError[] = [];
        if (parameters.length > 0) checkParameters(call, parameters, pathParams, errors);
        if (body === null) return finish(errors);
        return checkBody(call, body, errors).then(() => finish(errors));
      },
    };
  },
});

function finish(errors: FieldError[]): void {
  if (errors.length === 0) return;
  const shown = errors.slice(0, MAX_REPORTED_ERRORS);
  throw new ApiError('validation-failed', { detail: shown.map((e) => `${e.pointer}: ${e.detail}`).join('; '), errors: shown });
}

function checkParameters(
  call: InboundCall,
  parameters: readonly CompiledParameter[],
  pathParams: RegExp | null,
  errors: FieldError[],
): void {
  const path = pathParams === null ? null : (pathParams.exec(call.rest)?.groups ?? null);
  const query = parameters.some((p) => p.in === 'query') ? new URLSearchParams(call.search) : null;
  for (const p of parameters) {
    const pointer = `/${p.in}/${escapePointer(p.name)}`;
    let raw: string | string[] | null;
    if (p.in === 'path') raw = path?.[groupName(p.name)] ?? null;
    else if (p.in === 'header') raw = call.request.headers.get(p.name);
    else raw = p.schema.type === 'array' ? (query?.getAll(p.name) ?? []) : (query?.get(p.name) ?? null);
    if (raw === null || (Array.isArray(raw) && raw.length === 0)) {
      if (p.required) errors.push({ pointer, detail: `The ${p.in} parameter ${p.name} is required` });
      continue;
    }
    if (p.in === 'path') raw = safeDecode(raw as string);
    const result = p.validator.validate(coerce(raw, p.schema));
    if (!result.valid) report(result.errors, pointer, errors);
  }
}

async function checkBody(
  call: InboundCall,
  body: { readonly required: boolean; readonly validator: Validator },
  errors: FieldError[],
): Promise<void> {
  const type = call.request.headers.get('content-type');
  const hasBody = call.body !== null && call.request.headers.get('content-length') !== '0';
  if (!hasBody) {
    if (body.required) errors.push({ pointer: '/body', detail: 'This operation requires a JSON body' });
    return;
  }
  // Only JSON is validated: another media type the operation accepts goes through as sent.
  if (type === null || !/^application\/([\w.+-]*\+)?json\s*(;|$)/i.test(type)) return;
  const declared = Number(call.request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_VALIDATED_BODY_BYTES) {
    throw new ApiError('payload-too-large', { detail: `A validated JSON body is at most ${MAX_VALIDATED_BODY_BYTES} bytes` });
  }
  const text = typeof call.body === 'string' ? call.body : call.body === null ? '' : await readBounded(call.body);
  // The backend gets the bytes the caller sent (as text), not a re-serialisation.
  call.body = text;
  if (text === '') {
    if (body.required) errors.push({ pointer: '/body', detail: 'This operation requires a JSON body' });
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError('malformed-json', {
      detail: 'The request body is not valid JSON (RFC 8259)',
      errors: [{ pointer: '/body', detail: 'Not valid JSON' }],
    });
  }
  const result = body.validator.validate(value);
  if (!result.valid) report(result.errors, '/body', errors);
}

/** Reads a body of unknown length (chunked) without ever holding more than the limit. */
async function readBounded(stream: ReadableStream): Promise<string> {
  const reader = (stream as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let bytes = 0;
  let text = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return text + decoder.decode();
    bytes += value.byteLength;
    if (bytes > MAX_VALIDATED_BODY_BYTES) {
      await reader.cancel();
      throw new ApiError('payload-too-large', { detail: `A validated JSON body is at most ${MAX_VALIDATED_BODY_BYTES} bytes` });
    }
    text += decoder.decode(value, { stream: true });
  }
}

function report(
  units: ReadonlyArray<{ keyword: string; instanceLocation: string; error: string }>,
  base: string,
  errors: FieldError[],
): void {
  for (const unit of units) {
    if (WRAPPER_KEYWORDS.has(unit.keyword)) continue;
    // instanceLocation is a URI fragment (`#/items/0`): its JSON pointer follows the `#`.
    const pointer = base + decodeFragment(unit.instanceLocation.slice(1));
    errors.push({ pointer, detail: unit.keyword === 'false' ? 'This field is not allowed' : unit.error });
  }
}

/**
 * Parameters arrive as text (OpenAPI `style: simple` / `form`): a value that reads as what the schema
 * asks for is converted, so `?limit=5` satisfies `type: integer`; anything else is left as text for
 * the validator to refuse.
 */
function coerce(raw: string | string[], schema: Readonly<Record<string, unknown>>): unknown {
  if (Array.isArray(raw)) {
    const items = typeof schema.items === 'object' && schema.items !== null ? (schema.items as Record<string, unknown>) : {};
    return raw.map((v) => coerce(v, items));
  }
  const types = Array.isArray(schema.type) ? (schema.type as unknown[]) : [schema.type];
  if ((types.includes('integer') || types.includes('number')) && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) return Number(raw);
  if (types.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  if (types.includes('array')) return coerce(raw.split(','), schema);
  return raw;
}

/** A regular expression with one named group per template parameter (OpenAPI 3.1 §4.8.2 path templating). */
function templateMatcher(template: string): RegExp {
  let source = '';
  let last = 0;
  for (const m of template.matchAll(/\{\+?([^}]+)\}|\*$/g)) {
    source += escapeRegExp(template.slice(last, m.index));
    const name = m[1];
    source += name === undefined ? '.*' : m[0].startsWith('{+') ? `(?<${groupName(name)}>.*)` : `(?<${groupName(name)}>[^/]+)`;
    last = m.index + m[0].length;
  }
  source += escapeRegExp(template.slice(last));
  return new RegExp(`^${source}$`);
}

// Group names must be identifiers; parameter names may hold any character.
function groupName(name: string): string {
  return `p${[...name].map((c) => c.codePointAt(0)?.toString(16)).join('_')}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function escapePointer(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

function decodeFragment(fragment: string): string {
  try {
    return decodeURIComponent(fragment);
  } catch {
    return fragment;
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
