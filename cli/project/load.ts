/**
 * Reads an API project: turnpike.yaml and the definition it names, with one environment's
 * parameters substituted, validated with the control plane's schemas. Every problem names the file,
 * the line where there is one and the field.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from '@hono/zod-openapi';
import type { LifecycleState } from '../../workers/shared/db/schema.ts';
import { CreateApiBody, type CreateApi } from '../../workers/control-plane/src/publisher/apis/schemas.ts';
import { parseDefinition, type ImportedDefinition } from '../../workers/control-plane/src/publisher/openapi/parse.ts';
import { asyncApiChannels } from './asyncapi.ts';
import { ApiError } from '../../workers/shared/problem.ts';
import { CliError, type Problem } from '../output.ts';
import { ApiSection, PROJECT_FILE, ProjectShape, type TargetEnvironment } from './schema.ts';
import { ProductSection } from './products.ts';
import { checkGraphql } from '../../workers/control-plane/src/publisher/graphql/schema.ts';

export interface Project {
  dir: string;
  file: string;
  definitionFile: string;
  environmentName: string;
  environment: TargetEnvironment;
  environments: string[];
  /** The API exactly as the control plane's create schema reads it (defaults filled in); a GraphQL API has no OpenAPI document. */
  api: Omit<CreateApi, 'openapi'> & { openapi: Record<string, unknown> | null };
  lifecycle: LifecycleState | undefined;
  /** Values substituted from `${env.…}`: never printed. */
  secrets: string[];
  /** Where in turnpike.yaml a field of the control plane's API request (a JSON Pointer) comes from. */
  locate(pointer: string): Problem;
  /** API products `apply` creates or changes after the API (decision 0049). */
  products: ProductSection[];
}

type Path = Array<string | number>;

/** A JSON Pointer's segments, unescaped; `indices`: all-digit segments become array indices. */
function pointerPath(pointer: string, indices: boolean): Path {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => (indices && /^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
}

/** A YAML file with line lookup by field path. */
class Located {
  readonly display: string;
  private readonly doc: Document;
  private readonly lines = new LineCounter();
  constructor(display: string, text: string) {
    this.display = display;
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: true });
  }
  get errors(): Problem[] {
    return this.doc.errors.map((e) => ({
      file: this.display,
      line: e.linePos?.[0].line,
      message: (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, ''),
    }));
  }
  toJS(): unknown {
    return this.doc.toJS({ maxAliasCount: 100 });
  }
  /** The line of the field, or of its nearest ancestor that the file has. */
  lineOf(path: Path): number | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = this.doc.getIn(path.slice(0, n), true);
      if (isNode(node) && node.range !== undefined && node.range !== null) return this.lines.linePos(node.range[0]).line;
    }
    return undefined;
  }
  problem(path: Path, message: string): Problem {
    return { file: this.display, line: this.lineOf(path), field: fieldName(path), message };
  }
}

function fieldName(path: Path): string {
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(p) ? (i === 0 ? p : `.${p}`) : `["${p}"]`))
    .join('');
}

function zodProblems(file: Located, base: Path, error: z.ZodError): Problem[] {
  return error.issues.flatMap((issue) =>
    // An unknown key is pointed at where it is written, not at the object holding it.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((k) => file.problem([...base, ...(issue.path as Path), k], `Unknown field ${k}`))
      : [file.problem([...base, ...(issue.path as Path)], issue.message)],
  );
}

/** Replaces `${params.NAME}` and `${env.NAME}` in every string of `value`. */
function substitute(
  value: unknown,
  path: Path,
  params: Record<string, string>,
  file: Located,
  problems: Problem[],
  secrets: string[],
): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{(params|env)\.([A-Za-z_][A-Za-z0-9_]*)\}/g, (_, kind: string, name: string) => {
      const found = kind === 'params' ? params[name] : process.env[name];
      if (found === undefined) {
        problems.push(
          file.problem(
            path,
            kind === 'params' ? `No parameter ${name} in this environment's params` : `The environment variable ${name} is not set`,
          ),
        );
        return '';
      }
      if (kind === 'env') secrets.push(found);
      return found;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substitute(v, [...path, i], params, file, problems, secrets));
  if (typeof value === 'object' && value !== null)
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, [...path, k], params, file, problems, secrets)]));
  return value;
}

function readDefinition(path: string, display: string): ImportedDefinition {
  if (!existsSync(path))
    throw new CliError(`${display} does not exist`, [{ file: display, message: 'The definition file named by api.definition is missing' }]);
  const text = readFileSync(path, 'utf8');
  if (!text.trimStart().startsWith('{')) {
    const errors = new Located(display, text).errors;
    if (errors.length > 0) throw new CliError(`${display} is not valid YAML`, errors);
  }
  try {
    return parseDefinition(text, '');
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const located = new Located(display, text);
    const problems = (err.options.errors ?? []).map((e) => {
      return located.problem(pointerPath(e.pointer ?? '', false), e.detail ?? 'invalid');
    });
    throw new CliError(
      `${display} is not a usable OpenAPI definition`,
      problems.length > 0 ? problems : [{ file: display, message: err.message }],
    );
  }
}

function readProjectFile(dir: string) {
  const root = resolve(dir);
  const path = join(root, PROJECT_FILE);
  const display = relative(process.cwd(), path) || PROJECT_FILE;
  if (!existsSync(path)) throw new CliError(`No ${PROJECT_FILE} in ${root}: run turnpike init, or pass --dir`);
  const file = new Located(display, readFileSync(path, 'utf8'));
  if (file.errors.length > 0) throw new CliError(`${display} is not valid YAML`, file.errors);
  const shape = ProjectShape.safeParse(file.toJS());
  if (!shape.success) throw new CliError(`${display} is invalid`, zodProblems(file, [], shape.error));
  return { root, path, display, file, shape: shape.data };
}

/** The environments a project names. */
export function projectEnvironments(dir: string): string[] {
  return Object.keys(readProjectFile(dir).shape.environments);
}

/**
 * A WebSocket API's definition is an AsyncAPI document: each channel becomes a resource opened with
 * GET (the handshake); nothing of it is sent as the API's OpenAPI document.
 */
async function readAsyncApi(path: string, display: string): Promise<ImportedDefinition> {
  if (!existsSync(path))
    throw new CliError(`${display} does not exist`, [{ file: display, message: 'The definition file named by api.definition is missing' }]);
  const parsed = await asyncApiChannels(readFileSync(path, 'utf8'));
  if (!parsed.ok)
    throw new CliError(
      `${display} is not a usable AsyncAPI definition`,
      parsed.errors.map((e) => ({ file: display, field: e.pointer, message: e.detail })),
    );
  const { title, version, paths } = parsed.value;
  return {
    document: {},
    title,
    version,
    description: '',
    resources: paths.map((p) => ({ method: 'GET', path: p, authType: 'oauth2_or_api_key', scopes: [] })),
  };
}

/** The project's API, then its products (parsed with the same environment's parameters). */
export async function loadProject(dir: string, environment: string | undefined): Promise<Project> {
  const project = await loadApiProject(dir, environment);
  const { display, file, shape } = readProjectFile(dir);
  const problems: Problem[] = [];
  const products = shape.products.flatMap((raw, i) => {
    const resolved = substitute(raw, ['products', i], project.environment.params, file, problems, project.secrets);
    const parsed = ProductSection.safeParse(resolved);
    if (parsed.success) return [parsed.data];
    problems.push(...zodProblems(file, ['products', i], parsed.error));
    return [];
  });
  if (problems.length > 0) throw new CliError(`${display}: its products are invalid`, problems);
  return { ...project, products };
}

async function loadApiProject(dir: string, environment: string | undefined): Promise<Omit<Project, 'products'>> {
  const { root, path, display, file, shape } = readProjectFile(dir);
  const names = Object.keys(shape.environments);
  const chosen = environment ?? (names.length === 1 ? names[0] : undefined);
  if (chosen === undefined) throw new CliError(`${display} names several environments (${names.join(', ')}): choose one with --env`, [], 2);
  const target = shape.environments[chosen];
  if (target === undefined)
    throw new CliError(`${display} has no environment ${chosen}`, [file.problem(['environments'], `Known: ${names.join(', ')}`)], 2);

  const problems: Problem[] = [];
  const secrets: string[] = [];
  const raw = substitute(shape.api, ['api'], target.params, file, problems, secrets);
  if (problems.length > 0) throw new CliError(`${display}: parameters of environment ${chosen} do not resolve`, problems);
  const section = ApiSection.safeParse(raw);
  if (!section.success) throw new CliError(`${display} is invalid`, zodProblems(file, ['api'], section.error));
  const { definition, lifecycle, resources: settings, ...fields } = section.data;

  const definitionPath = resolve(dirname(path), definition);
  const definitionDisplay = relative(process.cwd(), definitionPath);
  if (fields.type === 'GRAPHQL')
    return graphqlProject({
      root,
      display,
      file,
      definitionPath,
      definitionDisplay,
      chosen,
      target,
      names,
      lifecycle,
      secrets,
      settings,
      fields,
    });
  const websocket = fields.type === 'WS';
  const imported = websocket ? await readAsyncApi(definitionPath, definitionDisplay) : readDefinition(definitionPath, definitionDisplay);
  const operations = new Set(imported.resources.map((r) => `${r.method} ${r.path}`));
  for (const key of Object.keys(settings)) {
    if (!operations.has(key)) problems.push(file.problem(['api', 'resources', key], `${definitionDisplay} has no operation ${key}`));
  }
  if (problems.length > 0) throw new CliError(`${display} is invalid`, problems);

  const candidate = {
    ...fields,
    resources: imported.resources.map((r) => {
      const s = settings[`${r.method} ${r.path}`] ?? {};
      return {
        method: r.method,
        path: r.path,
        authType: s.authType ?? r.authType,
        scopes: s.scopes ?? r.scopes,
        throttlingPolicy: s.throttlingPolicy ?? null,
        policies: s.policies ?? [],
      };
    }),
    ...(websocket ? {} : { openapi: imported.document }),
  };
  const api = CreateApiBody.safeParse(candidate);
  if (!api.success) {
    throw new CliError(
      `${display} does not make a valid API`,
      api.error.issues.map((issue) => {
        const [head, index] = issue.path as Path;
        if (head === 'resources' && typeof index === 'number') {
          const r = candidate.resources[index];
          return file.problem(['api', 'resources', `${r?.method} ${r?.path}`], issue.message);
        }
        return file.problem(['api', ...(issue.path as Path)], issue.message);
      }),
    );
  }
  return {
    dir: root,
    file: display,
    definitionFile: definitionDisplay,
    environmentName: chosen,
    environment: target,
    environments: names,
    api: { ...api.data, openapi: imported.document },
    lifecycle,
    secrets,
    locate(pointer: string): Problem {
      const path = pointerPath(pointer, true);
      const [head, index] = path;
      if (head === 'resources' && typeof index === 'number') {
        const r = candidate.resources[index];
        return file.problem(['api', 'resources', `${r?.method} ${r?.path}`, ...path.slice(2)], '');
      }
      if (head === 'openapi') return { file: definitionDisplay, field: pointer, message: '' };
      return file.problem(['api', ...path], '');
    },
  };
}

/** A GraphQL API's one endpoint, as the control plane creates it: queries by POST and by GET at the context. */
const GRAPHQL_RESOURCES = ['POST /', 'GET /'] as const;

/**
 * `type: GRAPHQL`: the definition file is the schema's SDL, checked by the control plane's own
 * check (it must build, and every coordinate of `graphql` must name one of its fields); the
 * resources are the API's one endpoint, with `resources` settings keyed `POST /` and `GET /`.
 */
function graphqlProject(p: {
  root: string;
  display: string;
  file: Located;
  definitionPath: string;
  definitionDisplay: string;
  chosen: string;
  target: TargetEnvironment;
  names: string[];
  lifecycle: LifecycleState | undefined;
  secrets: string[];
  settings: z.infer<typeof ApiSection>['resources'];
  fields: Omit<z.infer<typeof ApiSection>, 'definition' | 'lifecycle' | 'resources'>;
}): Omit<Project, 'products'> {
  const { file, display, definitionDisplay, settings } = p;
  if (!existsSync(p.definitionPath))
    throw new CliError(`${definitionDisplay} does not exist`, [
      { file: definitionDisplay, message: 'The schema file named by api.definition is missing' },
    ]);
  const sdl = readFileSync(p.definitionPath, 'utf8');
  const problems = Object.keys(settings)
    .filter((k) => !(GRAPHQL_RESOURCES as readonly string[]).includes(k))
    .map((k) => file.problem(['api', 'resources', k], `A GraphQL API has the resources ${GRAPHQL_RESOURCES.join(' and ')} only`));
  if (problems.length > 0) throw new CliError(`${display} is invalid`, problems);
  const candidate = {
    ...p.fields,
    graphql: { ...(p.fields.graphql ?? {}), schema: sdl },
    resources: GRAPHQL_RESOURCES.map((key) => {
      const [method = 'POST', path = '/'] = key.split(' ');
      const s = settings[key] ?? {};
      return {
        method,
        path,
        authType: s.authType ?? 'oauth2_or_api_key',
        scopes: s.scopes ?? [],
        throttlingPolicy: s.throttlingPolicy ?? null,
        policies: s.policies ?? [],
      };
    }),
  };
  const api = CreateApiBody.safeParse(candidate);
  if (!api.success)
    throw new CliError(
      `${display} does not make a valid API`,
      api.error.issues.map((issue) => file.problem(['api', ...(issue.path as Path)], issue.message)),
    );
  try {
    checkGraphql(api.data.type, api.data.graphql);
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    throw new CliError(
      `${display} does not make a valid GraphQL API`,
      (err.options.errors ?? []).map((e) =>
        e.pointer === '/graphql/schema'
          ? { file: definitionDisplay, message: e.detail }
          : file.problem(['api', ...pointerPath(e.pointer, false)], e.detail),
      ),
    );
  }
  return {
    dir: p.root,
    file: display,
    definitionFile: definitionDisplay,
    environmentName: p.chosen,
    environment: p.target,
    environments: p.names,
    api: { ...api.data, openapi: null },
    lifecycle: p.lifecycle,
    secrets: p.secrets,
    locate(pointer: string): Problem {
      const path = pointerPath(pointer, true);
      const [head, index] = path;
      if (head === 'resources' && typeof index === 'number')
        return file.problem(['api', 'resources', GRAPHQL_RESOURCES[index] ?? 'POST /', ...path.slice(2)], '');
      if (head === 'graphql' && path[1] === 'schema') return { file: definitionDisplay, field: pointer, message: '' };
      return file.problem(['api', ...path], '');
    },
  };
}
