/**
 * The Performance panel: the latest `epoll-lab bench` run shipped with this
 * build — headline figures as text and the plots as images (same-origin
 * SVG in <img>, which cannot run script).
 */
import { h } from '../../app/dom.js';
import type { Panel } from '../../app/panel.js';
import { opsPerSecText } from '../../../host/core/workloads/report.js';
import { benchResults } from '../../app/bench-results.js';
import { targetMetText, targetText, targetValueText } from '../../../host/node/bench/targets.js';
import { BENCH_ASSETS_DIR, BENCH_PLOTS } from '../../shared/bench-assets.js';

const HOW = 'npx epoll-lab bench --json docs/bench/bench.json --svg docs/bench';

export class PerformancePanel implements Panel {
  readonly id = 'performance';
  readonly title = 'Performance';
  readonly element = h('div', { className: 'performance' });
  private loaded = false;

  setVisible(visible: boolean): void {
    if (visible && !this.loaded) {
      this.loaded = true;
      void this.load();
    }
  }

  setGuestReady(): void {}

  private async load(): Promise<void> {
    const bench = await benchResults();
    if (!bench) {
      this.element.append(h('p', { className: 'muted' }, `No benchmark results in this build. Run \`${HOW}\` and rebuild.`));
      return;
    }
    const ratio = (bench.pingPongUs.v86 / bench.pingPongUs.native).toFixed(0);
    // Runs from before the native legs were built for the host ran the guest's i386 binaries there, and name no architecture.
    const native = bench.host
      ? `Native legs on its ${bench.host.arch} host: ${bench.baseline.text}; the guest is i386.`
      : 'Native legs: the guest\'s i386 binaries, run on that host.';
    this.element.append(
      h('p', { className: 'muted' }, `Measured ${bench.date.slice(0, 10)} on ${bench.machine.cpu} (${bench.machine.cores} cores), v86 ${bench.machine.v86}. ${native}`),
      h('ul', {},
        h('li', {}, `Snapshot restore → first command result: ${Math.round(bench.restoreToFirstResultMs)} ms; cold boot: ${Math.round(bench.coldBootMs)} ms.`),
        h('li', {}, `Pipe ping-pong through epoll_wait: ${bench.pingPongUs.native.toFixed(1)} µs natively, ${bench.pingPongUs.v86.toFixed(0)} µs here (${ratio}×)` +
          (bench.pingPongUs.qemu ? `, ${bench.pingPongUs.qemu.toFixed(0)} µs under QEMU TCG.` : '.')),
        ...(bench.workloads ?? []).map((w) =>
          h('li', {}, `${w.workload} over loopback (${w.clients} clients): ${opsPerSecText(w.guest.opsPerSec)} ops/s in the guest, ` +
            `${opsPerSecText(w.native.opsPerSec)} natively${w.host ? ` on ${w.host.arch}` : ''} (${(1 / w.ratio).toFixed(0)}× slower); run it yourself in the Workloads tab.`)),
      ),
      // Runs from before the targets were recorded have none.
      ...(bench.targets?.length
        ? [
            h('table', { className: 'targets' },
              h('thead', {}, h('tr', {}, ...['figure with a target', 'this run', 'target', 'met'].map((title) => h('th', {}, title)))),
              h('tbody', {}, ...bench.targets.map((row) =>
                h('tr', { attrs: { 'data-met': String(row.met) } },
                  h('td', {}, row.figure), h('td', {}, targetValueText(row)), h('td', {}, targetText(row)), h('td', {}, targetMetText(row))))),
            ),
          ]
        : []),
      ...BENCH_PLOTS.map(({ file, caption }) =>
        h('figure', { className: 'plot' },
          h('img', { attrs: { src: `./${BENCH_ASSETS_DIR}/${file}`, alt: caption, loading: 'lazy' } }),
          h('figcaption', { className: 'muted' }, caption),
        ),
      ),
    );
  }
}
