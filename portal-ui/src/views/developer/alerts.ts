import { devportalApi } from '../../api/devportal.ts';
import { h } from '../../components/dom.ts';
import { layout } from '../../components/layout.ts';
import { alertsPanel } from '../alerts/alert-rules.ts';

/** Alert rules on the developer's subscriptions (errors, latency, quota used) and the alerts they fired. */
export async function developerAlertsView(): Promise<void> {
  const { list: apps } = await devportalApi.applications();
  const subscriptions = await Promise.all(
    apps.map(async (app) =>
      (await devportalApi.subscriptions(app.id)).list.map((s) => ({
        scopeType: 'SUBSCRIPTION' as const,
        id: s.id,
        label: `${app.name} → ${s.apiName} ${s.apiVersion}`,
      })),
    ),
  );
  const panel = await alertsPanel('devportal', subscriptions.flat(), {
    noTargets: 'Alerts watch a subscription: subscribe one of your applications to an API first.',
  });
  layout(
    'Alerts',
    h(
      'p',
      { class: 'muted' },
      h('a', { href: '#/usage' }, '← Usage'),
      ' · Get a signed webhook call when a subscription’s errors, latency or quota use cross a threshold.',
    ),
    panel,
  );
}
