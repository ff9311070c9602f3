/**
 * Small, dependency-free SVG charts for the benchmark: a log-log line chart
 * (the scaling curve) and grouped bars (latencies). Text is escaped; the
 * output is a standalone file that renders in a browser and on GitHub.
 */
import type { BenchResult, Engine, ScalingRow } from './results.js';
import { ENGINES } from './results.js';

const WIDTH = 640;
const HEIGHT = 400;
const PAD = { left: 70, right: 160, top: 40, bottom: 50 };
const COLORS = ['#2563eb', '#93c5fd', '#dc2626', '#fca5a5', '#16a34a', '#86efac'];

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function frame(title: string, body: string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${esc(title)}</text>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}

/** Powers of ten covering [min, max]. */
function decades(min: number, max: number): number[] {
  const out: number[] = [];
  for (let p = Math.floor(Math.log10(min)); p <= Math.ceil(Math.log10(max)); p++) out.push(10 ** p);
  return out;
}

interface Series {
  readonly label: string;
  readonly points: readonly (readonly [number, number])[];
}

function logLogChart(title: string, xLabel: string, yLabel: string, series: readonly Series[]): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const xTicks = decades(Math.min(...xs), Math.max(...xs));
  const yTicks = decades(Math.min(...ys), Math.max(...ys));
  const [x0, x1] = [Math.log10(xTicks[0]!), Math.log10(xTicks.at(-1)!)];
  const [y0, y1] = [Math.log10(yTicks[0]!), Math.log10(yTicks.at(-1)!)];
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const px = (x: number) => PAD.left + ((Math.log10(x) - x0) / (x1 - x0 || 1)) * plotW;
  const py = (y: number) => PAD.top + plotH - ((Math.log10(y) - y0) / (y1 - y0 || 1)) * plotH;
  const body: string[] = [];
  for (const t of xTicks) {
    body.push(`<line x1="${px(t)}" y1="${PAD.top}" x2="${px(t)}" y2="${PAD.top + plotH}" stroke="#e5e7eb"/>`);
    body.push(`<text x="${px(t)}" y="${PAD.top + plotH + 16}" text-anchor="middle">${t}</text>`);
  }
  for (const t of yTicks) {
    body.push(`<line x1="${PAD.left}" y1="${py(t)}" x2="${PAD.left + plotW}" y2="${py(t)}" stroke="#e5e7eb"/>`);
    body.push(`<text x="${PAD.left - 6}" y="${py(t) + 4}" text-anchor="end">${t}</text>`);
  }
  body.push(`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#6b7280"/>`);
  body.push(`<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 12}" text-anchor="middle">${esc(xLabel)}</text>`);
  body.push(`<text transform="translate(16 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">${esc(yLabel)}</text>`);
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const d = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    body.push(`<polyline points="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const [x, y] of s.points) body.push(`<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`);
    const ly = PAD.top + 10 + i * 18;
    body.push(`<line x1="${WIDTH - PAD.right + 12}" y1="${ly}" x2="${WIDTH - PAD.right + 32}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    body.push(`<text x="${WIDTH - PAD.right + 38}" y="${ly + 4}">${esc(s.label)}</text>`);
  });
  return frame(title, body);
}

/** The seeds' claim, drawn: poll/select grow with n, epoll with the number of ready fds. */
export function scalingChart(engine: Engine, rows: readonly ScalingRow[]): string {
  const series: Series[] = [];
  for (const call of ['epoll', 'poll', 'select'] as const) {
    for (const active of [...new Set(rows.map((r) => r.active))].sort((a, b) => a - b)) {
      const points = rows
        .filter((r) => r.active === active)
        .map((r) => [r.n, call === 'epoll' ? r.epollUs : call === 'poll' ? r.pollUs : r.selectUs] as const)
        .filter((p): p is readonly [number, number] => p[1] !== null && p[1] > 0);
      if (points.length) series.push({ label: `${call}, ${active} ready`, points });
    }
  }
  return logLogChart(`Cost per wait call (${engine})`, 'fds registered', 'µs per call', series);
}

/** Round-trip latencies per engine, as grouped bars with their values. */
export function latencyChart(result: BenchResult): string {
  const groups = [
    ['pipe ping-pong', result.pingPongUs],
    ['eventfd wake', result.eventfdUs],
    ['unix echo', result.unixEchoUs],
  ] as const;
  const engines = ENGINES.filter((e) => result.pingPongUs[e] !== null);
  const max = Math.max(...groups.flatMap(([, v]) => engines.map((e) => v[e] ?? 0)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const groupW = plotW / groups.length;
  const barW = (groupW * 0.7) / engines.length;
  const body: string[] = [`<rect x="${PAD.left}" y="${PAD.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#6b7280"/>`];
  groups.forEach(([label, values], g) => {
    engines.forEach((engine, i) => {
      const value = values[engine] ?? 0;
      const h = (value / max) * plotH;
      const x = PAD.left + g * groupW + groupW * 0.15 + i * barW;
      body.push(`<rect x="${x.toFixed(1)}" y="${(PAD.top + plotH - h).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS[i * 2]}"/>`);
      body.push(`<text x="${(x + barW / 2).toFixed(1)}" y="${(PAD.top + plotH - h - 4).toFixed(1)}" text-anchor="middle" font-size="10">${value.toFixed(1)}</text>`);
    });
    body.push(`<text x="${PAD.left + g * groupW + groupW / 2}" y="${PAD.top + plotH + 16}" text-anchor="middle">${esc(label)}</text>`);
  });
  engines.forEach((engine, i) => {
    const ly = PAD.top + 10 + i * 18;
    body.push(`<rect x="${WIDTH - PAD.right + 12}" y="${ly - 6}" width="20" height="10" fill="${COLORS[i * 2]}"/>`);
    body.push(`<text x="${WIDTH - PAD.right + 38}" y="${ly + 4}">${esc(engine)}</text>`);
  });
  body.push(`<text transform="translate(16 ${PAD.top + plotH / 2}) rotate(-90)" text-anchor="middle">µs per round trip</text>`);
  return frame('Latency through epoll, per engine', body);
}
