import type { Usage } from '../api/types.ts';
import { lines, stackedBars } from './chart.ts';
import { h } from './dom.ts';

export const RANGES = {
  hour: { label: 'Last hour, per minute', span: 3_600_000, granularity: 'minute', step: 60_000 },
  day: { label: 'Last 24 hours, per hour', span: 86_400_000, granularity: 'hour', step: 3_600_000 },
  week: { label: 'Last 7 days, per day', span: 7 * 86_400_000, granularity: 'day', step: 86_400_000 },
} as const;
export type RangeKey = keyof typeof RANGES;
type Range = (typeof RANGES)[RangeKey];

const CLASSES: Array<[string, string]> = [
  ['2xx', '#17803d'],
  ['3xx', '#0b63ce'],
  ['4xx', '#d97706'],
  ['5xx', '#b42318'],
];

/** Requests by status class, throttled calls and latency percentiles over the range's buckets. */
export function usageCharts(usage: Usage, range: Range): HTMLElement {
  if (usage.list.length === 0)
    return h(
      'div',
      { class: 'empty', 'data-total': '0' },
      h(
        'p',
        {},
        'No calls in this range yet. Call the API (the reference tab of an API page has a console); usage appears within seconds.',
      ),
    );
  const start = Math.floor(usage.from / range.step) * range.step;
  const buckets: number[] = [];
  for (let t = start; t < usage.to; t += range.step) buckets.push(t);
  const index = (t: number) => Math.floor((t - start) / range.step);
  const cls = CLASSES.map(([name, color]) => ({ name, color, values: buckets.map(() => 0) }));
  const throttled = buckets.map(() => 0);
  const pct = {
    p50: buckets.map((): number | null => null),
    p95: buckets.map((): number | null => null),
    p99: buckets.map((): number | null => null),
  };
  for (const p of usage.list) {
    const i = index(p.bucketStart);
    if (i < 0 || i >= buckets.length) continue;
    for (const c of cls) c.values[i] = (c.values[i] ?? 0) + (p.statusClasses[c.name] ?? 0);
    throttled[i] = (throttled[i] ?? 0) + p.throttled;
    // Several applications or APIs in one bucket: the worst of their percentiles.
    for (const k of ['p50', 'p95', 'p99'] as const) {
      const v = p.latencyMs[k];
      if (v !== null) pct[k][i] = Math.max(pct[k][i] ?? 0, v);
    }
  }
  const fmt = (t: number) =>
    range.granularity === 'day'
      ? new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })
      : new Date(t).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const total = usage.list.reduce((s, p) => s + p.requests, 0);
  const errors = usage.list.reduce((s, p) => s + (p.statusClasses['4xx'] ?? 0) + (p.statusClasses['5xx'] ?? 0), 0);
  const thr = throttled.reduce((a, b) => a + b, 0);
  const p95 = Math.max(0, ...pct.p95.filter((v): v is number => v !== null));
  // CSSOM, not a style attribute: the CSP has no 'unsafe-inline' for styles.
  const swatch = (name: string, color: string) => {
    const span = h('span', {}, name);
    span.style.setProperty('--swatch', color);
    return span;
  };
  const legend = (items: Array<[string, string]>) => h('div', { class: 'legend' }, ...items.map(([name, color]) => swatch(name, color)));
  return h(
    'div',
    { 'data-total': String(total) },
    h(
      'div',
      { class: 'kpis' },
      kpi('Requests', total, 'kpi-requests'),
      kpi('Errors (4xx/5xx)', errors, 'kpi-errors'),
      kpi('Throttled', thr, 'kpi-throttled'),
      kpi('Worst p95 latency', `${p95} ms`, 'kpi-p95'),
    ),
    h(
      'div',
      { class: 'charts' },
      h(
        'figure',
        { class: 'card' },
        h('figcaption', {}, 'Requests by status class'),
        stackedBars(`Requests over time: ${total} in total`, buckets, cls, fmt),
        legend(CLASSES),
      ),
      h(
        'figure',
        { class: 'card' },
        h('figcaption', {}, 'Throttled requests'),
        stackedBars(`Throttled requests: ${thr} in total`, buckets, [{ name: 'throttled', color: '#a15c00', values: throttled }], fmt),
      ),
      h(
        'figure',
        { class: 'card' },
        h('figcaption', {}, 'Latency percentiles (ms)'),
        lines(
          'Latency percentiles',
          buckets,
          [
            { name: 'p50', color: '#17803d', values: pct.p50 },
            { name: 'p95', color: '#d97706', values: pct.p95 },
            { name: 'p99', color: '#b42318', values: pct.p99 },
          ],
          ' ms',
          fmt,
        ),
        legend([
          ['p50', '#17803d'],
          ['p95', '#d97706'],
          ['p99', '#b42318'],
        ]),
      ),
    ),
  );
}

function kpi(label: string, value: number | string, id: string): HTMLElement {
  return h('div', { class: 'card' }, h('div', { class: 'muted' }, label), h('div', { class: 'stat', id }, String(value)));
}
