/**
 * Each figure that has a target (issue 26's table, which replaced issue 14's,
 * and the stdout throughput of issue 14), measured against it in the same run: what `bench --json` puts under
 * `targets` and the summary shows as its first table. A figure this run did
 * not measure is listed with a null value, so a missing leg is never taken
 * for a met target.
 */
import type { BenchResult } from './results.js';

export interface TargetRow {
  readonly figure: string;
  readonly value: number | null;
  readonly unit: 'ms' | 's' | 'MB' | 'MB/s' | 'µs' | '×';
  /** 'max': the value must not exceed the target; 'min': it must reach it. */
  readonly kind: 'max' | 'min';
  readonly target: number;
  /** null when the figure was not measured. */
  readonly met: boolean | null;
}

function row(figure: string, value: number | null | undefined, unit: TargetRow['unit'], kind: TargetRow['kind'], target: number): TargetRow {
  const measured = value ?? null;
  return { figure, value: measured, unit, kind, target, met: measured === null ? null : kind === 'max' ? measured <= target : measured >= target };
}

/** The targets, in the order the summary lists them. `result` is everything but `targets` itself. */
export function targetsOf(result: Omit<BenchResult, 'targets'>): TargetRow[] {
  const loaded = result.timersUnderLoad.oneMs;
  // A failed `npm test` took some time, but not the time a passing one takes.
  const npmTestS = result.npmTest?.exitCode === 0 ? result.npmTest.ms / 1000 : null;
  return [
    row('epoll-lab exec -- true, whole process', result.wholeCommand.execTrueMs, 'ms', 'max', 600),
    row('restore → first exec result', result.restoreToFirstResultMs, 'ms', 'max', 120),
    row('cold boot → agent ready', result.coldBootMs, 'ms', 'max', 1500),
    row('own suites + scull + hello-poll (wall)', result.suiteWallMs, 'ms', 'max', 8000),
    row('kselftest-epoll (wall)', result.kselftestWallMs, 'ms', 'max', 40_000),
    row('stored snapshot', result.snapshotBytes.stored / 1e6, 'MB', 'max', 5),
    row('npm test, warm cache', npmTestS, 's', 'max', 480),
    row('browser page → shell prompt', result.pageStart?.promptMs, 'ms', 'max', 800),
    row('exec stdout throughput', result.channel.stdoutMBps, 'MB/s', 'min', 10),
    row('exec stdin throughput', result.channel.stdinMBps, 'MB/s', 'min', 10),
    row('epoll_wait 1 ms timeout, trimmed mean late by (v86, another guest busy)', loaded.trimmedMeanUs, 'µs', 'max', 250),
    row('epoll_wait 1 ms timeout, p95 late by (v86, another guest busy)', loaded.p95Us, 'µs', 'max', 1000),
    ...result.workloads.map((w) => row(`${w.workload}: native on one CPU ÷ guest`, w.ratioOneCpu > 0 ? 1 / w.ratioOneCpu : null, '×', 'max', 30)),
  ];
}

/** A row's measured value as the summary and the Performance tab print it ("—" when not measured). */
export function targetValueText(row: TargetRow): string {
  if (row.value === null) return '—';
  const digits = row.unit === 'MB' || row.unit === 'MB/s' || row.unit === '×' ? 1 : 0;
  return `${row.value.toFixed(digits)} ${row.unit}`;
}

/** The target itself, e.g. "≤ 120 ms". */
export function targetText(row: TargetRow): string {
  return `${row.kind === 'max' ? '≤' : '≥'} ${row.target} ${row.unit}`;
}

/** Whether the run met it: "yes", "no" or "not measured". */
export function targetMetText(row: TargetRow): string {
  return row.met === null ? 'not measured' : row.met ? 'yes' : 'no';
}
