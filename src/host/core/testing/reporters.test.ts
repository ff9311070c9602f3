import { describe, expect, it } from 'vitest';
import { matrixDiff } from './matrix.js';
import { toJunit, toKtap, toMatrixText, toTap } from './reporters.js';
import { parseKernelChanges } from './kernel-changes.js';
import { parseKtap } from './ktap.js';
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

  it("JUnit and TAP carry how run's program ended, its output and its kernel", () => {
    const program = {
      program: 't', args: [], exitCode: null, signal: 'SIGSEGV', timedOut: false, durationMs: 1500, tap: false,
      stdout: 'out <1>', stdoutDroppedBytes: 10, stderr: 'err', stderrDroppedBytes: 0,
    };
    const run: RunReport = { ...report('7.2.13', [{ name: 't', cases: [{ name: 't', status: 'fail', durationMs: 1500, output: '' }] }]), program };
    const xml = toJunit(run);
    expect(xml).toContain('<testsuite name="t" tests="1" failures="1" skipped="0" time="1.500">\n    <properties>');
    expect(xml).toContain('<property name="program.end" value="t was killed by SIGSEGV after 1.5 s"/>');
    expect(xml).toContain('<property name="program.signal" value="SIGSEGV"/>');
    expect(xml).toContain('<system-out>out &lt;1&gt;\n[… 10 more bytes not kept]</system-out>');
    expect(xml).toContain('<system-err>err</system-err>');
    expect(toTap(run)).toContain('# program t was killed by SIGSEGV after 1.5 s\n1..1');
  });

  it('matrix diff lists only cases whose status differs, and absent ones, each with a reason', () => {
    const newer: SuiteResult[] = [
      { name: 'epoll-ctl', cases: [suites[0]!.cases[0]!, suites[0]!.cases[1]!, { ...suites[0]!.cases[2]!, status: 'pass', output: '' }] },
      { name: 'extra', cases: [{ name: 'x', status: 'pass', durationMs: 0, output: '' }] },
    ];
    expect(matrixDiff([report('6.1', suites), report('6.12', newer)])).toEqual([
      { suite: 'epoll-ctl', case: 'pidfd', statuses: { '6.1': 'skip', '6.12': 'pass' }, reasons: ['6.1: SKIP: ENOSYS', '6.12: pass'], changes: [] },
      {
        suite: 'extra',
        case: 'x',
        statuses: { '6.1': 'absent', '6.12': 'pass' },
        reasons: ['6.1: the image has no such case', '6.12: pass'],
        changes: [],
      },
    ]);
  });

  it('matrix diff lists a passing case whose kernel-version gate answered differently, with the gate sentence', () => {
    const gate = (answer: string) =>
      parseKtap(`KTAP version 1\n1..1\n# kernel-change since 6.9.0: ${answer}: 6.9 made unknown ioctls EINVAL\nok 1 unknown_ioctl\n`).cases.map(
        ({ number: _n, ...c }) => c,
      );
    const runs = [
      report('6.1.176', [{ name: 'epoll-create', cases: gate('no') }]),
      report('6.12.117', [{ name: 'epoll-create', cases: gate('yes') }]),
      report('7.2.13', [{ name: 'epoll-create', cases: gate('yes') }]),
    ];
    const diff = matrixDiff(runs);
    expect(diff).toEqual([
      {
        suite: 'epoll-create',
        case: 'unknown_ioctl',
        statuses: { '6.1.176': 'pass', '6.12.117': 'pass', '7.2.13': 'pass' },
        reasons: ['since 6.9: 6.9 made unknown ioctls EINVAL'],
        changes: [
          { since: '6.9.0', backports: [], reason: '6.9 made unknown ioctls EINVAL', kernels: { '6.1.176': false, '6.12.117': true, '7.2.13': true } },
        ],
      },
    ]);
    // The same gate answered alike everywhere is no difference.
    expect(matrixDiff([runs[1]!, runs[2]!])).toEqual([]);
    const text = toMatrixText({ runs, diff });
    expect(text).toMatch(/epoll-create\s+1\/0\/0\s+1\/0\/0\s+1\/0\/0/);
    expect(text).toContain('1 case differs between kernels:');
    expect(text).toContain('since 6.9: 6.9 made unknown ioctls EINVAL');
  });

  it('reads backports from a gate line', () => {
    expect(
      parseKernelChanges('kernel-change since 6.17.0 (backported to 6.1.149, 6.12.41): yes: two-way depth check'),
    ).toEqual([{ since: '6.17.0', backports: ['6.1.149', '6.12.41'], applies: true, reason: 'two-way depth check' }]);
  });

  it('KTAP and JUnit keep a skip reason apart from the diagnostics before it', () => {
    const gated = parseKtap(
      'KTAP version 1\n1..1\n# kernel-change since 6.17.0 (backported to 6.1.149): no: two-way depth check\nok 1 depth # SKIP kernel predates the check\n',
    ).cases.map(({ number: _n, ...c }) => c);
    const run = report('6.1.100', [{ name: 'epoll-nesting', cases: gated }]);
    const ktap = toKtap(run);
    expect(ktap).toContain('    # kernel-change since 6.17.0 (backported to 6.1.149): no: two-way depth check\n    ok 1 depth # SKIP kernel predates the check\n');
    expect(ktap).toMatch(/^KTAP version 1\n# epoll-lab kernel: release=6\.1\.100\n1\.\.1\n/);
    expect(ktap).toContain('ok 1 epoll-nesting\n');
    expect(toJunit(run)).toContain('<skipped message="kernel predates the check"/>');
  });

  it('JUnit holds several kernels in one document', () => {
    const xml = toJunit([report('6.1.176', suites), report('7.2.13', suites)]);
    expect(xml.match(/<\?xml/g)).toHaveLength(1);
    expect(xml).toContain('<testsuite name="6.1.176: epoll-ctl"');
    expect(xml).toContain('<testsuite name="7.2.13: epoll-ctl"');
    expect(xml).toContain('tests="6" failures="2" skipped="2"');
  });
});
