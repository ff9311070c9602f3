/**
 * The Tests panel's state and how it changes: a reducer over the suite
 * list and the runner's live RunEvents (the core result model), so the
 * panel's logic is testable without a DOM.
 */
import type { CaseResult, CaseStatus, RunEvent, RunReport, SuiteInfo, Summary } from '../../../host/core/testing/results.js';
import type { RunSelection } from '../../../host/core/testing/runner.js';
import { selectsCase, selectsSuite } from '../../../host/core/testing/suites.js';

/** A case as the panel shows it: its last result, or where it stands in the current run. */
export type CaseState = CaseStatus | 'idle' | 'queued' | 'running' | 'not-run';

export interface CaseRow {
  readonly name: string;
  readonly state: CaseState;
  readonly durationMs?: number;
  readonly output?: string;
  /** Reported by the runner but not in the listing (e.g. "prog: incomplete"). */
  readonly extra?: boolean;
}

export interface SuiteRow {
  readonly name: string;
  readonly description: string;
  /** Runs only when named, as in the image's suite list. */
  readonly explicitOnly?: boolean;
  readonly cases: readonly CaseRow[];
  readonly running: boolean;
}

export interface TestsState {
  readonly phase: 'empty' | 'listing' | 'listed' | 'running' | 'error';
  readonly suites: readonly SuiteRow[];
  /** A sentence for the panel's status line (errors, "listing…"). */
  readonly message?: string;
  /** The finished run's summary, or undefined before the first run ends. */
  readonly lastRun?: { readonly summary: Summary; readonly kernel: string; readonly durationMs: number };
  /** Cases whose output is unfolded, as "suite/case". */
  readonly expanded: ReadonlySet<string>;
}

export type TestsAction =
  | { readonly type: 'list-start' }
  | { readonly type: 'list-done'; readonly suites: readonly SuiteInfo[] }
  | { readonly type: 'failed'; readonly message: string }
  | { readonly type: 'run-start'; readonly selection: RunSelection }
  | { readonly type: 'event'; readonly event: RunEvent }
  | { readonly type: 'run-done'; readonly report: RunReport; readonly durationMs: number }
  | { readonly type: 'toggle'; readonly suite: string; readonly case: string }
  | { readonly type: 'clear' };

export const initialTestsState: TestsState = { phase: 'empty', suites: [], expanded: new Set() };

export function testsReducer(state: TestsState, action: TestsAction): TestsState {
  switch (action.type) {
    case 'list-start':
      return { ...state, phase: 'listing', message: 'listing suites…' };
    case 'list-done':
      return {
        phase: 'listed',
        expanded: new Set(),
        suites: action.suites.map((s) => ({
          name: s.name,
          description: s.description,
          ...(s.explicitOnly && { explicitOnly: true }),
          running: false,
          cases: s.cases.map((name) => ({ name, state: 'idle' as const })),
        })),
      };
    case 'failed':
      return { ...state, phase: state.suites.length ? 'listed' : 'error', message: action.message, suites: settle(state.suites) };
    case 'run-start':
      return {
        ...withoutMessage(state),
        phase: 'running',
        suites: state.suites.map((suite) => ({
          ...suite,
          cases: suite.cases.filter((c) => !c.extra).map((c) => (selects(action.selection, suite, c.name) ? { name: c.name, state: 'queued' as const } : c)),
        })),
      };
    case 'event':
      return { ...state, suites: applyEvent(state.suites, action.event) };
    case 'run-done':
      return {
        ...withoutMessage(state),
        phase: 'listed',
        suites: settle(state.suites),
        lastRun: { summary: action.report.summary, kernel: action.report.kernel, durationMs: action.durationMs },
      };
    case 'toggle': {
      const key = `${action.suite}/${action.case}`;
      const expanded = new Set(state.expanded);
      if (!expanded.delete(key)) expanded.add(key);
      return { ...state, expanded };
    }
    case 'clear':
      return initialTestsState;
  }
}

/** Whether a run with this selection includes the case: the core runner's own rules. */
export function selects(selection: RunSelection, suite: Pick<SuiteRow, 'name' | 'explicitOnly'>, name: string): boolean {
  return selectsSuite(suite, selection) && selectsCase(name, selection);
}

function applyEvent(suites: readonly SuiteRow[], event: RunEvent): SuiteRow[] {
  return suites.map((suite) => {
    if (suite.name !== event.suite) return suite;
    switch (event.kind) {
      case 'suite-start':
        return { ...suite, running: true, cases: markFirstQueuedRunning(suite.cases) };
      case 'case':
        return { ...suite, cases: markFirstQueuedRunning(record(suite.cases, event.result)) };
      case 'suite-end':
        return { ...suite, running: false, cases: settleCases(suite.cases) };
    }
  });
}

function record(cases: readonly CaseRow[], result: CaseResult): CaseRow[] {
  const row: CaseRow = { name: result.name, state: result.status, durationMs: result.durationMs, output: result.output };
  const index = cases.findIndex((c) => c.name === result.name && !c.extra);
  if (index < 0) return [...cases, { ...row, extra: true }];
  return cases.map((c, i) => (i === index ? row : c));
}

/** The runner reports cases as they finish; the next queued one is the one running now. */
function markFirstQueuedRunning(cases: readonly CaseRow[]): CaseRow[] {
  const cleared = cases.map((c) => (c.state === 'running' ? { ...c, state: 'queued' as const } : c));
  const next = cleared.findIndex((c) => c.state === 'queued');
  return next < 0 ? cleared : cleared.map((c, i) => (i === next ? { ...c, state: 'running' as const } : c));
}

/** After a run, cases it never reached say so instead of staying queued. */
function settle(suites: readonly SuiteRow[]): SuiteRow[] {
  return suites.map((s) => ({ ...s, running: false, cases: settleCases(s.cases) }));
}

function settleCases(cases: readonly CaseRow[]): CaseRow[] {
  return cases.map((c) => (c.state === 'queued' || c.state === 'running' ? { name: c.name, state: 'not-run' as const } : c));
}

function withoutMessage(state: TestsState): TestsState {
  const { message: _message, ...rest } = state;
  return rest;
}

/** Pass/fail/skip counts over what the panel shows now (live during a run). */
export function liveSummary(state: TestsState): Summary & { readonly pending: number } {
  const counts = { pass: 0, fail: 0, skip: 0, pending: 0 };
  for (const suite of state.suites) {
    for (const c of suite.cases) {
      if (c.state === 'pass' || c.state === 'fail' || c.state === 'skip') counts[c.state]++;
      else if (c.state === 'queued' || c.state === 'running') counts.pending++;
    }
  }
  return counts;
}
