import { devportalApi } from '../../api/devportal.ts';
import { h, mount } from '../../components/dom.ts';
import { empty, errorBox } from '../../components/feedback.ts';
import { layout } from '../../components/layout.ts';
import { usageCharts, RANGES, type RangeKey } from '../../components/usage-charts.ts';

/** Usage of the developer's applications, per application and API, from /api/devportal/v1/usage. */
export async function usageView(params: Record<string, string>): Promise<void> {
  const [{ list: apps }, { list: apis }] = await Promise.all([devportalApi.applications(), devportalApi.catalog()]);
  if (apps.length === 0) {
    layout('Usage', empty('No applications yet: create one, subscribe it to an API and call it; its traffic shows up here.', h('a', { class: 'button', href: '#/applications' }, 'Go to applications')));
    return;
  }
  const appSelect = h('select', { id: 'usage-app', 'aria-label': 'Application' }, h('option', { value: '' }, 'All applications'), ...apps.map((a) => h('option', { value: a.id, ...(a.id === params['applicationId'] ? { selected: true } : {}) }, a.name)));
  const apiSelect = h('select', { id: 'usage-api', 'aria-label': 'API' }, h('option', { value: '' }, 'All APIs'), ...apis.map((a) => h('option', { value: a.id }, `${a.name} ${a.version}`)));
  const range = h('select', { id: 'usage-range', 'aria-label': 'Time range' }, ...Object.entries(RANGES).map(([k, r]) => h('option', { value: k }, r.label)));
  const refresh = h('button', { type: 'button', class: 'secondary', id: 'usage-refresh' }, 'Refresh');
  const out = h('div', { id: 'usage', 'aria-live': 'polite' });
  const load = async () => {
    const r = RANGES[range.value as RangeKey];
    try {
      const usage = await devportalApi.usage({ applicationId: appSelect.value || undefined, apiId: apiSelect.value || undefined, from: Date.now() - r.span, granularity: r.granularity });
      mount(out, usageCharts(usage, r));
    } catch (err) {
      mount(out, errorBox(err));
    }
  };
  for (const s of [appSelect, apiSelect, range]) s.addEventListener('change', () => void load());
  refresh.addEventListener('click', () => void load());
  layout('Usage', h('div', { class: 'toolbar' }, appSelect, apiSelect, range, refresh, h('a', { class: 'button secondary', href: '#/usage/alerts', id: 'usage-alerts' }, 'Alerts')), out);
  await load();
}
