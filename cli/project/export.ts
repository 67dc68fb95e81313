/** `turnpike export`: an API that lives in a control plane, as project files that re-apply to no change. */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ApiView } from '../../workers/control-plane/src/publisher/apis/schemas.ts';
import { parseDefinition } from '../../workers/control-plane/src/publisher/openapi/parse.ts';
import { CliError } from '../output.ts';
import { PROJECT_FILE } from './schema.ts';

const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

/** The stored document, with operations added or dropped so it lists exactly the API's resources. */
function alignedDocument(api: ApiView, stored: Record<string, unknown>): Record<string, unknown> {
  const doc = structuredClone(stored);
  const paths = (doc.paths ??= {}) as Record<string, Record<string, unknown>>;
  const wanted = new Set(api.resources.map(key));
  for (const [path, item] of Object.entries(paths)) {
    for (const method of Object.keys(item)) {
      if (['get', 'put', 'post', 'delete', 'options', 'head', 'patch'].includes(method) && !wanted.has(`${method.toUpperCase()} ${path}`))
        delete item[method];
    }
  }
  const present = new Set(parseDefinition(doc, '').resources.map(key));
  for (const r of api.resources) {
    if (present.has(key(r))) continue;
    (paths[r.path] ??= {})[r.method.toLowerCase()] = { responses: { default: { description: 'Response from the backend' } } };
  }
  return doc;
}

export function exportProject(
  dir: string,
  api: ApiView,
  stored: Record<string, unknown>,
  environment: { name: string; controlPlane: string; gateways: string[] },
  force: boolean,
): string[] {
  if (api.type === 'GRAPHQL' && api.graphql !== null) return exportGraphqlProject(dir, api, api.graphql, environment, force);
  const files = [join(dir, PROJECT_FILE), join(dir, 'openapi.yaml')];
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0 && !force) throw new CliError(`Refusing to overwrite ${existing.join(', ')} (use --force)`);
  const document = alignedDocument(api, stored);
  const defaults = new Map(parseDefinition(document, '').resources.map((r) => [key(r), r]));
  const resources: Record<string, Record<string, unknown>> = {};
  for (const r of api.resources) {
    const d = defaults.get(key(r));
    const settings: Record<string, unknown> = {};
    if (d?.authType !== r.authType) settings.authType = r.authType;
    if (JSON.stringify(d?.scopes ?? []) !== JSON.stringify(r.scopes)) settings.scopes = r.scopes;
    if (r.throttlingPolicy !== null) settings.throttlingPolicy = r.throttlingPolicy;
    if (r.policies.length > 0) settings.policies = r.policies;
    if (Object.keys(settings).length > 0) resources[key(r)] = settings;
  }
  // Everything the API view holds except what the server owns (ids, provider, timestamps).
  const {
    id: _id,
    providerId: _provider,
    createdAt: _created,
    updatedAt: _updated,
    lifecycleState,
    resources: _resources,
    endpoints,
    type: _type,
    graphql: _graphql,
    ...fields
  } = api;
  const exportedEndpoints = endpointsOf(endpoints);
  const project = {
    api: { ...fields, definition: 'openapi.yaml', lifecycle: lifecycleState, resources, endpoints: exportedEndpoints },
    environments: { [environment.name]: { controlPlane: environment.controlPlane, gateways: environment.gateways, params: {} } },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    files[0] as string,
    `# Exported from ${environment.controlPlane} by turnpike export.\n${stringify(project, { lineWidth: 0 })}`,
  );
  writeFileSync(files[1] as string, stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }));
  return files;
}

/** A GraphQL API: turnpike.yaml (type, limits, resource settings) and its schema as schema.graphql. */
function exportGraphqlProject(
  dir: string,
  api: ApiView,
  graphql: NonNullable<ApiView['graphql']>,
  environment: { name: string; controlPlane: string; gateways: string[] },
  force: boolean,
): string[] {
  const files = [join(dir, PROJECT_FILE), join(dir, 'schema.graphql')];
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0 && !force) throw new CliError(`Refusing to overwrite ${existing.join(', ')} (use --force)`);
  const resources: Record<string, Record<string, unknown>> = {};
  for (const r of api.resources) {
    const settings: Record<string, unknown> = {};
    if (r.authType !== 'oauth2_or_api_key') settings.authType = r.authType;
    if (r.scopes.length > 0) settings.scopes = r.scopes;
    if (r.throttlingPolicy !== null) settings.throttlingPolicy = r.throttlingPolicy;
    if (r.policies.length > 0) settings.policies = r.policies;
    if (Object.keys(settings).length > 0) resources[key(r)] = settings;
  }
  const {
    id: _id,
    providerId: _provider,
    createdAt: _created,
    updatedAt: _updated,
    lifecycleState,
    resources: _resources,
    endpoints,
    graphql: _graphql,
    ...fields
  } = api;
  const { schema, ...limits } = graphql;
  const project = {
    api: {
      ...fields,
      definition: 'schema.graphql',
      lifecycle: lifecycleState,
      graphql: limits,
      resources,
      endpoints: endpointsOf(endpoints),
    },
    environments: { [environment.name]: { controlPlane: environment.controlPlane, gateways: environment.gateways, params: {} } },
  };
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    files[0] as string,
    `# Exported from ${environment.controlPlane} by turnpike export.\n${stringify(project, { lineWidth: 0 })}`,
  );
  writeFileSync(files[1] as string, schema);
  return files;
}

/** Secrets never leave the control plane: exported endpoint security reads them from the environment. */
function endpointsOf(endpoints: ApiView['endpoints']): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(endpoints).flatMap(([kind, e]) => {
      if (e === undefined) return [];
      const { security, ...rest } = e;
      const variable = `${kind.toUpperCase()}_BACKEND_SECRET`;
      if (security === null) return [[kind, rest]];
      return [
        [
          kind,
          {
            ...rest,
            security:
              security.type === 'basic' ? { ...security, password: `\${env.${variable}}` } : { ...security, value: `\${env.${variable}}` },
          },
        ],
      ];
    }),
  );
}
