import { parse as parseYaml } from 'yaml';
import type { AuthType } from '../../../../shared/db/schema.ts';
import { ApiError } from '../../../../shared/problem.ts';
import { checkStrictJson, checkStrictValue } from '../../http/strict-json.ts';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'] as const;

export interface ImportedDefinition {
  document: Record<string, unknown>;
  title: string | null;
  version: string | null;
  description: string;
  resources: Array<{ method: string; path: string; authType: AuthType; scopes: string[] }>;
}

/**
 * Reads an OpenAPI 3.0 / 3.1 or Swagger 2.0 document, JSON or YAML. Nothing is fetched: `$ref`s are
 * kept as they are (external ones are never resolved), so importing cannot be turned into SSRF.
 */
export function parseDefinition(source: unknown, pointer = '/definition'): ImportedDefinition {
  let doc: unknown = source;
  if (typeof source === 'string') {
    const text = source.trim();
    if (text.startsWith('{')) {
      // The same strict reader as every JSON body: duplicate names, lone surrogates, NUL, depth.
      const checked = checkStrictJson(text);
      if (!checked.ok) throw invalid(`${pointer}${checked.pointer}`, `The definition is not strict JSON: ${checked.detail}`);
      doc = JSON.parse(checked.text);
    } else {
      try {
        // `uniqueKeys` (the default, said here because it matters) refuses a mapping with two equal keys.
        doc = parseYaml(source, { maxAliasCount: 100, prettyErrors: false, uniqueKeys: true });
      } catch (err) {
        throw new ApiError('validation-failed', { detail: 'The definition is neither valid JSON nor valid YAML', errors: [{ pointer, detail: err instanceof Error ? err.message.split('\n')[0] ?? 'unparseable' : 'unparseable' }] });
      }
    }
  }
  const strict = checkStrictValue(doc);
  if (!strict.ok) throw invalid(`${pointer}${strict.pointer}`, strict.detail);
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw invalid(pointer, 'An OpenAPI document is an object');
  const d = doc as Record<string, unknown>;
  const isOas3 = typeof d['openapi'] === 'string' && /^3\.[01]\./.test(d['openapi']);
  const isSwagger2 = d['swagger'] === '2.0';
  if (!isOas3 && !isSwagger2) throw invalid(`${pointer}/openapi`, 'Only OpenAPI 3.0, 3.1 and Swagger 2.0 documents are supported');
  const paths = d['paths'];
  if (typeof paths !== 'object' || paths === null) throw invalid(`${pointer}/paths`, 'The document has no paths');
  const info = (typeof d['info'] === 'object' && d['info'] !== null ? d['info'] : {}) as Record<string, unknown>;
  const globalSecurity = securityOf(d['security'], `${pointer}/security`);
  const resources: ImportedDefinition['resources'] = [];
  for (const [path, item] of Object.entries(paths as Record<string, unknown>)) {
    if (!path.startsWith('/')) throw invalid(`${pointer}/paths`, `Path ${path} does not start with /`);
    if (!isRecord(item)) continue;
    for (const method of METHODS) {
      const op = item[method];
      if (!isRecord(op)) continue;
      const requirements = securityOf(op['security'], `${pointer}/paths/${escapePointer(path)}/${method}/security`) ?? globalSecurity;
      // `security: []` declares an operation open; otherwise the scopes of its requirements apply.
      const authType: AuthType = requirements !== null && requirements.length === 0 ? 'none' : 'oauth2_or_api_key';
      const scopes = [...new Set((requirements ?? []).flatMap((r) => Object.values(r).flatMap((v) => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []))))];
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
export function generatedDocument(api: { name: string; version: string; description: string; context: string }, resources: Array<{ method: string; path: string; authType: string; scopes: string[] }>): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of resources) {
    paths[r.path] ??= {};
    (paths[r.path] as Record<string, unknown>)[r.method.toLowerCase()] = {
      responses: { default: { description: 'Response from the backend' } },
      ...(r.authType === 'none' ? { security: [] } : r.scopes.length > 0 ? { security: [{ oauth2: r.scopes }] } : {}),
    };
  }
  return { openapi: '3.1.0', info: { title: api.name, version: api.version, description: api.description }, servers: [{ url: `${api.context}/${api.version}` }], paths };
}
