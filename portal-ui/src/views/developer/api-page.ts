import { devportalApi } from '../../api/devportal.ts';
import type { CatalogApiDetail } from '../../api/types.ts';
import { badge, tags, typeBadge } from '../../components/badges.ts';
import { h } from '../../components/dom.ts';
import { empty } from '../../components/feedback.ts';
import { layout } from '../../components/layout.ts';
import { markdown } from '../../components/markdown.ts';
import { ratingsSection } from './api-ratings.ts';
import { referenceTab } from './api-reference.ts';
import { subscribeSection } from './api-subscribe.ts';
import { tierList } from '../../components/tiers.ts';

type Tab = 'overview' | 'docs' | 'reference';
/** What the reference tab holds for an API type that has no OpenAPI reference. */
const REFERENCE_TAB: Partial<Record<CatalogApiDetail['type'], string>> = {
  GRAPHQL: 'Schema & console',
  WS: 'Channels & console',
  SSE: 'Streams & console',
};
const TABS: Array<[Tab, string, string]> = [
  ['overview', 'Overview', ''],
  ['docs', 'Documents', '/docs'],
  ['reference', 'Reference & try it', '/reference'],
];

/** One API of the catalog: overview (with ratings), documents (Markdown, sanitised) and the reference with its console. */
export async function apiPageView(params: Record<string, string>, tab: Tab = 'overview'): Promise<void> {
  const id = params['apiId'] ?? '';
  const api = await devportalApi.api(id);
  const nav = h(
    'nav',
    { class: 'tabs', 'aria-label': 'API sections' },
    ...TABS.map(([t, label, suffix]) =>
      h(
        'a',
        { href: `#/apis/${encodeURIComponent(id)}${suffix}`, ...(t === tab ? { 'aria-current': 'page' } : {}) },
        t === 'reference' ? (REFERENCE_TAB[api.type] ?? label) : label,
      ),
    ),
  );
  const reload = () => apiPageView(params, tab);
  const body =
    tab === 'docs'
      ? await documentsTab(id)
      : tab === 'reference'
        ? await referenceTab(api)
        : h('div', { class: 'stack' }, overviewTab(api), await subscribeSection(api, reload), await ratingsSection(api));
  layout(
    `${api.name} ${api.version}`,
    h('p', { class: 'muted' }, badge(api.lifecycleState), ' ', typeBadge(api.type), ' ', h('code', {}, `${api.context}/${api.version}`)),
    nav,
    h('section', { id: `api-${tab}` }, body),
  );
}

const API_TYPE_NAMES: Record<CatalogApiDetail['type'], string> = {
  HTTP: 'REST (HTTP)',
  GRAPHQL: 'GraphQL',
  WS: 'WebSocket',
  SSE: 'Server-sent events',
};

function overviewTab(api: CatalogApiDetail): HTMLElement {
  return h(
    'div',
    { class: 'stack' },
    h(
      'div',
      { class: 'card' },
      api.description === '' ? h('p', { class: 'muted' }, 'The publisher has not described this API yet.') : markdown(api.description),
      tags(api.tags),
    ),
    h(
      'dl',
      { class: 'card facts' },
      h('dt', {}, 'Type'),
      h('dd', { id: 'api-type' }, API_TYPE_NAMES[api.type]),
      h('dt', {}, 'Base path'),
      h('dd', {}, h('code', {}, `${api.context}/${api.version}`), api.isDefaultVersion ? ` (also ${api.context})` : ''),
      h('dt', {}, 'Gateways'),
      h(
        'dd',
        { id: 'api-environments' },
        api.environments.length === 0
          ? 'Not deployed to any gateway environment yet'
          : api.environments.map((e) => e.displayName).join(', '),
      ),
      h('dt', {}, 'Tiers'),
      h('dd', {}, tierList(api)),
    ),
    h(
      'table',
      { class: 'resources' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Method'), h('th', {}, 'Resource'), h('th', {}, 'Security'))),
      h(
        'tbody',
        {},
        ...api.resources.map((r) =>
          h(
            'tr',
            {},
            h('td', { 'data-label': 'Method' }, h('span', { class: `method ${r.method.toLowerCase()}` }, r.method)),
            h('td', { 'data-label': 'Resource' }, h('code', {}, r.path)),
            h(
              'td',
              { 'data-label': 'Security' },
              r.authType === 'none' ? 'open' : `${r.authType}${r.scopes.length > 0 ? ` · scopes ${r.scopes.join(' ')}` : ''}`,
            ),
          ),
        ),
      ),
    ),
  );
}

async function documentsTab(id: string): Promise<HTMLElement> {
  const { list } = await devportalApi.documents(id);
  if (list.length === 0) return empty('No documents yet. The reference tab lists every resource and lets you try them.');
  return h(
    'div',
    { class: 'stack', id: 'documents' },
    ...list.map((d) =>
      h(
        'article',
        { class: 'card document' },
        h('h2', {}, d.name, ' ', h('span', { class: 'badge' }, d.type)),
        d.sourceType === 'URL' && d.url !== null
          ? h('p', {}, h('a', { href: d.url, rel: 'noopener noreferrer nofollow', target: '_blank' }, d.url))
          : markdown(d.content ?? ''),
      ),
    ),
  );
}
