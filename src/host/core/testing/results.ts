/**
 * The one result model for every suite (own KTAP programs, the kernel's
 * selftests, scull): the CLI reporters, the browser's Tests panel and the
 * bench all read these shapes. The JSON reporter writes them as they are,
 * so field names here are a stable, documented format (README, "Reports").
 */

export type CaseStatus = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  readonly name: string;
  readonly status: CaseStatus;
  readonly durationMs: number;
  /** The case's diagnostic lines (its `#` lines), and the skip reason if any. */
  readonly output: string;
}

export interface SuiteResult {
  readonly name: string;
  readonly cases: readonly CaseResult[];
}

export interface Summary {
  readonly pass: number;
  readonly fail: number;
  readonly skip: number;
}

export interface RunReport {
  /** `uname -r` of the guest kernel the suites ran on. */
  readonly kernel: string;
  readonly suites: readonly SuiteResult[];
  readonly summary: Summary;
}

/** A suite and its cases, as listed before running (for pickers and filters). */
export interface SuiteInfo {
  readonly name: string;
  readonly description: string;
  readonly cases: readonly string[];
}

/** Live progress while suites run. */
export type RunEvent =
  | { readonly kind: 'suite-start'; readonly suite: string; readonly total: number }
  | { readonly kind: 'case'; readonly suite: string; readonly result: CaseResult }
  | { readonly kind: 'suite-end'; readonly suite: string; readonly result: SuiteResult };

export function summarize(suites: readonly SuiteResult[]): Summary {
  const summary = { pass: 0, fail: 0, skip: 0 };
  for (const suite of suites) for (const c of suite.cases) summary[c.status]++;
  return summary;
}
