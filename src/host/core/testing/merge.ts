/**
 * Combining reports from a CI farm: shards of one kernel's run (each a set
 * of whole suites, see shardSuites) and runs of several kernels become one
 * report, with the matrix diff when there is more than one kernel.
 */
import { UsageError } from '../errors.js';
import { matrixDiff, type MatrixReport } from './matrix.js';
import { summarize, type RunReport, type SuiteResult } from './results.js';

/** A parsed JSON report: one kernel's run, or a matrix of them. */
export type AnyReport = RunReport | MatrixReport;

function isMatrix(report: AnyReport): report is MatrixReport {
  return Array.isArray((report as MatrixReport).runs);
}

function isRun(value: unknown): value is RunReport {
  const r = value as RunReport;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.kernel === 'string' &&
    Array.isArray(r.suites) &&
    r.suites.every((s) => typeof s === 'object' && s !== null && typeof s.name === 'string' && Array.isArray(s.cases))
  );
}

/** Checks the shape of one parsed file; `name` is for the message. */
export function asReport(value: unknown, name: string): AnyReport {
  if (isRun(value)) return value;
  const m = value as MatrixReport;
  if (typeof m === 'object' && m !== null && Array.isArray(m.runs) && m.runs.length > 0 && m.runs.every(isRun)) return m;
  throw new UsageError(`${name} is not an epoll-lab JSON report (written by \`epoll-lab test --reporter json\`)`);
}

/** One kernel's run per kernel (by release and source), suites of its shards together in first-seen order. */
export function mergeReports(reports: readonly { readonly name: string; readonly report: AnyReport }[]): RunReport | MatrixReport {
  const byKernel = new Map<string, { run: RunReport; suites: SuiteResult[]; from: Map<string, string> }>();
  for (const { name, report } of reports) {
    for (const run of isMatrix(report) ? report.runs : [report]) {
      const key = `${run.kernel}\0${run.identity?.source ?? ''}\0${run.identity?.configSha256 ?? ''}`;
      const entry = byKernel.get(key) ?? { run, suites: [], from: new Map<string, string>() };
      byKernel.set(key, entry);
      for (const suite of run.suites) {
        const earlier = entry.from.get(suite.name);
        if (earlier) {
          throw new UsageError(`suite ${suite.name} of Linux ${run.kernel} is in both ${earlier} and ${name}; merge shards of one run, not repeated runs`);
        }
        entry.from.set(suite.name, name);
        entry.suites.push(suite);
      }
    }
  }
  if (!byKernel.size) throw new UsageError('report merge needs at least one report file');
  const runs = [...byKernel.values()].map(({ run, suites }) => ({ ...run, suites, summary: summarize(suites) }));
  return runs.length === 1 ? runs[0]! : { runs, diff: matrixDiff(runs) };
}
