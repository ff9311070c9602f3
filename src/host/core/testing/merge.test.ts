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

  it("keeps each shard's guests, one shard after another, and checks their fields", () => {
    const a: RunReport = {
      ...run('6.1.176', [suite('hello-poll'), suite('epoll-ctl')]),
      guests: [
        { suite: 'hello-poll', guest: 'reused' },
        { suite: 'epoll-ctl', guest: 'restored', after: 'hello-poll', reasons: ['module hello_poll still loaded'] },
      ],
    };
    const b: RunReport = { ...run('6.1.176', [suite('scull')]), guests: [{ suite: 'scull', guest: 'reused' }] };
    const merged = mergeReports([
      { name: 'a.json', report: asReport(JSON.parse(JSON.stringify(a)), 'a.json') },
      { name: 'b.json', report: b },
    ]) as RunReport;
    expect(merged.guests).toEqual([...a.guests!, ...b.guests!]);
    expect(() => asReport({ ...b, guests: [{ suite: 'scull', guest: 'warm' }] }, 'b.json')).toThrow(/guests\[0\].guest should be one of "restored", "reused"/);
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

  it('checks every field against the schema and names the first bad one by its path', () => {
    const good = run('6.1.176', [suite('epoll-ctl'), suite('scull')]);
    const bad = (edit: (r: { suites: { cases: unknown[] }[] } & Record<string, unknown>) => void) => {
      const copy = JSON.parse(JSON.stringify(good));
      edit(copy);
      return () => asReport(copy, 'x.json');
    };
    expect(asReport(JSON.parse(JSON.stringify(good)), 'x.json')).toEqual(good);
    expect(bad((r) => ((r.suites[1]!.cases[0] as { status: string }).status = 'failed'))).toThrow(
      /x.json is not an epoll-lab JSON report: suites\[1\].cases\[0\].status should be one of "pass", "fail", "skip", not "failed"/,
    );
    expect(bad((r) => ((r.suites[0]!.cases[0] as { status: string }).status = '__proto__'))).toThrow(/suites\[0\].cases\[0\].status should be one of/);
    expect(bad((r) => (r.suites[0]!.cases[0] = null))).toThrow(/suites\[0\].cases\[0\] should be an object, not null/);
    expect(bad((r) => delete (r.suites[0]!.cases[0] as { durationMs?: number }).durationMs)).toThrow(/cases\[0\].durationMs should be a number of milliseconds, 0 or more, not missing/);
    expect(bad((r) => (r['summary'] = { pass: 1, fail: -1, skip: 0 }))).toThrow(/summary.fail should be a whole number/);
    expect(bad((r) => (r['identity'] = { name: 'x' }))).toThrow(/identity.release should be a string/);
    expect(() => asReport({ runs: [good, { kernel: 1 }], diff: [] }, 'm.json')).toThrow(/m.json is not an epoll-lab JSON report: runs\[1\].kernel should be a string, not 1/);
    expect(() => asReport({ runs: [], diff: [] }, 'm.json')).toThrow(/runs should be a non-empty array/);
    for (const e of [() => asReport(null, 'n.json'), bad((r) => (r.suites[0]!.cases[0] = null))]) expect(e).toThrow(UsageError);
  });

  it('keeps a kernel whose release reads "__proto__" as a kernel in the diff', () => {
    const gated = (applies: boolean): SuiteResult => ({
      name: 's',
      cases: [{ name: 'c', status: 'pass', durationMs: 1, output: '', changes: [{ since: '6.9.0', backports: [], applies, reason: 'why' }] }],
    });
    const merged = mergeReports([
      { name: 'a.json', report: run('__proto__', [gated(true)]) },
      { name: 'b.json', report: run('6.1.176', [gated(false)]) },
    ]) as MatrixReport;
    expect(merged.diff[0]!.changes[0]!.kernels).toEqual(JSON.parse('{"__proto__": true, "6.1.176": false}'));
  });
});
