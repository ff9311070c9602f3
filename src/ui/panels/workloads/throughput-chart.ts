/**
 * The Workloads panel's chart: one bar per warm-up batch (muted) and per
 * measured round (ops/s), drawn
 * as SVG elements (no markup strings, so nothing from the guest is ever
 * parsed). The geometry is a pure function, tested on its own.
 */

/** A bar to draw: a warm-up batch or a measured round. */
export interface ChartValue {
  readonly value: number;
  readonly kind: 'warmup' | 'round';
}

export interface ChartBar extends ChartValue {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Its label under the axis: w1, w2… for warm-up batches, 1, 2… for rounds. */
  readonly label: string;
}

export interface ChartLayout {
  readonly bars: readonly ChartBar[];
  /** The value the top of the plot stands for. */
  readonly max: number;
}

export const CHART = { width: 400, height: 140, left: 44, bottom: 18, top: 8 } as const;

/** Bars for `values` in `slots` equal slots (slots ≥ values: empty slots are rounds still to come). */
export function layoutBars(values: readonly ChartValue[], slots: number): ChartLayout {
  const max = niceCeiling(Math.max(0, ...values.map((v) => v.value)));
  const plotWidth = CHART.width - CHART.left;
  const plotHeight = CHART.height - CHART.bottom - CHART.top;
  const slot = plotWidth / Math.max(1, slots, values.length);
  let warmups = 0;
  let rounds = 0;
  const bars = values.map(({ value, kind }, i) => {
    const height = max > 0 ? (value / max) * plotHeight : 0;
    const label = kind === 'warmup' ? `w${++warmups}` : String(++rounds);
    return { x: CHART.left + i * slot + slot * 0.15, y: CHART.top + plotHeight - height, width: slot * 0.7, height, value, kind, label };
  });
  return { bars, max };
}

/** 1, 2 or 5 times a power of ten, at least v (0 stays 0). */
export function niceCeiling(v: number): number {
  if (v <= 0) return 0;
  const power = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * power).find((c) => c >= v)!;
}

const SVG = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) element.setAttribute(name, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

/** The chart as an <svg> element; `label` describes it for screen readers. */
export function throughputChart(values: readonly ChartValue[], slots: number, label: string): SVGSVGElement {
  const { bars, max } = layoutBars(values, slots);
  const root = svg('svg', { viewBox: `0 0 ${CHART.width} ${CHART.height}`, role: 'img', 'aria-label': label, class: 'chart' });
  const baseline = CHART.height - CHART.bottom;
  root.append(
    svg('line', { x1: CHART.left, y1: baseline, x2: CHART.width, y2: baseline, class: 'chart-axis' }),
    svg('line', { x1: CHART.left, y1: CHART.top, x2: CHART.width, y2: CHART.top, class: 'chart-grid' }),
    svg('text', { x: CHART.left - 4, y: CHART.top + 4, 'text-anchor': 'end', class: 'chart-label' }, max.toLocaleString('en-US')),
    svg('text', { x: CHART.left - 4, y: baseline, 'text-anchor': 'end', class: 'chart-label' }, '0'),
    svg('text', { x: 2, y: CHART.top + (baseline - CHART.top) / 2, class: 'chart-label' }, 'ops/s'),
  );
  for (const bar of bars) {
    const rect = svg('rect', { x: bar.x, y: bar.y, width: bar.width, height: bar.height, class: bar.kind === 'warmup' ? 'chart-warmup' : 'chart-bar' });
    const what = bar.kind === 'warmup' ? `warm-up batch ${bar.label.slice(1)} (not counted)` : `round ${bar.label}`;
    rect.append(svg('title', {}, `${what}: ${Math.round(bar.value)} ops/s`));
    root.append(rect, svg('text', { x: bar.x + bar.width / 2, y: CHART.height - 4, 'text-anchor': 'middle', class: 'chart-label' }, bar.label));
  }
  return root;
}
