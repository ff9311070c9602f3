/**
 * Combining reports from a CI farm: shards of one kernel's run (each a set
 * of whole suites, see shardSuites) and runs of several kernels become one
 * report, with the matrix diff when there is more than one kernel.
 */
import { UsageError } from '../errors.js';
import { matrixDiff, type MatrixReport } from './matrix.js';
import { checkReport, ReportSchemaError } from './report-schema.js';
import { summarize, type GuestUse, type RunReport, type SuiteResult } from './results.js';

/** A parsed JSON report: one kernel's run, or a matrix of them. */
export type AnyReport = RunReport | MatrixReport;

function isMatrix(report: AnyReport): report is MatrixReport {
  return Array.isArray((report as MatrixReport).runs);
}

/** Checks one parsed file against the report's schema; `name` is for the message, which names the bad field. */
export function asReport(value: unknown, name: string): AnyReport {
  try {
    return checkReport(value);
  } catch (error) {
    if (!(error instanceof ReportSchemaError)) throw error;
    throw new UsageError(
      `${name} is not an epoll-lab JSON report: ${error.message}`,
      'report merge takes the files `epoll-lab test --reporter json` writes, unedited',
    );
  }
}

/** One kernel's run per kernel (by release and source), suites of its shards together in first-seen order. */
export function mergeReports(reports: readonly { readonly name: string; readonly report: AnyReport }[]): RunReport | MatrixReport {
  const byKernel = new Map<string, { run: RunReport; suites: SuiteResult[]; guests: GuestUse[]; from: Map<string, string> }>();
  for (const { name, report } of reports) {
    for (const run of isMatrix(report) ? report.runs : [report]) {
      const key = `${run.kernel}\0${run.identity?.source ?? ''}\0${run.identity?.configSha256 ?? ''}`;
      const entry = byKernel.get(key) ?? { run, suites: [], guests: [], from: new Map<string, string>() };
      byKernel.set(key, entry);
      entry.guests.push(...(run.guests ?? []));
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
  // Each shard's guests, one shard after another.
  const runs = [...byKernel.values()].map(({ run, suites, guests }) => ({ ...run, suites, summary: summarize(suites), ...(guests.length && { guests }) }));
  return runs.length === 1 ? runs[0]! : { runs, diff: matrixDiff(runs) };
}
