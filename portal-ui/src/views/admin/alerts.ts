import { publisherApi } from '../../api/publisher.ts';
import { alertsPanel } from '../alerts/alert-rules.ts';

/** Every alert rule, on any API or (by id) any subscription, and every alert fired. */
export async function alertsTab(): Promise<HTMLElement> {
  const { list } = await publisherApi.list();
  return alertsPanel(
    'admin',
    list.map((a) => ({ scopeType: 'API' as const, id: a.id, label: `${a.name} ${a.version}` })),
    { noTargets: 'No APIs yet: alert rules watch an API or a subscription.', bySubscriptionId: true },
  );
}
