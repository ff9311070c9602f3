import { describe, expect, it } from 'vitest';
import { matrixDiff, toJunit, toTap } from './reporters.js';
import { summarize, type RunReport, type SuiteResult } from './results.js';

function report(kernel: string, suites: SuiteResult[]): RunReport {
  return { kernel, suites, summary: summarize(suites) };
}

const suites: SuiteResult[] = [
  {
    name: 'epoll-ctl',
    cases: [
      { name: 'add_ok', status: 'pass', durationMs: 12, output: '' },
      { name: 'bad <op>', status: 'fail', durationMs: 3, output: 'got 0 & errno 0\x01' },
      { name: 'pidfd', status: 'skip', durationMs: 1, output: 'SKIP: ENOSYS' },
    ],
  },
];

describe('reporters', () => {
  it('TAP numbers every case across suites and marks skips', () => {
    const tap = toTap(report('6.1.176', suites));
    expect(tap).toContain('1..3');
    expect(tap).toContain('ok 1 epoll-ctl: add_ok');
    expect(tap).toContain('not ok 2 epoll-ctl: bad <op>');
    expect(tap).toContain('ok 3 epoll-ctl: pidfd # SKIP');
  });

  it('JUnit escapes names and output and drops bytes XML cannot hold', () => {
    const xml = toJunit(report('6.1.176', suites));
    expect(xml).toContain('tests="3" failures="1" skipped="1"');
    expect(xml).toContain('name="bad &lt;op&gt;"');
    expect(xml).toContain('<failure message="failed">got 0 &amp; errno 0</failure>');
    expect(xml).toContain('<skipped message="ENOSYS"/>');
  });

  it('matrix diff lists only cases whose status differs, and absent ones', () => {
    const newer: SuiteResult[] = [
      { name: 'epoll-ctl', cases: [suites[0]!.cases[0]!, suites[0]!.cases[1]!, { ...suites[0]!.cases[2]!, status: 'pass' }] },
      { name: 'extra', cases: [{ name: 'x', status: 'pass', durationMs: 0, output: '' }] },
    ];
    expect(matrixDiff([report('6.1', suites), report('6.12', newer)])).toEqual([
      { suite: 'epoll-ctl', case: 'pidfd', statuses: { '6.1': 'skip', '6.12': 'pass' } },
      { suite: 'extra', case: 'x', statuses: { '6.1': 'absent', '6.12': 'pass' } },
    ]);
  });
});
