import { parse as parseYaml } from 'yaml';
import { publisherApi } from '../../api/publisher.ts';
import type { CreateApi, Policy } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, field, onSubmit } from '../../components/feedback.ts';
import { layout } from '../../components/layout.ts';
import { documentServers, operations } from '../../components/openapi.ts';
import { tierAllowance } from '../../components/tiers.ts';
import { navigate } from '../../router.ts';

/** Create an API: import an OpenAPI document (file or paste, with a preview), start from scratch, or a GraphQL API from its schema. */
export async function newApiView(): Promise<void> {
  const { list: tiers } = await publisherApi.policies('subscription');
  layout('Create an API', h('div', { class: 'columns' }, importForm(tiers), scratchForm(tiers), graphqlForm(tiers)));
}

/**
 * A GraphQL API: its schema pasted as SDL or read from the backend by introspection (the control
 * plane runs the query and prints SDL), with its depth and complexity limits; the control plane
 * checks the schema builds. Field scopes, costs and operation policies are set through the API.
 */
function graphqlForm(tiers: Policy[]): HTMLElement {
  const name = h('input', { id: 'graphql-name', required: true, 'data-pointer': '/name' });
  const context = h('input', { id: 'graphql-context', required: true, placeholder: '/library', 'data-pointer': '/context' });
  const version = h('input', { id: 'graphql-version', required: true, value: 'v1', 'data-pointer': '/version' });
  const endpoint = endpointInput();
  endpoint.id = 'graphql-endpoint';
  endpoint.placeholder = 'https://backend.example.com/graphql';
  const sdl = h('textarea', {
    id: 'graphql-sdl',
    rows: '10',
    placeholder: 'type Query {\n  books: [Book!]!\n}\n…',
    'data-pointer': '/graphql/schema',
  });
  const maxDepth = h('input', {
    id: 'graphql-max-depth-input',
    type: 'number',
    min: '1',
    max: '100',
    value: '10',
    'data-pointer': '/graphql/maxDepth',
  });
  const maxComplexity = h('input', {
    id: 'graphql-max-complexity-input',
    type: 'number',
    min: '1',
    value: '1000',
    'data-pointer': '/graphql/maxComplexity',
  });
  const introspection = h('input', { id: 'graphql-introspection', type: 'checkbox', checked: true });
  const tierBox = tierChoice(tiers, 'graphql-tiers');
  const found = h('div', { 'aria-live': 'polite', id: 'graphql-introspected' });
  const introspect = actionButton(
    'Read the schema from the endpoint',
    { class: 'secondary', id: 'graphql-introspect' },
    found,
    async () => {
      const { schema } = await publisherApi.introspect(endpoint.value.trim());
      sdl.value = schema;
      mount(
        found,
        h(
          'p',
          { class: 'ok' },
          `Read ${schema.split('\n').filter((l) => /^(type|interface|enum|input|union|scalar) /.test(l)).length} type definitions by introspection.`,
        ),
      );
    },
  );
  const submit = h('button', { type: 'submit', id: 'graphql-submit' }, 'Create GraphQL API');
  const out = h('div', {});
  const limit = (input: HTMLInputElement) => (input.value.trim() === '' ? null : Number(input.value));
  const form = h(
    'form',
    { class: 'card grow', id: 'graphql-form', 'aria-label': 'Create a GraphQL API' },
    h('h2', {}, 'Create a GraphQL API'),
    h(
      'p',
      { class: 'hint' },
      'The gateway validates every operation against this schema and enforces the limits before the backend is called.',
    ),
    field('Name', name),
    field('Context', context),
    field('Version', version),
    field('GraphQL endpoint', endpoint, 'Where the gateway sends queries'),
    introspect,
    found,
    field('Schema (SDL)', sdl),
    field('Deepest query', maxDepth, 'Levels of nesting; empty: no limit'),
    field('Costliest query', maxComplexity, 'Complexity points (a field costs 1; first/limit multiply its selection); empty: no limit'),
    h('label', { class: 'check' }, introspection, ' Allow introspection (__schema, __type)'),
    tierBox.box,
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    const created = await publisherApi.create({
      name: name.value,
      context: context.value.trim(),
      version: version.value.trim(),
      type: 'GRAPHQL',
      graphql: { schema: sdl.value, maxDepth: limit(maxDepth), maxComplexity: limit(maxComplexity), introspection: introspection.checked },
      subscriptionTiers: tierBox.chosen(),
      ...(endpoint.value.trim() === '' ? {} : { endpoints: { production: { urls: [{ url: endpoint.value.trim() }] } } }),
    });
    navigate(`#/publisher/apis/${encodeURIComponent(created.id)}`);
  });
  return form;
}

function tierChoice(tiers: Policy[], name: string): { box: HTMLElement; chosen: () => string[] } {
  const boxes = tiers.map((t) =>
    h('input', { type: 'checkbox', value: t.name, name, checked: t.name === 'Unlimited' || t.name === 'Gold' }),
  );
  const box = h(
    'fieldset',
    { class: 'tiers', 'data-pointer': '/subscriptionTiers' },
    h('legend', {}, 'Tiers offered to developers'),
    ...boxes.map((b, i) =>
      h(
        'label',
        { class: 'check' },
        b,
        ` ${tiers[i]?.displayName ?? ''} `,
        h('span', { class: 'muted' }, tiers[i] === undefined ? '' : `— ${tierAllowance(tiers[i])}`),
      ),
    ),
  );
  return { box, chosen: () => boxes.filter((b) => b.checked).map((b) => b.value) };
}

function endpointInput(): HTMLInputElement {
  return h('input', { type: 'url', placeholder: 'https://backend.example.com/v1', 'data-pointer': '/endpoints/production/urls/0/url' });
}

function importForm(tiers: Policy[]): HTMLElement {
  const file = h('input', { type: 'file', id: 'import-file', accept: '.json,.yaml,.yml,application/json,application/yaml' });
  const paste = h('textarea', {
    id: 'import-definition',
    rows: '10',
    placeholder: 'openapi: 3.1.0\ninfo: …',
    'data-pointer': '/definition',
  });
  const preview = h('div', { id: 'import-preview', 'aria-live': 'polite' });
  const context = h('input', { id: 'import-context', required: true, placeholder: '/petstore', 'data-pointer': '/context' });
  const name = h('input', { id: 'import-name', placeholder: 'From the document', 'data-pointer': '/name' });
  const version = h('input', { id: 'import-version', placeholder: 'From the document', 'data-pointer': '/version' });
  const endpoint = endpointInput();
  endpoint.id = 'import-endpoint';
  // The document's servers, offered as the production endpoint (filled in while the field is empty or still holds the offer).
  const offered = h('datalist', { id: 'import-endpoint-servers' });
  endpoint.setAttribute('list', offered.id);
  const offeredNote = h('p', { class: 'hint', id: 'import-endpoint-offer' });
  let offer = '';
  const tierBox = tierChoice(tiers, 'import-tiers');
  const submit = h('button', { type: 'submit', id: 'import-submit' }, 'Import API');
  const out = h('div', {});
  // The import route lets an omitted description default to '' over the document's own, so it is sent.
  let documentDescription = '';
  const showPreview = () => {
    const text = paste.value.trim();
    if (text === '') return mount(preview);
    try {
      const doc = (text.startsWith('{') ? JSON.parse(text) : parseYaml(text, { maxAliasCount: 100 })) as unknown;
      if (typeof doc !== 'object' || doc === null) throw new Error('An OpenAPI document is an object');
      const d = doc as Record<string, unknown>;
      const ops = operations(d);
      const info = (typeof d['info'] === 'object' && d['info'] !== null ? d['info'] : {}) as Record<string, unknown>;
      documentDescription = typeof info['description'] === 'string' ? info['description'].slice(0, 10_000) : '';
      if (name.value === '' && typeof info['title'] === 'string') name.placeholder = info['title'];
      if (version.value === '' && typeof info['version'] === 'string') version.placeholder = info['version'];
      const servers = documentServers(d);
      mount(offered, ...servers.map((u) => h('option', { value: u })));
      if (endpoint.value === '' || endpoint.value === offer) endpoint.value = servers[0] ?? '';
      offer = servers[0] ?? '';
      mount(
        offeredNote,
        servers.length === 0
          ? ''
          : `From the document's servers${servers.length > 1 ? ` (${servers.length}; pick another from the field's list)` : ''}: check it is where the gateway should send calls.`,
      );
      mount(
        preview,
        h(
          'p',
          {},
          `${ops.length} resource${ops.length === 1 ? '' : 's'} found`,
          typeof info['title'] === 'string' ? ` in ${info['title']}` : '',
          ':',
        ),
        ops.length === 0
          ? h('p', { class: 'error' }, 'The document defines no operations.')
          : h(
              'ul',
              { class: 'plain' },
              ...ops.map((o) =>
                h(
                  'li',
                  {},
                  h('span', { class: `method ${o.method.toLowerCase()}` }, o.method),
                  ' ',
                  h('code', {}, o.path),
                  o.open ? ' (open)' : '',
                  o.scopes.length > 0 ? ` · scopes ${o.scopes.join(' ')}` : '',
                ),
              ),
            ),
      );
    } catch (err) {
      mount(preview, h('p', { class: 'error' }, `Not readable yet: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`));
    }
  };
  paste.addEventListener('input', showPreview);
  file.addEventListener('change', () => {
    const f = file.files?.[0];
    if (f === undefined) return;
    void f.text().then((text) => {
      paste.value = text;
      showPreview();
    });
  });
  const form = h(
    'form',
    { class: 'card grow', id: 'import-form', 'aria-label': 'Import OpenAPI' },
    h('h2', {}, 'Import an OpenAPI document'),
    h(
      'p',
      { class: 'hint' },
      'OpenAPI 3.0, 3.1 or Swagger 2.0, JSON or YAML. One resource per operation; external $refs are never fetched.',
    ),
    field('File', file),
    field('…or paste it', paste),
    preview,
    field('Context', context, 'The base path on the gateway, e.g. /petstore'),
    field('Name', name),
    field('Version', version),
    field('Production endpoint', endpoint, 'Where the gateway sends calls; leave empty to add it later'),
    offered,
    offeredNote,
    tierBox.box,
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    const created = await publisherApi.import({
      definition: paste.value,
      context: context.value.trim(),
      description: documentDescription,
      ...(name.value.trim() === '' ? {} : { name: name.value.trim() }),
      ...(version.value.trim() === '' ? {} : { version: version.value.trim() }),
      subscriptionTiers: tierBox.chosen(),
      ...(endpoint.value.trim() === '' ? {} : { endpoints: { production: { urls: [{ url: endpoint.value.trim() }] } } }),
    });
    navigate(`#/publisher/apis/${encodeURIComponent(created.id)}`);
  });
  return form;
}

function scratchForm(tiers: Policy[]): HTMLElement {
  const name = h('input', { required: true, 'data-pointer': '/name' });
  const context = h('input', { required: true, placeholder: '/orders', 'data-pointer': '/context' });
  const version = h('input', { required: true, value: 'v1', 'data-pointer': '/version' });
  const description = h('textarea', { rows: '3', 'data-pointer': '/description' });
  const tagsInput = h('input', { placeholder: 'comma, separated', 'data-pointer': '/tags' });
  const endpoint = endpointInput();
  const tierBox = tierChoice(tiers, 'scratch-tiers');
  const submit = h('button', { type: 'submit' }, 'Create API');
  const out = h('div', {});
  const form = h(
    'form',
    { class: 'card grow', id: 'create-form', 'aria-label': 'Create from scratch' },
    h('h2', {}, 'Start from scratch'),
    field('Name', name),
    field('Context', context),
    field('Version', version),
    field('Description (Markdown)', description),
    field('Tags', tagsInput),
    field('Production endpoint', endpoint),
    tierBox.box,
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    const body: CreateApi = {
      name: name.value,
      context: context.value.trim(),
      version: version.value.trim(),
      description: description.value,
      tags: tagsInput.value
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== ''),
      subscriptionTiers: tierBox.chosen(),
      ...(endpoint.value.trim() === '' ? {} : { endpoints: { production: { urls: [{ url: endpoint.value.trim() }] } } }),
    };
    const created = await publisherApi.create(body);
    navigate(`#/publisher/apis/${encodeURIComponent(created.id)}/resources`);
  });
  return form;
}
