import { publisherApi } from '../../api/publisher.ts';
import type { PublisherApi } from '../../api/types.ts';
import { h, mount } from '../../components/dom.ts';
import { errorBox } from '../../components/feedback.ts';
import { RANGES, usageCharts, type RangeKey } from '../../components/usage-charts.ts';

/** This API's traffic from /api/publisher/v1/usage, every subscriber together. */
export async function analyticsTab(api: PublisherApi): Promise<HTMLElement> {
  const range = h(
    'select',
    { 'aria-label': 'Time range', id: 'analytics-range' },
    ...Object.entries(RANGES).map(([k, r]) => h('option', { value: k }, r.label)),
  );
  const out = h('div', { id: 'analytics', 'aria-live': 'polite' });
  const load = async () => {
    const r = RANGES[range.value as RangeKey];
    try {
      mount(out, usageCharts(await publisherApi.usage({ apiId: api.id, from: Date.now() - r.span, granularity: r.granularity }), r));
    } catch (err) {
      mount(out, errorBox(err));
    }
  };
  range.addEventListener('change', () => void load());
  await load();
  return h(
    'div',
    {},
    h('div', { class: 'toolbar' }, range, h('button', { type: 'button', class: 'secondary', onclick: () => void load() }, 'Refresh')),
    out,
  );
}
