/**
 * A GraphQL API's reference: its schema (SDL) with the limits a query must keep, and a light
 * GraphiQL-like console — query, variables, operation name, Run — that POSTs through the same
 * same-origin try-it proxy as the REST console (/gateway/<environment>/…, with the
 * `x-turnpike-try-it` header and the picked credential, never the session cookie). No GraphQL
 * library and no React in the portal (decision 0010): the gateway validates, the console only sends.
 */
import type { CatalogGraphql } from '../api/types.ts';
import { h, mount } from './dom.ts';
import type { Credential } from './try-it.ts';

export interface ConsoleEnvironment {
  readonly name: string;
  readonly displayName: string;
}

/**
 * A first query to run, read from the SDL without a parser: the first root field that needs no
 * argument, with the scalar fields of its type that need no scope. Only a starting point to edit.
 */
export function sampleQuery(sdl: string, fieldScopes: Readonly<Record<string, readonly string[]>>): string {
  const types = new Map<string, Array<{ name: string; args: string; type: string }>>();
  for (const block of sdl.matchAll(/\b(?:type|interface)\s+(\w+)[^{]*\{([^}]*)\}/g)) {
    const fields: Array<{ name: string; args: string; type: string }> = [];
    const body = (block[2] ?? '').replace(/"""[\s\S]*?"""|"[^"\n]*"/g, '');
    for (const f of body.matchAll(/(\w+)\s*(\([^)]*\))?\s*:\s*\[?\s*(\w+)/g))
      fields.push({ name: f[1] ?? '', args: f[2] ?? '', type: f[3] ?? '' });
    types.set(block[1] ?? '', fields);
  }
  const root = types.get('Query')?.find((f) => !/!/.test(f.args));
  if (root === undefined) return '{\n  __typename\n}\n';
  const own = types.get(root.type);
  if (own === undefined) return `{\n  ${root.name}\n}\n`;
  // A field whose type has no `type` block is a scalar or an enum: a leaf.
  const leaves = own
    .filter((f) => !types.has(f.type) && fieldScopes[`${root.type}.${f.name}`] === undefined && !/!/.test(f.args))
    .map((f) => f.name);
  return `{\n  ${root.name} {\n${(leaves.length > 0 ? leaves : ['__typename']).map((l) => `    ${l}`).join('\n')}\n  }\n}\n`;
}

/** The schema card: the SDL and the limits, so a developer writes queries the gateway accepts. */
export function schemaCard(graphql: CatalogGraphql): HTMLElement {
  const scoped = Object.entries(graphql.fieldScopes);
  return h(
    'section',
    { class: 'card', id: 'graphql-schema-card' },
    h('h2', {}, 'Schema'),
    h(
      'dl',
      { class: 'facts' },
      h('dt', {}, 'Deepest query'),
      h('dd', { id: 'graphql-max-depth' }, graphql.maxDepth === null ? 'no limit' : `${graphql.maxDepth} levels`),
      h('dt', {}, 'Costliest query'),
      h(
        'dd',
        { id: 'graphql-max-complexity' },
        graphql.maxComplexity === null
          ? 'no limit'
          : `${graphql.maxComplexity} complexity points (a field costs 1; first/limit multiply its selection)`,
      ),
      h('dt', {}, 'Points per application'),
      h(
        'dd',
        {},
        graphql.points === null
          ? 'not counted'
          : `${graphql.points.limit} per ${graphql.points.windowSeconds} s (RateLimit headers count points)`,
      ),
      h('dt', {}, 'Introspection'),
      h('dd', {}, graphql.introspection ? 'allowed' : 'blocked at the gateway'),
      ...(scoped.length === 0
        ? []
        : [
            h('dt', {}, 'Scoped fields'),
            h('dd', { id: 'graphql-field-scopes' }, scoped.map(([field, scopes]) => `${field}: ${scopes.join(' or ')}`).join('; ')),
          ]),
    ),
    h('pre', { class: 'curl', id: 'graphql-schema' }, graphql.schema),
  );
}

/** The console: runs one operation against the picked environment's gateway through the portal's try-it proxy. */
export function graphqlConsole(
  base: string,
  environments: readonly ConsoleEnvironment[],
  credential: () => Credential,
  graphql: CatalogGraphql,
): HTMLElement {
  const environment = h(
    'select',
    { id: 'graphql-environment', 'aria-label': 'Gateway environment' },
    ...environments.map((e) => h('option', { value: e.name }, `${e.displayName} (${e.name})`)),
  );
  const query = h('textarea', { id: 'graphql-query', rows: '10', 'aria-label': 'Query', spellcheck: 'false' });
  query.value = sampleQuery(graphql.schema, graphql.fieldScopes);
  const variables = h('textarea', {
    id: 'graphql-variables',
    rows: '3',
    'aria-label': 'Variables (JSON)',
    spellcheck: 'false',
    placeholder: '{ }',
  });
  const operationName = h('input', {
    id: 'graphql-operation',
    'aria-label': 'Operation name',
    placeholder: 'Operation name (when the document has several)',
  });
  const status = h('p', { class: 'hint', id: 'graphql-status', 'aria-live': 'polite' });
  const output = h('pre', { class: 'curl', id: 'graphql-response' });
  const run = h('button', { type: 'button', id: 'graphql-run' }, 'Run');
  run.addEventListener('click', () => {
    void (async () => {
      let vars: unknown;
      try {
        vars = variables.value.trim() === '' ? undefined : JSON.parse(variables.value);
      } catch {
        mount(status, 'The variables are not valid JSON.');
        return;
      }
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
        'x-turnpike-try-it': '1',
      };
      const cred = credential();
      if (cred.value !== '') {
        if (cred.mode === 'bearer') headers['authorization'] = `Bearer ${cred.value}`;
        else headers[cred.header] = cred.value;
      }
      run.disabled = true;
      mount(status, 'Running…');
      try {
        const res = await fetch(`${location.origin}/gateway/${encodeURIComponent(environment.value)}${base}`, {
          method: 'POST',
          headers,
          credentials: 'omit',
          body: JSON.stringify({
            query: query.value,
            ...(operationName.value.trim() === '' ? {} : { operationName: operationName.value.trim() }),
            ...(vars === undefined ? {} : { variables: vars }),
          }),
        });
        const text = await res.text();
        let shown = text;
        try {
          shown = JSON.stringify(JSON.parse(text), null, 2);
        } catch {
          // Not JSON: shown as it came.
        }
        mount(
          status,
          h(
            'span',
            {},
            h('strong', { 'data-status': String(res.status) }, `${res.status} ${res.statusText}`),
            res.headers.has('ratelimit') ? ` · RateLimit: ${res.headers.get('ratelimit') ?? ''}` : '',
          ),
        );
        mount(output, shown);
      } catch (err) {
        mount(status, `The call failed: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        run.disabled = false;
      }
    })();
  });
  return h(
    'section',
    { class: 'card', id: 'graphql-console' },
    h('h2', {}, 'Console'),
    h('div', { class: 'toolbar' }, environment, operationName, run),
    query,
    variables,
    status,
    output,
  );
}
