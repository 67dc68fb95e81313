import { devportalApi } from '../../api/devportal.ts';
import { h, mount } from '../../components/dom.ts';
import { empty, errorBox } from '../../components/feedback.ts';
import { layout } from '../../components/layout.ts';
import { usageCharts, RANGES, type RangeKey } from '../../components/usage-charts.ts';
import type { Application } from '../../api/types.ts';

/** At most this many subscriptions' counters are read for one page (one call each). */
const QUOTA_ROWS = 50;

const windowLabel = (seconds: number) =>
  seconds % 86_400 === 0
    ? `${seconds / 86_400} d`
    : seconds % 3600 === 0
      ? `${seconds / 3600} h`
      : seconds % 60 === 0
        ? `${seconds / 60} min`
        : `${seconds} s`;

/** What is left of each subscription's tier right now, read from its counter object. */
async function quotaTable(apps: Application[], apiId: string): Promise<HTMLElement> {
  const subs = (
    await Promise.all(apps.map(async (a) => (await devportalApi.subscriptions(a.id)).list.map((s) => ({ ...s, appName: a.name }))))
  )
    .flat()
    .filter((s) => apiId === '' || s.apiId === apiId);
  if (subs.length === 0)
    return empty(
      'No subscriptions here yet: subscribe an application to an API to see its remaining quota.',
      h('a', { class: 'button', href: '#/applications' }, 'Go to applications'),
    );
  const shown = subs.slice(0, QUOTA_ROWS);
  const quotas = await Promise.all(shown.map((s) => devportalApi.quota(s.id)));
  const rows = shown.flatMap((s, i) => {
    const q = quotas[i];
    if (q === undefined || q.limits.length === 0)
      return [
        h(
          'tr',
          { 'data-subscription': s.id },
          h('td', {}, s.appName),
          h('td', {}, `${s.apiName} ${s.apiVersion}`),
          h('td', {}, s.tier),
          h('td', { colspan: '3', class: 'muted' }, 'No limit'),
        ),
      ];
    return q.limits.map((l) =>
      h(
        'tr',
        { 'data-subscription': s.id },
        h('td', {}, s.appName),
        h('td', {}, `${s.apiName} ${s.apiVersion}`),
        h('td', {}, s.tier),
        h('td', {}, `${l.limit.toLocaleString()} ${l.unit === 'bytes' ? 'bytes' : 'calls'} / ${windowLabel(l.windowSeconds)}`),
        h(
          'td',
          { class: 'quota-left' },
          h('meter', {
            min: '0',
            max: String(l.limit),
            low: String(l.limit * 0.2),
            optimum: String(l.limit),
            value: String(l.remaining),
            'aria-label': `${l.remaining} of ${l.limit} left`,
          }),
          ' ',
          h('span', { class: 'remaining' }, `${l.remaining.toLocaleString()} left`),
        ),
        h('td', {}, `${l.resetSeconds} s`),
      ),
    );
  });
  return h(
    'div',
    {},
    h(
      'table',
      { id: 'quota' },
      h('thead', {}, h('tr', {}, ...['Application', 'API', 'Tier', 'Window', 'Left now', 'Resets in'].map((t) => h('th', {}, t)))),
      h('tbody', {}, ...rows),
    ),
    subs.length > QUOTA_ROWS
      ? h('p', { class: 'muted' }, `The first ${QUOTA_ROWS} of ${subs.length} subscriptions; pick an application or API to narrow it.`)
      : '',
  );
}

/** Usage of the developer's applications, per application and API, from /api/devportal/v1/usage. */
export async function usageView(params: Record<string, string>): Promise<void> {
  const [{ list: apps }, { list: apis }] = await Promise.all([devportalApi.applications(), devportalApi.catalog()]);
  if (apps.length === 0) {
    layout(
      'Usage',
      empty(
        'No applications yet: create one, subscribe it to an API and call it; its traffic shows up here.',
        h('a', { class: 'button', href: '#/applications' }, 'Go to applications'),
      ),
    );
    return;
  }
  const appSelect = h(
    'select',
    { id: 'usage-app', 'aria-label': 'Application' },
    h('option', { value: '' }, 'All applications'),
    ...apps.map((a) => h('option', { value: a.id, selected: a.id === params['applicationId'] }, a.name)),
  );
  const apiSelect = h(
    'select',
    { id: 'usage-api', 'aria-label': 'API' },
    h('option', { value: '' }, 'All APIs'),
    ...apis.map((a) => h('option', { value: a.id }, `${a.name} ${a.version}`)),
  );
  const range = h(
    'select',
    { id: 'usage-range', 'aria-label': 'Time range' },
    ...Object.entries(RANGES).map(([k, r]) => h('option', { value: k }, r.label)),
  );
  const refresh = h('button', { type: 'button', class: 'secondary', id: 'usage-refresh' }, 'Refresh');
  const out = h('div', { id: 'usage', 'aria-live': 'polite' });
  const quota = h('div', { id: 'quota-left', 'aria-live': 'polite' });
  const load = async () => {
    const r = RANGES[range.value as RangeKey];
    const chosen = apps.filter((a) => appSelect.value === '' || a.id === appSelect.value);
    await Promise.all([
      (async () => {
        try {
          const usage = await devportalApi.usage({
            applicationId: appSelect.value || undefined,
            apiId: apiSelect.value || undefined,
            from: Date.now() - r.span,
            granularity: r.granularity,
          });
          mount(out, usageCharts(usage, r));
        } catch (err) {
          mount(out, errorBox(err));
        }
      })(),
      (async () => {
        try {
          mount(quota, await quotaTable(chosen, apiSelect.value));
        } catch (err) {
          mount(quota, errorBox(err));
        }
      })(),
    ]);
  };
  for (const s of [appSelect, apiSelect, range]) s.addEventListener('change', () => void load());
  refresh.addEventListener('click', () => void load());
  layout(
    'Usage',
    h(
      'div',
      { class: 'toolbar' },
      appSelect,
      apiSelect,
      range,
      refresh,
      h('a', { class: 'button secondary', href: '#/usage/alerts', id: 'usage-alerts' }, 'Alerts'),
    ),
    h('h2', {}, 'Quota left'),
    quota,
    h('h2', {}, 'Traffic'),
    out,
  );
  await load();
}
