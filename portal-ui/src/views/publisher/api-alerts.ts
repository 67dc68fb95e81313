import type { PublisherApi } from '../../api/types.ts';
import { alertsPanel } from '../alerts/alert-rules.ts';

/** Alert rules on this API (error rate, p95 latency) with their webhooks, and the alerts they fired. */
export function alertsTab(api: PublisherApi): Promise<HTMLElement> {
  return alertsPanel('publisher', [{ scopeType: 'API', id: api.id, label: `${api.name} ${api.version}` }], {
    noTargets: '',
    fixedTarget: true,
  });
}
