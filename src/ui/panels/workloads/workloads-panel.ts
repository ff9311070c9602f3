/**
 * The Workloads panel: redis, memcached or the project's epoll echo server
 * under load in this tab's guest, with live numbers per round and a chart,
 * next to what the benchmark measured natively for the same workload. The
 * worker runs it through the same runOnMachine() as `epoll-lab workload`.
 */
import { benchResults } from '../../app/bench-results.js';
import { h, replaceChildren } from '../../app/dom.js';
import type { GuestCommands } from '../../app/guest-client.js';
import type { Panel } from '../../app/panel.js';
import { WORKLOAD_NAMES, WORKLOADS, type WorkloadName } from '../../../host/core/workloads/definitions.js';
import { MAX_CLIENTS, WARMUP_BATCH_REQUESTS, WARMUP_MAX_BATCHES, WARMUP_TOLERANCE } from '../../../host/core/workloads/on-machine.js';
import type { LoadFigures } from '../../../host/core/workloads/parse.js';
import { latencyText, opsPerSecText } from '../../../host/core/workloads/report.js';
import { throughputChart } from './throughput-chart.js';
import {
  initialWorkloadsState,
  referenceFor,
  ROUNDS,
  soFar,
  workloadsReducer,
  type WorkloadsAction,
} from './workloads-state.js';

/** The largest run the panel offers: minutes of guest time already. */
const MAX_PANEL_REQUESTS = 20_000;


export class WorkloadsPanel implements Panel {
  readonly id = 'workloads';
  readonly title = 'Workloads';
  readonly element = h('div', { className: 'workloads' });
  private state = initialWorkloadsState;
  private ready = false;
  private available: boolean | undefined;

  constructor(private readonly guest: GuestCommands) {
    void benchResults().then((bench) => this.dispatch({ type: 'reference', workloads: bench?.workloads ?? [] }));
    this.render();
  }

  setVisible(): void {}

  setGuestReady(ready: boolean): void {
    this.ready = ready;
    if (ready && this.available === undefined) {
      void this.guest.hasWorkloads().then((available) => {
        this.available = available;
        this.render();
      });
    }
    this.render();
  }

  private async run(): Promise<void> {
    if (this.state.phase === 'running') return;
    this.dispatch({ type: 'start' });
    const { workload, clients, requests, warmupMode } = this.state;
    try {
      const request = { workload, clients, requests, rounds: ROUNDS, warmup: warmupMode };
      const { load } = await this.guest.runWorkload(request, (event) => this.dispatch({ type: 'event', event }));
      this.dispatch({ type: 'done', figures: load });
    } catch (error) {
      this.dispatch({ type: 'failed', message: (error as Error).message });
    }
  }

  private dispatch(action: WorkloadsAction): void {
    this.state = workloadsReducer(this.state, action);
    this.render();
  }

  private render(): void {
    const { state } = this;
    const running = state.phase === 'running';
    const disabled = !this.ready || running || this.available === false;
    const number = (label: string, value: number, max: number, key: 'clients' | 'requests') =>
      h('label', { className: 'label' }, label,
        h('input', {
          className: 'input input-number',
          attrs: { type: 'number', min: key === 'requests' ? ROUNDS : 1, max, step: 1, value, disabled: running, name: key },
          on: {
            change: (event) => {
              const value = Math.round(Number((event.target as HTMLInputElement).value));
              const low = key === 'requests' ? ROUNDS : 1;
              const chosen = Math.min(max, Math.max(low, Number.isFinite(value) ? value : low));
              this.dispatch(key === 'clients' ? { type: 'choose', clients: chosen } : { type: 'choose', requests: chosen });
            },
          },
        }),
      );
    replaceChildren(this.element,
      h('div', { className: 'toolbar' },
        h('label', { className: 'label' }, 'workload',
          h('select', {
            className: 'input',
            attrs: { name: 'workload', disabled: running },
            on: { change: (event) => this.dispatch({ type: 'choose', workload: (event.target as HTMLSelectElement).value as WorkloadName }) },
          }, ...WORKLOAD_NAMES.map((name) => h('option', { attrs: { value: name, selected: name === state.workload } }, name))),
        ),
        number('clients', state.clients, MAX_CLIENTS, 'clients'),
        number('requests', state.requests, MAX_PANEL_REQUESTS, 'requests'),
        h('label', { className: 'label' }, 'warm-up',
          h('select', {
            className: 'input',
            attrs: { name: 'warmup', disabled: running, title: `until steady: batches of ${WARMUP_BATCH_REQUESTS} requests until two in a row are no more than ${WARMUP_TOLERANCE * 100} % faster than the best before them (at most ${WARMUP_MAX_BATCHES})` },
            on: { change: (event) => this.dispatch({ type: 'choose', warmupMode: (event.target as HTMLSelectElement).value as 'steady' | 'brief' }) },
          },
            h('option', { attrs: { value: 'steady', selected: state.warmupMode === 'steady' } }, 'until steady'),
            h('option', { attrs: { value: 'brief', selected: state.warmupMode === 'brief' } }, 'brief'),
          ),
        ),
        h('button', { className: 'button button-primary', attrs: { type: 'button', disabled, 'data-action': 'run-workload' }, on: { click: () => void this.run() } },
          running ? 'running…' : 'Run'),
      ),
      this.available === false
        ? h('p', { className: 'message' }, 'This build has no workloads layer. Run `npm run build:images -- --with-workloads`, then restart `npm start` or rebuild.')
        : null,
      h('p', { className: 'explain' }, WORKLOADS[state.workload].about,
        ` Runs in this tab's guest over loopback: a warm-up (grey bars: v86 compiles hot guest code to WebAssembly as it runs, `,
        'and compiled code is not part of the snapshot, so a fresh guest starts slow), ',
        `then ${ROUNDS} measured rounds of the requests (blue). `,
        `While it runs, the Epoll inspector shows ${WORKLOADS[state.workload].serverName}'s interest list.`),
      h('p', { className: `summary summary-${state.phase === 'failed' ? 'bad' : state.phase === 'done' ? 'good' : 'neutral'}`, attrs: { 'data-testid': 'workload-step' } }, state.step),
      state.error ? h('pre', { className: 'output', attrs: { 'data-testid': 'workload-error' } }, state.error) : null,
      this.renderFigures(),
      state.warmup.length || running ? this.renderChart() : null,
      this.renderReference(),
    );
  }

  private renderChart(): SVGSVGElement {
    const { warmup, rounds } = this.state;
    const values = [
      ...warmup.map((f) => ({ value: f.opsPerSec, kind: 'warmup' as const })),
      ...rounds.map((f) => ({ value: f.opsPerSec, kind: 'round' as const })),
    ];
    return throughputChart(values, warmup.length + ROUNDS, `ops/s per warm-up batch (${warmup.length}) and measured round (${rounds.length} of ${ROUNDS})`);
  }

  private renderFigures(): HTMLElement | null {
    const { state } = this;
    const total = soFar(state);
    const last = state.rounds.at(-1);
    if (!total || !last) return null;
    const row = (label: string, f: LoadFigures, testid: string) =>
      h('tr', { attrs: { 'data-testid': testid } },
        h('td', {}, label),
        h('td', { className: 'num' }, f.ops.toLocaleString('en-US')),
        h('td', { className: 'num' }, opsPerSecText(f.opsPerSec)),
        h('td', { className: 'num' }, latencyText(f.p50Us)),
        h('td', { className: 'num' }, latencyText(f.p99Us)),
      );
    return h('div', {},
      h('table', { className: 'grid' },
        h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { className: 'num' }, 'ops'), h('th', { className: 'num' }, 'ops/s'), h('th', { className: 'num' }, 'p50'), h('th', { className: 'num' }, 'p99'))),
        h('tbody', {},
          row(`round ${state.rounds.length}`, last, 'workload-last-round'),
          row(state.result ? 'all rounds' : 'so far', total, 'workload-total'),
        ),
      ),
      h('p', { className: 'muted' },
        'ops/s over all rounds is their operations over their time; its p50 and p99 are the highest round\'s ',
        '(the load tools report percentiles, not their histograms).'),
    );
  }

  private renderReference(): HTMLElement {
    const { state } = this;
    const reference = referenceFor(state);
    if (!reference) return h('p', { className: 'muted' }, 'No benchmark figures for this workload in this build (`npx epoll-lab bench` makes them).');
    const total = soFar(state);
    const rate = (v: number) => `${opsPerSecText(v)} ops/s`;
    return h('p', { className: 'muted', attrs: { 'data-testid': 'workload-reference' } },
      `The benchmark (${reference.clients} clients × ${reference.requests} requests): ${rate(reference.native.opsPerSec)} natively on its ${reference.host ? `${reference.host.arch} ` : ''}host, `,
      `${rate(reference.guest.opsPerSec)} in the same guest under Node (${(1 / reference.ratio).toFixed(0)}× slower than native).`,
      total ? ` This tab: ${rate(total.opsPerSec)}, ${(reference.native.opsPerSec / total.opsPerSec).toFixed(0)}× below that native figure.` : '',
    );
  }
}
