/**
 * The harness itself, in the guest: crashes, hangs and failures stay in
 * their case, and a run can be narrowed to one case. The suites themselves
 * run on every kernel in matrix.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { KernelGate } from '../src/host/core/testing/kernel-changes.js';
import type { RunReport, SuiteInfo } from '../src/host/core/testing/results.js';
import { listSuites, readSuites, selectSuites } from '../src/host/core/testing/suites.js';
import { startGuest } from '../src/host/node/start-guest.js';
import { runInGuests } from './suites.js';

/** The harness self-check, run once for the cases that read it (and by whichever runs first). */
let selftest: Promise<RunReport> | undefined;
const harnessSelftest = () => (selftest ??= runInGuests({ suites: ['harness-selftest'] }, 'harness-selftest.json'));

describe('the harness', () => {
  it('reports crashing, hanging and failing cases as failures and goes on', async () => {
    const report = await harnessSelftest();
    const status = Object.fromEntries(report.suites[0]!.cases.map((c) => [c.name, c.status]));
    expect(status).toMatchObject({
      crashes_with_sigsegv: 'fail',
      hangs_past_timeout: 'fail',
      fails_an_expectation: 'fail',
      skips_with_reason: 'skip',
      passes_after_the_others: 'pass',
    });
    const crash = report.suites[0]!.cases.find((c) => c.name === 'crashes_with_sigsegv')!;
    expect(crash.output).toMatch(/SIGSEGV/);
  });

  it('runs fixtures and their tables: a case per row, and the teardown even after a failed assertion', async () => {
    const report = await harnessSelftest();
    const cases = new Map(report.suites[0]!.cases.map((c) => [c.name, c]));
    expect([...cases.keys()].filter((n) => n.startsWith('passes_row_'))).toEqual(['passes_row_one', 'passes_row_two']);
    expect(cases.get('passes_row_one')?.status).toBe('pass');
    expect(cases.get('passes_row_two')?.status).toBe('pass');
    const torn = cases.get('fails_in_a_fixture_and_tears_down')!;
    expect(torn.status).toBe('fail');
    expect(torn.output).toContain('teardown saw 42');
    expect(torn.output).not.toContain('must not be printed');
  });

  it('reports the kernel change a case declares, and fails a case that asks one it does not declare', async () => {
    const report = await harnessSelftest();
    const cases = new Map(report.suites[0]!.cases.map((c) => [c.name, c]));
    expect(cases.get('passes_row_one')?.changes).toEqual([
      { since: '99.0.0', backports: ['1.0.1'], applies: false, reason: '99.0 is a release no kernel has' },
    ]);
    const undeclared = cases.get('asks_an_undeclared_gate')!;
    expect(undeclared.status).toBe('fail');
    expect(undeclared.output).toContain('kernel_has(&future_change): the case does not declare this gate');
    expect(undeclared.changes?.map((c) => [c.since, c.applies])).toEqual([['0.1.0', true]]);
  });

  it('lists each gated case with the change it declares, the same change its run reports', async () => {
    const { guest } = await startGuest();
    let listed: SuiteInfo[];
    try {
      listed = await listSuites(guest, selectSuites(await readSuites(guest), ['epoll-create', 'epoll-nesting', 'epoll-params']));
    } finally {
      await guest.dispose();
    }
    const gates = Object.assign({}, ...listed.map((s) => s.gates ?? {})) as Record<string, KernelGate>;
    expect(gates['create_fd_unknown_ioctl']).toMatchObject({ since: '6.9.0', backports: [] });
    expect(gates['nest_depth_6_top_down_eloop']).toMatchObject({ since: '6.17.0', backports: ['6.1.149', '6.12.43'] });
    // every case of epoll-params checks the 6.9 ioctls
    expect(listed.find((s) => s.name === 'epoll-params')!.cases.every((c) => gates[c]?.since === '6.9.0')).toBe(true);
    const run = await runInGuests({ cases: ['create_fd_unknown_ioctl'] }, 'gate.json');
    const { applies: _applies, ...reported } = run.suites[0]!.cases[0]!.changes![0]!;
    expect(reported).toEqual(gates['create_fd_unknown_ioctl']);
  });

  it('runs a single case by name, and --filter narrows a suite', async () => {
    const one = await runInGuests({ suites: ['epoll-ctl'], cases: ['ctl_add_twice_eexist'] }, 'single-case.json');
    expect(one.suites[0]!.cases.map((c) => [c.name, c.status])).toEqual([['ctl_add_twice_eexist', 'pass']]);
    const filtered = await runInGuests({ suites: ['epoll-create'], filter: 'cloexec' }, 'filtered.json');
    const names = filtered.suites[0]!.cases.map((c) => c.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.includes('cloexec'))).toBe(true);
  });
});
