/**
 * The conformance suites and the scull suite, run the way `epoll-lab test`
 * runs them: each suite in a fresh guest restored from the snapshot.
 */
import { describe, expect, it } from 'vitest';
import { failures, runInGuests } from './suites.js';

const OWN_SUITES = [
  'epoll-abi', 'epoll-create', 'epoll-ctl', 'epoll-events', 'epoll-exclusive', 'epoll-lifetime', 'epoll-limits',
  'epoll-nesting', 'epoll-pwait', 'epoll-targets', 'epoll-triggers', 'epoll-wait', 'epoll-waiters',
];

describe('epoll conformance in the guest kernel', () => {
  it('passes every case of the epoll suites (at least 150)', { timeout: 600_000 }, async () => {
    const report = await runInGuests({ suites: OWN_SUITES }, 'conformance.json');
    expect(failures(report)).toEqual([]);
    expect(report.suites.map((s) => s.name)).toEqual(OWN_SUITES);
    expect(report.summary.pass).toBeGreaterThanOrEqual(150);
  });

  it('passes the scull and hello-poll driver suites', { timeout: 600_000 }, async () => {
    const report = await runInGuests({ suites: ['scull', 'hello-poll'] }, 'drivers.json');
    expect(failures(report)).toEqual([]);
    expect(report.summary.pass).toBeGreaterThanOrEqual(50);
  });
});

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
