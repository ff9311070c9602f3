import { describe, expect, it } from 'vitest';
import type { RunEvent, SuiteInfo } from '../../../host/core/testing/results.js';
import { initialTestsState, liveSummary, selects, testsReducer, type TestsAction, type TestsState } from './tests-state.js';
import { caseLine, summaryLine } from './tests-view.js';

const SUITES: SuiteInfo[] = [
  { name: 'epoll', description: 'epoll semantics', cases: ['create', 'ctl_add', 'et_wakeup'] },
  { name: 'scull', description: 'scull driver', cases: ['open', 'pipe_poll'] },
];

const run = (state: TestsState, ...actions: TestsAction[]) => actions.reduce(testsReducer, state);
const event = (e: RunEvent): TestsAction => ({ type: 'event', event: e });
const listed = run(initialTestsState, { type: 'list-start' }, { type: 'list-done', suites: SUITES });
const states = (state: TestsState, suite: number) => state.suites[suite]!.cases.map((c) => c.state);

describe('testsReducer', () => {
  it('lists suites with idle cases', () => {
    expect(listed.phase).toBe('listed');
    expect(states(listed, 0)).toEqual(['idle', 'idle', 'idle']);
    expect(summaryLine(listed)).toBe('2 suites · 5 cases');
  });

  it('runs one case: only it is queued, then it shows its result', () => {
    const selection = { suites: ['epoll'], cases: ['ctl_add'] };
    let state = run(listed, { type: 'run-start', selection });
    expect(states(state, 0)).toEqual(['idle', 'queued', 'idle']);
    expect(states(state, 1)).toEqual(['idle', 'idle']);
    state = run(state, event({ kind: 'suite-start', suite: 'epoll', total: 1 }));
    expect(states(state, 0)).toEqual(['idle', 'running', 'idle']);
    expect(summaryLine(state)).toBe('2 suites · 5 cases — running: 0 passed · 0 failed · 0 skipped · 1 to go');
    state = run(
      state,
      event({ kind: 'case', suite: 'epoll', result: { name: 'ctl_add', status: 'pass', durationMs: 12, output: '# added\n' } }),
      event({ kind: 'suite-end', suite: 'epoll', result: { name: 'epoll', cases: [] } }),
      { type: 'run-done', report: { kernel: '6.1.176', suites: [], summary: { pass: 1, fail: 0, skip: 0 } }, durationMs: 1400 },
    );
    expect(states(state, 0)).toEqual(['idle', 'pass', 'idle']);
    expect(caseLine(state.suites[0]!.cases[1]!)).toEqual({ mark: '✓', word: 'pass', duration: '12 ms', hasOutput: true });
    expect(summaryLine(state)).toBe('2 suites · 5 cases — last run passed: 1 passed · 0 failed · 0 skipped on Linux 6.1.176 in 1.4 s');
  });

  it('records cases the listing did not have and marks unreached ones', () => {
    let state = run(listed, { type: 'run-start', selection: {} }, event({ kind: 'suite-start', suite: 'epoll', total: 1 }));
    expect(liveSummary(state).pending).toBe(5);
    state = run(
      state,
      event({ kind: 'case', suite: 'epoll', result: { name: 'create', status: 'pass', durationMs: 3, output: '' } }),
      event({ kind: 'case', suite: 'epoll', result: { name: 'epoll: incomplete', status: 'fail', durationMs: 0, output: 'killed by SIGKILL' } }),
      event({ kind: 'suite-end', suite: 'epoll', result: { name: 'epoll', cases: [] } }),
    );
    expect(state.suites[0]!.cases.map((c) => [c.name, c.state, c.extra ?? false])).toEqual([
      ['create', 'pass', false],
      ['ctl_add', 'not-run', false],
      ['et_wakeup', 'not-run', false],
      ['epoll: incomplete', 'fail', true],
    ]);
    expect(states(state, 1)).toEqual(['queued', 'queued']);
    state = run(state, { type: 'failed', message: 'the worker went away' });
    expect(states(state, 1)).toEqual(['not-run', 'not-run']);
    expect(summaryLine(state)).toBe('2 suites · 5 cases — the worker went away');
    // A new run drops the extra rows of the last one.
    state = run(state, { type: 'run-start', selection: { suites: ['scull'] } });
    expect(state.suites[0]!.cases).toHaveLength(3);
  });

  it('toggles a case output open and closed', () => {
    const open = run(listed, { type: 'toggle', suite: 'epoll', case: 'create' });
    expect(open.expanded.has('epoll/create')).toBe(true);
    expect(run(open, { type: 'toggle', suite: 'epoll', case: 'create' }).expanded.size).toBe(0);
  });

  it('says why listing failed', () => {
    const failed = run(initialTestsState, { type: 'list-start' }, { type: 'failed', message: 'the guest image has no suites.json' });
    expect(failed.phase).toBe('error');
    expect(summaryLine(failed)).toBe('the guest image has no suites.json');
  });
});

describe('selects', () => {
  const epoll = { name: 'epoll' };
  it('follows the runner: suites, then exact cases, then a filter', () => {
    expect(selects({}, epoll, 'create')).toBe(true);
    expect(selects({ suites: ['scull'] }, epoll, 'create')).toBe(false);
    expect(selects({ suites: ['epoll'], cases: ['create'] }, epoll, 'ctl_add')).toBe(false);
    expect(selects({ filter: 'ctl' }, epoll, 'ctl_add')).toBe(true);
  });

  it('Run all leaves out what the runner leaves out: a suite that runs only when named, an excluded one', () => {
    const harness = { name: 'harness-selftest', explicitOnly: true };
    expect(selects({}, harness, 'crashes_with_sigsegv')).toBe(false);
    expect(selects({ suites: ['harness-selftest'] }, harness, 'crashes_with_sigsegv')).toBe(true);
    expect(selects({ exclude: ['epoll'] }, epoll, 'create')).toBe(false);
  });

  it('queues nothing of an explicit-only suite on Run all, so nothing ends as "not run"', () => {
    const withHarness = run(initialTestsState, {
      type: 'list-done',
      suites: [...SUITES, { name: 'harness-selftest', description: 'the harness', cases: ['crashes_with_sigsegv'], explicitOnly: true }],
    });
    const state = run(withHarness, { type: 'run-start', selection: {} });
    expect(states(state, 2)).toEqual(['idle']);
    expect(states(state, 0)).toEqual(['queued', 'queued', 'queued']);
  });
});
