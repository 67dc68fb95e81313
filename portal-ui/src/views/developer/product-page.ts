import { devportalApi } from '../../api/devportal.ts';
import { productsApi, type CatalogProduct } from '../../api/products.ts';
import { badge, tags } from '../../components/badges.ts';
import { h } from '../../components/dom.ts';
import { empty } from '../../components/feedback.ts';
import { layout } from '../../components/layout.ts';
import { markdown } from '../../components/markdown.ts';
import { tierList } from '../../components/tiers.ts';
import { environmentGatewayUrl } from '../../config.ts';
import { subscribeSection } from './api-subscribe.ts';

/**
 * One API product of the catalog (decision 0049): what it bundles, grouped by API, each operation
 * with the URL it is called at (its own API's context on that API's gateways), the product's
 * documents and tiers, and the same Subscribe form as an API's page: one subscription covers every
 * operation listed, with one quota shared across them.
 */
export async function productPageView(params: Record<string, string>): Promise<void> {
  const id = params['productId'] ?? '';
  const [product, documents] = await Promise.all([productsApi.catalog(id), devportalApi.documents(id)]);
  const reload = () => productPageView(params);
  layout(
    `${product.name} ${product.version}`,
    h('p', { class: 'muted' }, h('span', { class: 'badge product', id: 'product-badge' }, 'Product'), ' ', badge(product.lifecycleState)),
    h(
      'div',
      { class: 'stack' },
      h(
        'div',
        { class: 'card' },
        product.description === ''
          ? h('p', { class: 'muted' }, 'The publisher has not described this product yet.')
          : markdown(product.description),
        tags(product.tags),
      ),
      h('dl', { class: 'card facts' }, h('dt', {}, 'Tiers'), h('dd', {}, tierList(product))),
      await operationsSection(product),
      documentsSection(documents.list),
      await subscribeSection(product, reload),
    ),
  );
}

async function operationsSection(product: CatalogProduct): Promise<HTMLElement> {
  const groups = await Promise.all(
    product.apis.map(async (api) => {
      const base = `${api.context}/${api.version}`;
      const urls = await Promise.all(api.environments.map(environmentGatewayUrl));
      return h(
        'section',
        { class: 'card product-api', 'data-api': api.id },
        h('h3', {}, h('a', { href: `#/apis/${encodeURIComponent(api.id)}` }, api.name), ' ', h('span', { class: 'version' }, api.version)),
        api.environments.length === 0
          ? h('p', { class: 'muted' }, 'Not deployed to any gateway environment yet.')
          : h(
              'p',
              { class: 'hint' },
              'Called at ',
              ...urls.map((u, i) => h('code', { class: 'gateway-url' }, `${u}${base}`, i < urls.length - 1 ? ', ' : '')),
            ),
        h(
          'table',
          { class: 'resources' },
          h('thead', {}, h('tr', {}, h('th', {}, 'Method'), h('th', {}, 'Operation'))),
          h(
            'tbody',
            {},
            ...api.operations.map((o) =>
              h(
                'tr',
                {},
                h('td', { 'data-label': 'Method' }, h('span', { class: `method ${o.method.toLowerCase()}` }, o.method)),
                h('td', { 'data-label': 'Operation' }, h('code', {}, `${base}${o.path}`)),
              ),
            ),
          ),
        ),
      );
    }),
  );
  return h('section', { id: 'product-operations', class: 'stack' }, h('h2', {}, 'Operations'), ...groups);
}

function documentsSection(list: Awaited<ReturnType<typeof devportalApi.documents>>['list']): HTMLElement {
  return h(
    'section',
    { id: 'product-documents', class: 'stack' },
    h('h2', {}, 'Documents'),
    ...(list.length === 0
      ? [empty('No documents yet.')]
      : list.map((d) =>
          h(
            'article',
            { class: 'card document' },
            h('h3', {}, d.name, ' ', h('span', { class: 'badge' }, d.type)),
            d.sourceType === 'URL' && d.url !== null
              ? h('p', {}, h('a', { href: d.url, rel: 'noopener noreferrer nofollow', target: '_blank' }, d.url))
              : markdown(d.content ?? ''),
          ),
        )),
  );
}
