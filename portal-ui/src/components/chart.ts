/**
 * SVG charts drawn by hand from numbers: stacked bars and lines over time buckets. Labels are text
 * nodes; each chart carries a text summary for screen readers and `data-total` for tests.
 */
const NS = 'http://www.w3.org/2000/svg';

export interface Series {
  name: string;
  color: string;
  values: number[];
}

function el(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

const W = 640;
const H = 220;
const PAD = { left: 56, right: 12, top: 12, bottom: 32 };

function niceMax(n: number): number {
  if (n <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(n));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= n) ?? n;
}

/**
 * The SVG scales with its box, its text with it: at half size an 11-unit label would be 5.5 px. The
 * chart's scale (viewBox units per CSS pixel) is kept in `--chart-scale`, and the stylesheet sizes
 * labels in user units times that scale, so they read at body-text size at any width (clamped, so a
 * phone-wide chart stays legible without labels overrunning the plot).
 */
const resized =
  typeof ResizeObserver === 'undefined'
    ? null
    : new ResizeObserver((entries) => {
        for (const e of entries) {
          const width = e.contentRect.width;
          if (width > 0) (e.target as SVGSVGElement).style.setProperty('--chart-scale', Math.min(1.8, Math.max(0.6, W / width)).toFixed(3));
        }
      });

function frame(title: string, buckets: number[], max: number, unit: string, format: (t: number) => string): SVGSVGElement {
  const svg = el('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img' }) as SVGSVGElement;
  resized?.observe(svg);
  svg.append(el('title', {}, title));
  const plotH = H - PAD.top - PAD.bottom;
  for (let i = 0; i <= 4; i++) {
    const y = PAD.top + plotH - (plotH * i) / 4;
    svg.append(el('line', { x1: PAD.left, x2: W - PAD.right, y1: y, y2: y, class: 'axis' }));
    const v = (max * i) / 4;
    svg.append(
      el('text', { x: PAD.left - 6, y: y + 4, 'text-anchor': 'end' }, `${Number.isInteger(v) ? v : v.toFixed(1)}${i === 4 ? unit : ''}`),
    );
  }
  const step = Math.max(1, Math.ceil(buckets.length / 5));
  buckets.forEach((t, i) => {
    if (i % step !== 0) return;
    svg.append(el('text', { x: xAt(i, buckets.length), y: H - 8, 'text-anchor': 'middle' }, format(t)));
  });
  return svg;
}

function xAt(i: number, n: number): number {
  const plotW = W - PAD.left - PAD.right;
  return PAD.left + (plotW * (i + 0.5)) / Math.max(1, n);
}

export function stackedBars(title: string, buckets: number[], series: Series[], format: (t: number) => string): SVGSVGElement {
  const totals = buckets.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const svg = frame(title, buckets, max, '', format);
  const plotH = H - PAD.top - PAD.bottom;
  const barW = Math.max(2, ((W - PAD.left - PAD.right) / Math.max(1, buckets.length)) * 0.7);
  buckets.forEach((t, i) => {
    let y = PAD.top + plotH;
    for (const s of series) {
      const v = s.values[i] ?? 0;
      if (v === 0) continue;
      const hgt = (plotH * v) / max;
      y -= hgt;
      const rect = el('rect', { x: xAt(i, buckets.length) - barW / 2, y, width: barW, height: hgt, fill: s.color });
      rect.append(el('title', {}, `${format(t)} · ${s.name}: ${v}`));
      svg.append(rect);
    }
  });
  svg.setAttribute('data-total', String(totals.reduce((a, b) => a + b, 0)));
  return svg;
}

export function lines(
  title: string,
  buckets: number[],
  series: Array<Omit<Series, 'values'> & { values: Array<number | null> }>,
  unit: string,
  format: (t: number) => string,
): SVGSVGElement {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null))));
  const svg = frame(title, buckets, max, unit, format);
  const plotH = H - PAD.top - PAD.bottom;
  for (const s of series) {
    const pts = s.values.map((v, i) =>
      v === null ? null : `${xAt(i, buckets.length).toFixed(1)},${(PAD.top + plotH - (plotH * v) / max).toFixed(1)}`,
    );
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) svg.append(el('polyline', { points: run.join(' '), fill: 'none', stroke: s.color, 'stroke-width': 2 }));
      run = [];
    };
    for (const p of pts) {
      if (p === null) flush();
      else run.push(p);
    }
    flush();
    // A point per value, each with its own tooltip (and a larger invisible target to hover).
    s.values.forEach((v, i) => {
      if (v === null) return;
      const cx = xAt(i, buckets.length);
      const cy = PAD.top + plotH - (plotH * v) / max;
      const point = el('g', { class: 'point' });
      point.append(
        el('circle', { cx, cy, r: 10, fill: 'transparent' }),
        el('circle', { cx, cy, r: 3, fill: s.color }),
        el('title', {}, `${format(buckets[i] ?? 0)} · ${s.name}: ${Number.isInteger(v) ? v : v.toFixed(1)}${unit}`),
      );
      svg.append(point);
    });
  }
  return svg;
}
