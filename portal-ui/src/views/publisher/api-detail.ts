import { publisherApi } from '../../api/publisher.ts';
import type { PublisherApi } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h } from '../../components/dom.ts';
import { layout } from '../../components/layout.ts';
import { alertsTab } from './api-alerts.ts';
import { analyticsTab } from './api-analytics.ts';
import { collaboratorsTab } from './api-collaborators.ts';
import { deployTab } from './api-deploy.ts';
import { documentsTab } from './api-documents.ts';
import { endpointsTab } from './api-endpoints.ts';
import { graphqlTab } from './api-graphql.ts';
import { headersTab } from './api-headers.ts';
import { policiesTab } from './api-policies.ts';
import { keyManagersTab } from './api-key-managers.ts';
import { ratingsTab } from './api-ratings.ts';
import { resourcesTab } from './api-resources.ts';
import { settingsTab } from './api-settings.ts';
import { subscribersTab } from './api-subscribers.ts';
import { visibilityTab } from './api-visibility.ts';

export type PublisherTab =
  | 'settings'
  | 'visibility'
  | 'endpoints'
  | 'headers'
  | 'policies'
  | 'key-managers'
  | 'resources'
  | 'graphql'
  | 'documents'
  | 'deploy'
  | 'subscribers'
  | 'ratings'
  | 'collaborators'
  | 'analytics'
  | 'alerts';
type TabBody = (api: PublisherApi, reload: () => Promise<void>) => Promise<HTMLElement> | HTMLElement;
const TABS: Array<[PublisherTab, string, TabBody]> = [
  ['settings', 'Settings', settingsTab],
  ['visibility', 'Visibility', visibilityTab],
  ['endpoints', 'Endpoints', endpointsTab],
  ['headers', 'Headers', headersTab],
  ['key-managers', 'Key managers', keyManagersTab],
  ['resources', 'Resources', resourcesTab],
  ['graphql', 'GraphQL', graphqlTab],
  ['policies', 'Policies', policiesTab],
  ['documents', 'Documents', documentsTab],
  ['deploy', 'Lifecycle & deploy', deployTab],
  ['subscribers', 'Subscriptions', subscribersTab],
  ['ratings', 'Ratings', ratingsTab],
  ['collaborators', 'Collaborators', collaboratorsTab],
  ['analytics', 'Analytics', analyticsTab],
  ['alerts', 'Alerts', (api) => alertsTab(api)],
];

/** One API of the publisher, a tab per concern; each tab re-renders the page after a change. */
export async function publisherApiView(params: Record<string, string>, tab: PublisherTab): Promise<void> {
  const api = await publisherApi.get(params['apiId'] ?? '');
  const reload = () => publisherApiView(params, tab);
  const base = `#/publisher/apis/${encodeURIComponent(api.id)}`;
  const nav = h(
    'nav',
    { class: 'tabs', 'aria-label': 'API sections' },
    // The GraphQL tab is a GraphQL API's only.
    ...TABS.filter(([t]) => t !== 'graphql' || api.type === 'GRAPHQL').map(([t, label]) =>
      h('a', { href: t === 'settings' ? base : `${base}/${t}`, ...(t === tab ? { 'aria-current': 'page' } : {}) }, label),
    ),
  );
  const body = await tabBody(api, tab, reload);
  layout(
    `${api.name} ${api.version}`,
    h(
      'p',
      { class: 'muted' },
      h('a', { href: '#/publisher' }, '← Your APIs'),
      ' ',
      badge(api.lifecycleState),
      ' ',
      h('code', {}, `${api.context}/${api.version}`),
    ),
    nav,
    h('section', { id: `publisher-${tab}` }, body),
  );
}

/** The tab's renderer; an unknown tab shows the settings. */
function tabBody(api: PublisherApi, tab: PublisherTab, reload: () => Promise<void>): Promise<HTMLElement> | HTMLElement {
  return (TABS.find(([t]) => t === tab)?.[2] ?? settingsTab)(api, reload);
}
