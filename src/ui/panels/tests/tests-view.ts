/**
 * Words and marks for the Tests panel, derived from its state: what each
 * case row says, and the summary line. Pure, so what a person reads is
 * tested without a DOM.
 */
import { liveSummary, type CaseRow, type CaseState, type TestsState } from './tests-state.js';

const MARKS: Readonly<Record<CaseState, string>> = {
  idle: '·',
  queued: '…',
  running: '▶',
  pass: '✓',
  fail: '✗',
  skip: '↷',
  'not-run': '–',
};

const WORDS: Readonly<Record<CaseState, string>> = {
  idle: '',
  queued: 'queued',
  running: 'running',
  pass: 'pass',
  fail: 'fail',
  skip: 'skip',
  'not-run': 'not run',
};

export interface CaseLine {
  readonly mark: string;
  readonly word: string;
  /** e.g. "12 ms", "1.4 s"; empty when there is no result. */
  readonly duration: string;
  /** The case's output has something to unfold. */
  readonly hasOutput: boolean;
}

export function caseLine(row: CaseRow): CaseLine {
  return {
    mark: MARKS[row.state],
    word: WORDS[row.state],
    duration: row.durationMs === undefined ? '' : formatDuration(row.durationMs),
    hasOutput: Boolean(row.output?.trim()),
  };
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** "3 suites · 41 cases", then during or after a run the counts. */
export function summaryLine(state: TestsState): string {
  if (state.phase === 'empty') return 'Suites are listed once the guest is ready.';
  if (state.phase === 'listing') return state.message ?? 'listing…';
  if (state.phase === 'error') return state.message ?? 'could not list the suites';
  const cases = state.suites.reduce((n, s) => n + s.cases.filter((c) => !c.extra).length, 0);
  const listing = `${state.suites.length} suite${state.suites.length === 1 ? '' : 's'} · ${cases} case${cases === 1 ? '' : 's'}`;
  const live = liveSummary(state);
  const counts = `${live.pass} passed · ${live.fail} failed · ${live.skip} skipped`;
  if (state.phase === 'running') return `${listing} — running: ${counts} · ${live.pending} to go`;
  if (state.lastRun) {
    const { summary, kernel, durationMs } = state.lastRun;
    const verdict = summary.fail ? 'FAILED' : 'passed';
    return `${listing} — last run ${verdict}: ${summary.pass} passed · ${summary.fail} failed · ${summary.skip} skipped on Linux ${kernel} in ${formatDuration(durationMs)}`;
  }
  return state.message ? `${listing} — ${state.message}` : listing;
}
