import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import type { MatrixReport } from './matrix.js';
import { asReport, mergeReports } from './merge.js';
import { summarize, type RunReport, type SuiteResult } from './results.js';

const suite = (name: string, status: 'pass' | 'fail' = 'pass'): SuiteResult => ({
  name,
  cases: [{ name: `${name}_case`, status, durationMs: 1, output: '' }],
});
const run = (kernel: string, suites: SuiteResult[]): RunReport => ({ kernel, suites, summary: summarize(suites) });

describe('report merge', () => {
  it('joins the shards of one kernel into one run', () => {
    const merged = mergeReports([
      { name: 'a.json', report: run('6.1.176', [suite('epoll-ctl')]) },
      { name: 'b.json', report: run('6.1.176', [suite('scull', 'fail')]) },
    ]) as RunReport;
    expect(merged.suites.map((s) => s.name)).toEqual(['epoll-ctl', 'scull']);
    expect(merged.summary).toEqual({ pass: 1, fail: 1, skip: 0 });
  });

  it('makes a matrix with its diff from several kernels, matrix files included', () => {
    const matrix: MatrixReport = { runs: [run('6.12.117', [suite('epoll-ctl')])], diff: [] };
    const merged = mergeReports([
      { name: 'a.json', report: run('6.1.176', [suite('epoll-ctl', 'fail')]) },
      { name: 'm.json', report: matrix },
    ]) as MatrixReport;
    expect(merged.runs.map((r) => r.kernel)).toEqual(['6.1.176', '6.12.117']);
    expect(merged.diff.map((d) => [d.case, d.statuses])).toEqual([['epoll-ctl_case', { '6.1.176': 'fail', '6.12.117': 'pass' }]]);
  });

  it('refuses the same suite of the same kernel twice, and files that are not reports', () => {
    expect(() =>
      mergeReports([
        { name: 'a.json', report: run('6.1.176', [suite('epoll-ctl')]) },
        { name: 'b.json', report: run('6.1.176', [suite('epoll-ctl')]) },
      ]),
    ).toThrow(/suite epoll-ctl of Linux 6.1.176 is in both a.json and b.json/);
    expect(() => asReport({ hello: 1 }, 'x.json')).toThrow(UsageError);
    expect(() => asReport([1, 2], 'x.json')).toThrow(/x.json is not an epoll-lab JSON report/);
  });
});
