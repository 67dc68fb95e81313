import type { PublisherApi } from '../../api/types.ts';
import { h } from '../../components/dom.ts';
import { field } from '../../components/feedback.ts';
import { patchOnSubmit } from './patch-form.ts';

type Graphql = NonNullable<PublisherApi['graphql']>;

/**
 * The object fields of an SDL document by schema coordinate (`Type.field`), read without a parser
 * (the portal ships no GraphQL library, decision 0010): `type` and `interface` blocks, in order,
 * with each field's return type. The control plane builds the schema with `graphql` and refuses a
 * coordinate that names no field, so a miss here is caught there.
 */
export function schemaFields(sdl: string): Array<{ coordinate: string; returns: string; root: boolean }> {
  const out: Array<{ coordinate: string; returns: string; root: boolean }> = [];
  const roots = new Set(['Query', 'Mutation', 'Subscription']);
  for (const block of sdl.matchAll(/\b(?:type|interface)\s+(\w+)[^{]*\{([^}]*)\}/g)) {
    const type = block[1] ?? '';
    const body = (block[2] ?? '').replace(/"""[\s\S]*?"""|"[^"\n]*"|#[^\n]*/g, '');
    for (const f of body.matchAll(/(\w+)\s*(?:\([^)]*\))?\s*:\s*([[\]\w!]+)/g))
      out.push({ coordinate: `${type}.${f[1] ?? ''}`, returns: f[2] ?? '', root: roots.has(type) });
  }
  return out;
}

const scopeList = (s: string): string[] =>
  s
    .split(/[\s,]+/)
    .map((t) => t.trim())
    .filter((t) => t !== '');

const optionalInt = (s: string): number | null => (s.trim() === '' ? null : Number(s));

/**
 * A GraphQL API's query analysis, edited in place: the depth and complexity limits, introspection,
 * and per field of the schema its cost (points per resolved item; empty = 1) and the scopes a token
 * needs to select it (any one of them). Saved with one PATCH of `graphql`; the gateway serves it
 * from the next deployed revision.
 */
export function graphqlTab(api: PublisherApi, reload: () => Promise<void>): HTMLElement {
  const g = api.graphql;
  if (api.type !== 'GRAPHQL' || g === null)
    return h('p', { class: 'muted', id: 'graphql-none' }, 'Only a GraphQL API has a schema to analyse.');
  const maxDepth = h('input', {
    id: 'graphql-edit-max-depth',
    type: 'number',
    min: '1',
    value: g.maxDepth === null ? '' : String(g.maxDepth),
    placeholder: 'no limit',
    'data-pointer': '/graphql/maxDepth',
  });
  const maxComplexity = h('input', {
    id: 'graphql-edit-max-complexity',
    type: 'number',
    min: '1',
    value: g.maxComplexity === null ? '' : String(g.maxComplexity),
    placeholder: 'no limit',
    'data-pointer': '/graphql/maxComplexity',
  });
  const introspection = h('input', { id: 'graphql-edit-introspection', type: 'checkbox', ...(g.introspection ? { checked: true } : {}) });
  const fields = schemaFields(g.schema);
  const rows = fields.map((f) => {
    const cost = h('input', {
      type: 'number',
      min: '0',
      class: 'field-cost',
      value: g.fieldCosts[f.coordinate] === undefined ? '' : String(g.fieldCosts[f.coordinate]),
      placeholder: '1',
      'aria-label': `Cost of ${f.coordinate}`,
      'data-pointer': `/graphql/fieldCosts/${f.coordinate}`,
    });
    const scopes = h('input', {
      class: 'field-scopes',
      value: (g.fieldScopes[f.coordinate] ?? []).join(' '),
      placeholder: 'none',
      'aria-label': `Scopes of ${f.coordinate}`,
      'data-pointer': `/graphql/fieldScopes/${f.coordinate}`,
    });
    const row = h(
      'tr',
      { 'data-coordinate': f.coordinate },
      h('td', { 'data-label': 'Field' }, h('code', {}, f.coordinate), f.root ? ' (operation)' : ''),
      h('td', { 'data-label': 'Returns' }, h('code', {}, f.returns)),
      h('td', { 'data-label': 'Cost' }, cost),
      h('td', { 'data-label': 'Scopes' }, scopes),
    );
    return { coordinate: f.coordinate, row, cost, scopes };
  });
  const submit = h('button', { type: 'submit', id: 'graphql-edit-save' }, 'Save query analysis');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card', id: 'graphql-edit-form' },
    h('h2', {}, 'Query analysis'),
    field('Deepest query (levels)', maxDepth, 'A root field is depth 1; empty: no limit. Deeper queries get 400 naming maxDepth.'),
    field('Costliest query (points)', maxComplexity, 'Empty: no limit. Costlier queries get 400 naming maxComplexity.'),
    h('label', { class: 'check' }, introspection, ' Allow introspection (__schema, __type)'),
    h('h3', {}, 'Fields'),
    h(
      'p',
      { class: 'hint' },
      'Cost: points per resolved item (empty: 1; a first/last/limit argument multiplies its selection). Scopes: a token needs one of them to select the field (403 naming it otherwise).',
    ),
    h(
      'table',
      { class: 'resources', id: 'graphql-fields' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Field'), h('th', {}, 'Returns'), h('th', {}, 'Cost'), h('th', {}, 'Scopes'))),
      h('tbody', {}, ...rows.map((r) => r.row)),
    ),
    h('p', { class: 'hint' }, 'Gateways serve changes once you create a revision and deploy it (Lifecycle & deploy).'),
    submit,
    out,
  );
  // Costs and scopes of coordinates this reading of the SDL did not list are kept, never dropped.
  const listed = new Set(fields.map((f) => f.coordinate));
  const kept = <T>(record: Readonly<Record<string, T>>) => Object.fromEntries(Object.entries(record).filter(([c]) => !listed.has(c)));
  patchOnSubmit(
    form,
    submit,
    out,
    api.id,
    () => {
      const fieldCosts: Record<string, number> = kept(g.fieldCosts);
      const fieldScopes: Record<string, string[]> = kept(g.fieldScopes);
      for (const r of rows) {
        if (r.cost.value.trim() !== '') fieldCosts[r.coordinate] = Number(r.cost.value);
        const scopes = scopeList(r.scopes.value);
        if (scopes.length > 0) fieldScopes[r.coordinate] = scopes;
      }
      const graphql: Graphql = {
        ...g,
        maxDepth: optionalInt(maxDepth.value),
        maxComplexity: optionalInt(maxComplexity.value),
        introspection: introspection.checked,
        fieldCosts,
        fieldScopes,
      };
      return { graphql };
    },
    reload,
  );
  return form;
}
