import { Validator, type OutputUnit, type Schema } from '@cfworker/json-schema';
import { dereference } from '@scalar/openapi-parser';
import { validatePathParameters } from '@scalar/openapi-validator';
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node as YamlNode } from 'yaml';
import type { AuthType } from '../../../../shared/db/schema.ts';
import { ApiError, type FieldError } from '../../../../shared/problem.ts';
import { checkStrictJson, checkStrictValue } from '../../http/strict-json.ts';
import { oas20 } from './schemas/oas-2.0.ts';
import { oas30 } from './schemas/oas-3.0.ts';
import { oas31 } from './schemas/oas-3.1.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;
const MAX_REPORTED_ERRORS = 20;
// Keywords that only say "a subschema failed": the failure itself is reported at its own location.
const WRAPPER_KEYWORDS = new Set([
  'properties',
  'patternProperties',
  'additionalProperties',
  'unevaluatedProperties',
  'items',
  'prefixItems',
  'contains',
  'allOf',
  'anyOf',
  'oneOf',
  'if',
  'then',
  'else',
  'not',
  '$ref',
  '$dynamicRef',
  'dependentSchemas',
  'propertyNames',
]);

export interface ImportedDefinition {
  document: Record<string, unknown>;
  title: string | null;
  version: string | null;
  description: string;
  resources: Array<{ method: string; path: string; authType: AuthType; scopes: string[] }>;
}

/**
 * Reads an OpenAPI 3.0 / 3.1 or Swagger 2.0 document, JSON or YAML, and validates it against the
 * OpenAPI Initiative's JSON Schema for its version (the copies @scalar/openapi-validator ships,
 * in ./schemas) with @cfworker/json-schema, then resolves its internal `$ref`s with
 * @scalar/openapi-parser so the path-template checks see parameters declared by reference.
 * Scalar's own `validate` compiles those schemas with Ajv, which generates code with
 * `new Function` — refused by the Workers runtime (decision 0046). Every error names its JSON
 * pointer and, for a document sent as text, its line.
 *
 * Nothing is fetched: no loader plugin is given to the parser, so an external `$ref` (another file,
 * a URL) is kept as written and never resolved — importing cannot be turned into SSRF.
 */
export function parseDefinition(source: unknown, pointer = '/definition'): ImportedDefinition {
  let doc: unknown = source;
  const text = typeof source === 'string' ? source : null;
  if (text !== null) {
    if (text.trim().startsWith('{')) {
      // The same strict reader as every JSON body: duplicate names, lone surrogates, NUL, depth.
      const checked = checkStrictJson(text);
      if (!checked.ok) throw invalid(`${pointer}${checked.pointer}`, `The definition is not strict JSON: ${checked.detail}`);
      doc = JSON.parse(checked.text);
    } else {
      // `uniqueKeys` (the default, said here because it matters) refuses a mapping with two equal keys.
      const lines = new LineCounter();
      const parsed = parseDocument(text, { prettyErrors: false, uniqueKeys: true, lineCounter: lines });
      const first = parsed.errors[0];
      if (first !== undefined) {
        throw new ApiError('validation-failed', {
          detail: 'The definition is neither valid JSON nor valid YAML',
          errors: [{ pointer, detail: first.message.split('\n')[0] ?? 'unparseable', line: lines.linePos(first.pos[0]).line }],
        });
      }
      try {
        doc = parsed.toJS({ maxAliasCount: 100 });
      } catch (err) {
        throw invalid(pointer, err instanceof Error ? (err.message.split('\n')[0] ?? 'unparseable') : 'unparseable');
      }
    }
  }
  const strict = checkStrictValue(doc);
  if (!strict.ok) throw invalid(`${pointer}${strict.pointer}`, strict.detail);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(pointer, 'An OpenAPI document is an object');
  const d = doc as Record<string, unknown>;
  const dialect =
    typeof d['openapi'] === 'string'
      ? /^3\.0\.\d+/.test(d['openapi'])
        ? '3.0'
        : /^3\.1\.\d+/.test(d['openapi'])
          ? '3.1'
          : null
      : d['swagger'] === '2.0'
        ? '2.0'
        : null;
  if (dialect === null) throw invalid(`${pointer}/openapi`, 'Only OpenAPI 3.0, 3.1 and Swagger 2.0 documents are supported');
  const errors = [...schemaErrors(dialect, d), ...referenceErrors(d)];
  if (errors.length > 0) throw located(errors, pointer, text);
  const paths = d['paths'];
  if (typeof paths !== 'object' || paths === null) throw invalid(`${pointer}/paths`, 'The document has no paths');
  const info = (typeof d['info'] === 'object' && d['info'] !== null ? d['info'] : {}) as Record<string, unknown>;
  const globalSecurity = securityOf(d['security'], `${pointer}/security`);
  const resources: ImportedDefinition['resources'] = [];
  for (const [path, item] of Object.entries(paths as Record<string, unknown>)) {
    // Members not starting with / are `x-` extensions (the schema refuses anything else).
    if (!path.startsWith('/') || !isRecord(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      const requirements = securityOf(op['security'], `${pointer}/paths/${escapePointer(path)}/${method}/security`) ?? globalSecurity;
      // `security: []` declares an operation open; otherwise the scopes of its requirements apply.
      const authType: AuthType = requirements !== null && requirements.length === 0 ? 'none' : 'oauth2_or_api_key';
      const scopes = [
        ...new Set(
          (requirements ?? []).flatMap((r) =>
            Object.values(r).flatMap((v) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [])),
          ),
        ),
      ];
      resources.push({ method: method.toUpperCase(), path, authType, scopes });
    }
  }
  if (resources.length === 0) throw invalid(`${pointer}/paths`, 'The document defines no operations');
  return {
    document: d,
    title: typeof info['title'] === 'string' ? info['title'] : null,
    version: typeof info['version'] === 'string' ? info['version'] : null,
    description: typeof info['description'] === 'string' ? info['description'].slice(0, 10_000) : '',
    resources,
  };
}

type Dialect = '2.0' | '3.0' | '3.1';
/** A problem found in the document, at a pointer relative to its root. */
interface Finding {
  readonly at: string;
  readonly detail: string;
}

// Three fixed schemas, built on first use: the validator keeps its compiled lookups between calls.
const validators = new Map<Dialect, Validator>();
function validatorFor(dialect: Dialect): Validator {
  let v = validators.get(dialect);
  if (v === undefined) {
    v =
      dialect === '3.1'
        ? new Validator(oas31 as Schema, '2020-12', false)
        : new Validator((dialect === '3.0' ? oas30 : oas20) as Schema, '4', false);
    validators.set(dialect, v);
  }
  return v;
}

/**
 * The document against its version's schema. A failing `oneOf` (a parameter is one of four
 * shapes) reports every branch; only the deepest failures are kept — a failure whose location
 * holds another failure says less than the one inside it.
 */
function schemaErrors(dialect: Dialect, document: Record<string, unknown>): Finding[] {
  const result = validatorFor(dialect).validate(document);
  if (result.valid) return [];
  const leaves = result.errors.filter((e) => !WRAPPER_KEYWORDS.has(e.keyword));
  // instanceLocation is a URI fragment (`#/paths/~1pets~1%7Bid%7D`): its JSON pointer, decoded, follows the `#`.
  const at = (e: OutputUnit) => decodeFragment(e.instanceLocation.slice(1));
  const locations = [...new Set(leaves.map(at))];
  const deepest = locations.filter((l) => !locations.some((other) => other !== l && other.startsWith(`${l}/`)));
  return deepest.map((l) => ({ at: l, detail: describe(leaves.filter((e) => at(e) === l)) }));
}

function describe(units: readonly OutputUnit[]): string {
  const allowed = units
    .filter((u) => u.keyword === 'enum')
    .flatMap((u) => /any of (\[.*\])/.exec(u.error)?.[1] ?? [])
    .flatMap((list) => JSON.parse(list) as unknown[]);
  if (allowed.length > 0) return `Must be one of ${[...new Set(allowed.map(String))].join(', ')}`;
  return [...new Set(units.map((u) => (u.keyword === 'false' ? 'This field is not allowed' : u.error)))].slice(0, 3).join('; ');
}

/**
 * Internal `$ref`s resolved by @scalar/openapi-parser (a copy: the stored document keeps its
 * references as written): one that points nowhere is an error at its own location, and the
 * path-template rule (OpenAPI 3.1 §4.8.12.1: a path parameter's name is one of its path's
 * `{name}` expressions) is checked on the resolved document, where parameters declared by
 * reference are seen. External references are left unresolved and are no error.
 */
function referenceErrors(document: Record<string, unknown>): Finding[] {
  const resolved = dereference(structuredClone(document));
  const broken = new Set(resolved.errors?.filter((e) => e.code === 'INVALID_REFERENCE').map((e) => e.message) ?? []);
  const findings: Finding[] = [];
  if (broken.size > 0) {
    for (const { at, ref } of internalRefs(document, '')) {
      if ([...broken].some((m) => m.includes(ref)))
        findings.push({ at: `${at}/$ref`, detail: `The reference ${ref} points to nothing in this document` });
    }
  }
  if (findings.length > 0 || !isRecord(resolved.schema)) return findings;
  // A template name with no declared parameter (`/pets/{id}` and no `id`) is common in documents in
  // the wild and harmless here (the gateway matches the template either way): not refused.
  return validatePathParameters(resolved.schema)
    .filter((e) => !e.message.startsWith('Declared path parameter'))
    .map((e) => ({
      at: Array.isArray(e.path) ? e.path.map((s) => `/${escapePointer(String(s))}`).join('') : (e.path ?? ''),
      detail: e.message,
    }));
}

function* internalRefs(node: unknown, at: string): Generator<{ at: string; ref: string }> {
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) yield* internalRefs(node[i], `${at}/${i}`);
    return;
  }
  if (!isRecord(node)) return;
  if (typeof node['$ref'] === 'string' && node['$ref'].startsWith('#')) yield { at, ref: node['$ref'] };
  for (const [key, value] of Object.entries(node)) yield* internalRefs(value, `${at}/${escapePointer(key)}`);
}

/** The findings as one 400, each with its JSON pointer under `pointer` and, for a text document, its line. */
function located(findings: readonly Finding[], pointer: string, text: string | null): ApiError {
  const root = text === null ? null : yamlRoot(text);
  const errors: FieldError[] = findings.slice(0, MAX_REPORTED_ERRORS).map((f) => {
    const line = root === null ? undefined : lineAt(root, f.at);
    return { pointer: `${pointer}${f.at}`, detail: f.detail, ...(line === undefined ? {} : { line }) };
  });
  const detail = errors.map((e) => `${e.pointer}${e.line === undefined ? '' : ` (line ${e.line})`}: ${e.detail}`).join('; ');
  return new ApiError('validation-failed', { detail: `The document is not a valid OpenAPI description: ${detail}`, errors });
}

/** The text's syntax tree (JSON is YAML 1.2), for the lines of error locations; null if it does not read. */
function yamlRoot(text: string): { node: YamlNode | null; lines: LineCounter } | null {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false });
  return doc.errors.length > 0 ? null : { node: doc.contents, lines };
}

/** The line of the deepest node on the way to `at` (a key for a member, the item for an array element). */
function lineAt(root: { node: YamlNode | null; lines: LineCounter }, at: string): number | undefined {
  let node: unknown = root.node;
  let offset: number | undefined = root.node?.range?.[0];
  for (const raw of at.split('/').slice(1)) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === segment);
      if (pair === undefined) break;
      offset = isScalar(pair.key) ? pair.key.range?.[0] : offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item: unknown = node.items[Number(segment)];
      if (item === undefined) break;
      node = item;
      offset = (item as YamlNode).range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? undefined : root.lines.linePos(offset).line;
}

// D1 stores at most 2,000,000 bytes in a row; the document is kept whole for export.
const MAX_STORED_DOCUMENT = 1_900_000;

/** The parsed document as it will be stored for export, refused with 413 when it cannot fit in a row. */
export function storableDocument(imported: ImportedDefinition): Record<string, unknown> {
  const size = JSON.stringify(imported.document).length;
  if (size > MAX_STORED_DOCUMENT)
    throw new ApiError('payload-too-large', {
      detail: `The document is ${size} bytes once parsed; at most ${MAX_STORED_DOCUMENT} can be stored`,
    });
  return imported.document;
}

function decodeFragment(fragment: string): string {
  try {
    return decodeURIComponent(fragment);
  } catch {
    return fragment;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const escapePointer = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** A `security` member (OpenAPI 3 §4.8.30, Swagger 2 the same): absent → null; else a list of requirement objects, or a 400 naming it. */
function securityOf(value: unknown, pointer: string): Array<Record<string, unknown>> | null {
  if (value === undefined) return null;
  if (!Array.isArray(value)) throw invalid(pointer, 'security is a list of security requirement objects');
  const bad = value.findIndex((r) => !isRecord(r));
  if (bad >= 0) throw invalid(`${pointer}/${bad}`, 'A security requirement is an object');
  return value as Array<Record<string, unknown>>;
}

function invalid(pointer: string, detail: string): ApiError {
  return new ApiError('validation-failed', { detail, errors: [{ pointer, detail }] });
}

/** An OpenAPI 3.1 document for an API created by hand (no stored definition). */
export function generatedDocument(
  api: { name: string; version: string; description: string; context: string },
  resources: Array<{ method: string; path: string; authType: string; scopes: string[] }>,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of resources) {
    paths[r.path] ??= {};
    (paths[r.path] as Record<string, unknown>)[r.method.toLowerCase()] = {
      responses: { default: { description: 'Response from the backend' } },
      ...(r.authType === 'none' ? { security: [] } : r.scopes.length > 0 ? { security: [{ oauth2: r.scopes }] } : {}),
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: api.name, version: api.version, description: api.description },
    servers: [{ url: `${api.context}/${api.version}` }],
    paths,
  };
}
