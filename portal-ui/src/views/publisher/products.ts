import { publisherApi } from '../../api/publisher.ts';
import { productsApi, type Product, type ProductLifecycle } from '../../api/products.ts';
import type { Policy, PublisherApi } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h, mount } from '../../components/dom.ts';
import { actionButton, empty, field, onSubmit } from '../../components/feedback.ts';
import { layout } from '../../components/layout.ts';
import { tierAllowance } from '../../components/tiers.ts';
import { navigate } from '../../router.ts';
import { can } from '../../session.ts';

/** The publisher's API products (decision 0049), each with its state and the lifecycle moves allowed from it. */
export async function publisherProductsView(): Promise<void> {
  const { list } = await productsApi.list();
  const rows = await Promise.all(
    list.map(async (p) =>
      h(
        'tr',
        { 'data-product': p.name },
        h('td', { 'data-label': 'Name' }, h('a', { href: `#/publisher/products/${encodeURIComponent(p.id)}` }, p.name)),
        h('td', { 'data-label': 'Context' }, h('code', {}, `${p.context}/${p.version}`)),
        h('td', { 'data-label': 'Operations' }, String(p.operations.length)),
        h('td', { 'data-label': 'State' }, badge(p.lifecycleState)),
        h('td', { 'data-label': 'Lifecycle' }, can('api:publish') ? lifecycleButtons(p.id, await productsApi.lifecycle(p.id)) : null),
      ),
    ),
  );
  const create = can('api:create')
    ? h('a', { class: 'button', href: '#/publisher/products/new', id: 'new-product' }, 'Create a product')
    : null;
  layout(
    'Your API products',
    h(
      'p',
      { class: 'hint' },
      'A product bundles operations of several APIs under one subscription, with its own tiers: its quota is shared by all of them.',
    ),
    h('div', { class: 'toolbar' }, create, h('a', { href: '#/publisher' }, 'Your APIs')),
    list.length === 0
      ? empty('No products yet.')
      : h(
          'table',
          { id: 'publisher-products' },
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              h('th', {}, 'Name'),
              h('th', {}, 'Context'),
              h('th', {}, 'Operations'),
              h('th', {}, 'State'),
              h('th', {}, 'Lifecycle'),
            ),
          ),
          h('tbody', {}, ...rows),
        ),
  );
}

function lifecycleButtons(id: string, lifecycle: ProductLifecycle): HTMLElement {
  const out = h('span', {});
  const box = h('span', { class: 'lifecycle' });
  mount(
    box,
    ...(lifecycle.allowedTransitions.length === 0
      ? [h('span', { class: 'muted' }, 'No further transitions')]
      : lifecycle.allowedTransitions.map((state) =>
          actionButton(
            `→ ${state}`,
            { class: state === 'RETIRED' ? 'danger small' : 'secondary small', 'data-transition': state },
            out,
            async () => {
              await productsApi.changeLifecycle(id, state);
              await publisherProductsView();
            },
          ),
        )),
    out,
  );
  return box;
}

/** Products bundle HTTP and GraphQL operations (WebSocket and SSE connections hold their API subscription's slots). */
const BUNDLED = new Set(['HTTP', 'GRAPHQL']);

/** Create a product (`productId` absent or "new") or change one: name, tiers, visibility and the operations picked from your APIs. */
export async function productFormView(params: Record<string, string>): Promise<void> {
  const id = params['productId'];
  const existing: Product | null = id === undefined || id === 'new' ? null : await productsApi.get(id);
  const [{ list: summaries }, { list: tiers }] = await Promise.all([publisherApi.list(), publisherApi.policies('subscription')]);
  const apis: PublisherApi[] = await Promise.all(summaries.filter((a) => BUNDLED.has(a.type)).map((a) => publisherApi.get(a.id)));
  const chosen = new Set((existing?.operations ?? []).map((o) => `${o.apiId} ${o.method} ${o.path}`));
  const name = h('input', { id: 'product-name', required: true, 'data-pointer': '/name', value: existing?.name ?? '' });
  const context = h('input', { id: 'product-context', required: true, placeholder: '/bundle', 'data-pointer': '/context' });
  const version = h('input', { id: 'product-version', required: true, value: 'v1', 'data-pointer': '/version' });
  const description = h('textarea', { id: 'product-description', rows: '3', 'data-pointer': '/description' });
  description.value = existing?.description ?? '';
  const visibility = h(
    'select',
    { id: 'product-visibility', 'data-pointer': '/visibility' },
    ...['PUBLIC', 'PRIVATE'].map((v) => h('option', { value: v, selected: (existing?.visibility ?? 'PUBLIC') === v }, v)),
  );
  const tierBoxes = tiers.map((t: Policy) =>
    h('input', {
      type: 'checkbox',
      value: t.name,
      name: 'product-tiers',
      checked: existing === null ? t.name === 'Unlimited' : existing.subscriptionTiers.includes(t.name),
    }),
  );
  const opBoxes: HTMLInputElement[] = [];
  const picker = h(
    'fieldset',
    { id: 'product-operations', 'data-pointer': '/operations' },
    h('legend', {}, 'Operations'),
    ...(apis.length === 0
      ? [h('p', { class: 'muted' }, 'You manage no HTTP or GraphQL API yet.')]
      : apis.map((api) =>
          h(
            'div',
            { class: 'product-pick', 'data-api': api.name },
            h('strong', {}, `${api.name} `, h('code', {}, `${api.context}/${api.version}`)),
            ...api.resources.map((r) => {
              const key = `${api.id} ${r.method} ${r.path}`;
              const box = h('input', { type: 'checkbox', value: key, 'data-op': `${r.method} ${r.path}`, checked: chosen.has(key) });
              opBoxes.push(box);
              return h(
                'label',
                { class: 'check' },
                box,
                ' ',
                h('span', { class: `method ${r.method.toLowerCase()}` }, r.method),
                ' ',
                h('code', {}, r.path),
              );
            }),
          ),
        )),
  );
  const submit = h('button', { type: 'submit', id: 'product-submit' }, existing === null ? 'Create product' : 'Save product');
  const out = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card stack-form', id: 'product-form' },
    field('Name', name),
    existing === null ? field('Context', context, 'Its own name in the catalog; its operations are called at their APIs’ own URLs') : null,
    existing === null ? field('Version', version) : null,
    field('Description (Markdown)', description),
    field('Visibility', visibility),
    h(
      'fieldset',
      { class: 'tiers', 'data-pointer': '/subscriptionTiers' },
      h('legend', {}, 'Tiers offered to developers (one quota per subscription, shared by every operation)'),
      ...tierBoxes.map((b, i) =>
        h(
          'label',
          { class: 'check' },
          b,
          ` ${tiers[i]?.displayName ?? ''} `,
          h('span', { class: 'muted' }, tiers[i] === undefined ? '' : `— ${tierAllowance(tiers[i])}`),
        ),
      ),
    ),
    picker,
    submit,
    out,
  );
  onSubmit(form, submit, out, async () => {
    const operations = opBoxes
      .filter((b) => b.checked)
      .map((b) => {
        const [apiId = '', method = '', ...path] = b.value.split(' ');
        return { apiId, method, path: path.join(' ') };
      });
    const common = {
      name: name.value,
      description: description.value,
      visibility: visibility.value as 'PUBLIC' | 'PRIVATE',
      subscriptionTiers: tierBoxes.filter((b) => b.checked).map((b) => b.value),
      operations,
    };
    if (existing === null) await productsApi.create({ ...common, context: context.value.trim(), version: version.value.trim() });
    else await productsApi.update(existing.id, common);
    navigate('#/publisher/products');
  });
  layout(existing === null ? 'Create an API product' : `${existing.name} ${existing.version}`, form);
}
