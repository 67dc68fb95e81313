import { publisherApi } from '../../api/publisher.ts';
import { badge } from '../../components/badges.ts';
import { h } from '../../components/dom.ts';
import { empty } from '../../components/feedback.ts';
import { layout } from '../../components/layout.ts';
import { can } from '../../session.ts';
import { lifecycleButtons } from './lifecycle.ts';

/** The publisher's APIs with their state and only the lifecycle transitions allowed from it. */
export async function publisherApisView(): Promise<void> {
  const { list } = await publisherApi.list();
  const rows = await Promise.all(
    list.map(async (api) => {
      const lifecycle = await publisherApi.lifecycle(api.id);
      return h(
        'tr',
        { 'data-api': api.name },
        h('td', { 'data-label': 'Name' }, h('a', { href: `#/publisher/apis/${encodeURIComponent(api.id)}` }, api.name)),
        h('td', { 'data-label': 'Context' }, h('code', {}, `${api.context}/${api.version}`)),
        h('td', { 'data-label': 'State' }, badge(api.lifecycleState)),
        h('td', { 'data-label': 'Lifecycle' }, can('api:publish') ? lifecycleButtons(api.id, lifecycle, () => publisherApisView()) : null),
      );
    }),
  );
  const actions = can('api:create')
    ? h(
        'div',
        { class: 'toolbar' },
        h('a', { class: 'button', href: '#/publisher/new' }, 'Create or import an API'),
        h('a', { href: '#/publisher/products', id: 'products-link' }, 'API products'),
      )
    : null;
  layout(
    'Your APIs',
    actions,
    list.length === 0
      ? empty(
          'No APIs yet: import an OpenAPI document or create one from scratch.',
          h('a', { class: 'button', href: '#/publisher/new' }, 'Create or import an API'),
        )
      : h(
          'table',
          { id: 'publisher-apis' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Context'), h('th', {}, 'State'), h('th', {}, 'Lifecycle'))),
          h('tbody', {}, ...rows),
        ),
  );
}
