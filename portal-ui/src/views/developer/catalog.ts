import { devportalApi } from '../../api/devportal.ts';
import type { CatalogApi } from '../../api/types.ts';
import { badge, tags, typeBadge } from '../../components/badges.ts';
import { h, mount } from '../../components/dom.ts';
import { empty, errorBox } from '../../components/feedback.ts';
import { layout } from '../../components/layout.ts';

/** The catalog: cards with search by text and a tag filter built from the tags in use. */
export async function catalogView(): Promise<void> {
  const search = h('input', {
    id: 'search',
    type: 'search',
    placeholder: 'Search APIs by name, context or description',
    'aria-label': 'Search APIs',
  });
  const tagSelect = h('select', { id: 'tag-filter', 'aria-label': 'Filter by tag' }, h('option', { value: '' }, 'All tags'));
  const list = h('div', { class: 'grid', id: 'catalog', 'aria-live': 'polite' });
  const { list: all } = await devportalApi.catalog();
  for (const t of [...new Set(all.flatMap((a) => a.tags))].sort()) tagSelect.append(h('option', { value: t }, t));
  const show = (apis: CatalogApi[]) => {
    if (apis.length === 0)
      mount(
        list,
        empty(
          all.length === 0
            ? 'The catalog is empty. Publishers publish and deploy APIs from the Publisher view.'
            : 'No API matches. Try another word or clear the tag filter.',
        ),
      );
    else mount(list, ...apis.map(card));
  };
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    try {
      const { list: apis } = await devportalApi.catalog(search.value.trim(), tagSelect.value);
      if (mine === seq) show(apis);
    } catch (err) {
      mount(list, errorBox(err));
    }
  };
  search.addEventListener('input', () => void load());
  tagSelect.addEventListener('change', () => void load());
  layout('API catalog', h('div', { class: 'toolbar' }, search, tagSelect), list);
  show(all);
}

function card(api: CatalogApi): HTMLElement {
  return h(
    'article',
    { class: 'card api', 'data-api': api.id },
    h(
      'h2',
      {},
      h('a', { href: `#/${api.kind === 'PRODUCT' ? 'products' : 'apis'}/${encodeURIComponent(api.id)}` }, api.name),
      ' ',
      h('span', { class: 'version' }, api.version),
    ),
    // An API product (decision 0049) sits among the APIs, marked as one; an API shows its type.
    h(
      'div',
      { class: 'badges' },
      badge(api.lifecycleState),
      ' ',
      api.kind === 'PRODUCT' ? h('span', { class: 'badge product' }, 'Product') : typeBadge(api.type),
    ),
    h('p', { class: 'description' }, api.description === '' ? 'No description.' : api.description),
    h('code', {}, `${api.context}/${api.version}`),
    tags(api.tags),
  );
}
