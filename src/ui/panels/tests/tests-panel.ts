/**
 * The Tests panel: the suites the guest image carries, run all, a suite or
 * one case; results arrive live from the core runner, each suite in a
 * fresh guest restored beside the interactive one.
 */
import type { GuestCommands } from '../../app/guest-client.js';
import { h, replaceChildren } from '../../app/dom.js';
import type { Panel } from '../../app/panel.js';
import type { RunSelection } from '../../../host/core/testing/runner.js';
import { initialTestsState, testsReducer, type CaseRow, type SuiteRow, type TestsAction, type TestsState } from './tests-state.js';
import { caseLine, summaryLine } from './tests-view.js';

export class TestsPanel implements Panel {
  readonly id = 'tests';
  readonly title = 'Tests';
  readonly element = h('div', { className: 'tests' });
  private state = initialTestsState;
  private ready = false;
  private visible = false;

  constructor(private readonly guest: GuestCommands) {
    this.render();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    this.listIfNeeded();
  }

  setGuestReady(ready: boolean): void {
    this.ready = ready;
    this.listIfNeeded();
    this.render();
  }

  /** The guest moved to another kernel: its image may list other cases, and old results are not its. */
  forgetResults(): void {
    this.state = initialTestsState;
    this.render();
  }

  private listIfNeeded(): void {
    if (this.visible && this.ready && (this.state.phase === 'empty' || this.state.phase === 'error')) void this.list();
  }

  private async list(): Promise<void> {
    this.dispatch({ type: 'list-start' });
    try {
      this.dispatch({ type: 'list-done', suites: await this.guest.listSuites() });
    } catch (error) {
      this.dispatch({ type: 'failed', message: (error as Error).message });
    }
  }

  private async run(selection: RunSelection): Promise<void> {
    if (this.state.phase === 'running') return;
    this.dispatch({ type: 'run-start', selection });
    const began = performance.now();
    try {
      const report = await this.guest.runSuites(selection, (event) => this.dispatch({ type: 'event', event }));
      this.dispatch({ type: 'run-done', report, durationMs: performance.now() - began });
    } catch (error) {
      this.dispatch({ type: 'failed', message: `the run stopped: ${(error as Error).message}` });
    }
  }

  private dispatch(action: TestsAction): void {
    this.state = testsReducer(this.state, action);
    this.render();
  }

  private render(): void {
    const { state } = this;
    const busy = !this.ready || state.phase === 'running' || state.phase === 'listing';
    const toolbar = h('div', { className: 'toolbar' },
      h('button', { className: 'button button-primary', attrs: { type: 'button', disabled: busy || state.suites.length === 0, 'data-action': 'run-all' }, on: { click: () => void this.run({}) } }, 'Run all'),
      h('button', { className: 'button', attrs: { type: 'button', disabled: busy }, on: { click: () => void this.list() } }, 'Reload list'),
    );
    const summary = h('p', { className: `summary summary-${summaryTone(state)}`, attrs: { 'data-testid': 'tests-summary' } }, summaryLine(state));
    replaceChildren(this.element,
      toolbar,
      summary,
      h('p', { className: 'explain' },
        'Each suite runs in a fresh guest restored from the same snapshot, so one suite cannot disturb the next or your shell. ',
        'Results are KTAP, parsed by the same runner the CLI uses.'),
      ...state.suites.map((suite) => this.renderSuite(suite, busy)),
    );
  }

  private renderSuite(suite: SuiteRow, busy: boolean): HTMLElement {
    return h('section', { className: 'suite', attrs: { 'data-suite': suite.name } },
      h('header', { className: 'suite-head' },
        h('span', { className: 'suite-name' }, suite.name),
        h('span', { className: 'suite-desc' }, suite.description),
        h('button', { className: 'button button-small', attrs: { type: 'button', disabled: busy }, on: { click: () => void this.run({ suites: [suite.name] }) } }, suite.running ? 'running…' : 'Run suite'),
      ),
      h('ul', { className: 'cases' }, ...suite.cases.map((row) => this.renderCase(suite, row, busy))),
    );
  }

  private renderCase(suite: SuiteRow, row: CaseRow, busy: boolean): HTMLElement {
    const line = caseLine(row);
    const open = this.state.expanded.has(`${suite.name}/${row.name}`);
    return h('li', { className: 'case', attrs: { 'data-case': row.name, 'data-state': row.state } },
      h('button', {
        className: 'case-name',
        attrs: { type: 'button', 'aria-expanded': line.hasOutput ? String(open) : undefined, disabled: !line.hasOutput, title: line.hasOutput ? 'show output' : undefined },
        on: { click: () => this.dispatch({ type: 'toggle', suite: suite.name, case: row.name }) },
      }, h('span', { className: 'case-mark' }, line.mark), row.name),
      h('span', { className: 'case-word' }, line.word),
      h('span', { className: 'case-duration' }, line.duration),
      row.extra
        ? h('span', {})
        : h('button', {
            className: 'button button-small case-run',
            attrs: { type: 'button', disabled: busy, title: `run only ${row.name}` },
            on: { click: () => void this.run({ suites: [suite.name], cases: [row.name] }) },
          }, 'Run'),
      open ? h('pre', { className: 'case-output' }, row.output ?? '') : null,
    );
  }
}

function summaryTone(state: TestsState): 'neutral' | 'good' | 'bad' {
  if (state.phase === 'error') return 'bad';
  if (state.phase !== 'listed' || !state.lastRun) return 'neutral';
  return state.lastRun.summary.fail ? 'bad' : 'good';
}
