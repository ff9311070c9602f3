/**
 * The harness itself, in the guest: crashes, hangs and failures stay in
 * their case, and a run can be narrowed to one case. The suites themselves
 * run on every kernel in matrix.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runInGuests } from './suites.js';

describe('the harness', () => {
  it('reports crashing, hanging and failing cases as failures and goes on', async () => {
    const report = await runInGuests({ suites: ['harness-selftest'] }, 'harness-selftest.json');
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

  it('runs a single case by name, and --filter narrows a suite', async () => {
    const one = await runInGuests({ suites: ['epoll-ctl'], cases: ['ctl_add_twice_eexist'] }, 'single-case.json');
    expect(one.suites[0]!.cases.map((c) => [c.name, c.status])).toEqual([['ctl_add_twice_eexist', 'pass']]);
    const filtered = await runInGuests({ suites: ['epoll-create'], filter: 'cloexec' }, 'filtered.json');
    const names = filtered.suites[0]!.cases.map((c) => c.name);
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.includes('cloexec'))).toBe(true);
  });
});
