import { publisherApi } from '../../api/publisher.ts';
import type { PublisherApi } from '../../api/types.ts';
import { badge } from '../../components/badges.ts';
import { h } from '../../components/dom.ts';
import { layout } from '../../components/layout.ts';
import { alertsTab } from './api-alerts.ts';
import { analyticsTab } from './api-analytics.ts';
import { deployTab } from './api-deploy.ts';
import { documentsTab } from './api-documents.ts';
import { resourcesTab } from './api-resources.ts';
import { settingsTab } from './api-settings.ts';
import { subscribersTab } from './api-subscribers.ts';

export type PublisherTab = 'settings' | 'resources' | 'documents' | 'deploy' | 'subscribers' | 'analytics' | 'alerts';
const TABS: Array<[PublisherTab, string]> = [
  ['settings', 'Settings'],
  ['resources', 'Resources'],
  ['documents', 'Documents'],
  ['deploy', 'Lifecycle & deploy'],
  ['subscribers', 'Subscribers'],
  ['analytics', 'Analytics'],
  ['alerts', 'Alerts'],
];

/** One API of the publisher, a tab per concern; each tab re-renders the page after a change. */
export async function publisherApiView(params: Record<string, string>, tab: PublisherTab): Promise<void> {
  const api = await publisherApi.get(params['apiId'] ?? '');
  const reload = () => publisherApiView(params, tab);
  const base = `#/publisher/apis/${encodeURIComponent(api.id)}`;
  const nav = h('nav', { class: 'tabs', 'aria-label': 'API sections' }, ...TABS.map(([t, label]) => h('a', { href: t === 'settings' ? base : `${base}/${t}`, ...(t === tab ? { 'aria-current': 'page' } : {}) }, label)));
  const body = await tabBody(api, tab, reload);
  layout(`${api.name} ${api.version}`, h('p', { class: 'muted' }, h('a', { href: '#/publisher' }, '← Your APIs'), ' ', badge(api.lifecycleState), ' ', h('code', {}, `${api.context}/${api.version}`)), nav, h('section', { id: `publisher-${tab}` }, body));
}

function tabBody(api: PublisherApi, tab: PublisherTab, reload: () => Promise<void>): Promise<HTMLElement> | HTMLElement {
  switch (tab) {
    case 'resources':
      return resourcesTab(api, reload);
    case 'documents':
      return documentsTab(api);
    case 'deploy':
      return deployTab(api, reload);
    case 'subscribers':
      return subscribersTab(api, reload);
    case 'analytics':
      return analyticsTab(api);
    case 'alerts':
      return alertsTab(api);
    default:
      return settingsTab(api, reload);
  }
}
