import { describe, expect, it } from 'vitest';
import type { CaseResult } from './results.js';
import type { RunPlan } from './runner.js';
import { joinParts, nextUnit, planUnits, splitCases } from './schedule.js';
import type { SuiteDefinition } from './suites.js';

const ktap = (name: string): SuiteDefinition => ({ name, description: '', format: 'ktap', programs: [`/t/${name}`], timeoutMs: 1000 });
const kselftest: SuiteDefinition = { name: 'kselftest-epoll', description: '', format: 'kselftest', programs: ['/t/ks'], timeoutMs: 1000 };
const listed = ['global.epoll1', 'global.epoll2', 'global.epoll60', 'global.epoll61', 'global.epoll62'];
const result = (name: string, status: CaseResult['status'] = 'pass'): CaseResult => ({ name, status, durationMs: 1, output: '' });

describe('schedule', () => {
  it('hands out the longest work first, from an earlier run when there is one, else from the static estimates', () => {
    const plan: RunPlan = { kernel: '6.1.176', suites: [ktap('epoll-abi'), ktap('scull'), ktap('epoll-ctl')] };
    expect(planUnits(plan, { jobs: 2 }).map((u) => u.suite.name)).toEqual(['scull', 'epoll-abi', 'epoll-ctl']);
    const durations = { 'epoll-abi': { a: 100 }, scull: { b: 50 }, 'epoll-ctl': { c: 900, d: 300 } };
    expect(planUnits(plan, { jobs: 2, durations }).map((u) => [u.suite.name, u.expectedMs])).toEqual([
      ['epoll-ctl', 1700],
      ['epoll-abi', 600],
      ['scull', 550],
    ]);
  });

  it("cuts the kernel's selftest into one part per job, of about equal time, each naming its tests", () => {
    const durations = { 'kselftest-epoll': { 'global.epoll1': 100, 'global.epoll2': 100, 'global.epoll60': 40_000, 'global.epoll61': 15_000, 'global.epoll62': 100 } };
    const plan: RunPlan = { kernel: '6.1.176', suites: [ktap('epoll-abi'), kselftest] };
    const units = planUnits(plan, { jobs: 2, durations, listed: new Map([['kselftest-epoll', listed]]) });
    expect(units.map((u) => [u.suite.name, u.part, u.parts, u.programCases?.get('/t/ks')])).toEqual([
      ['kselftest-epoll', 0, 2, ['global.epoll60']],
      ['kselftest-epoll', 1, 2, ['global.epoll1', 'global.epoll2', 'global.epoll61', 'global.epoll62']],
      ['epoll-abi', 0, 1, undefined],
    ]);
    // One job, or no listing: the suite stays whole.
    expect(planUnits(plan, { jobs: 1, durations, listed: new Map([['kselftest-epoll', listed]]) }).map((u) => u.parts)).toEqual([1, 1]);
    expect(planUnits(plan, { jobs: 2, durations }).map((u) => u.parts)).toEqual([1, 1]);
  });

  it('splits only the named cases when the selection names some', () => {
    const plan: RunPlan = { kernel: '6.1.176', suites: [kselftest], programCases: new Map([['/t/ks', ['global.epoll2', 'global.epoll1']]]) };
    const units = planUnits(plan, { jobs: 4, listed: new Map([['kselftest-epoll', listed]]) });
    expect(units.map((u) => u.programCases?.get('/t/ks'))).toEqual([['global.epoll2'], ['global.epoll1']]);
  });

  it('balances parts by expected time', () => {
    const ms: Record<string, number> = { a: 10, b: 9, c: 5, d: 4, e: 1 };
    expect(splitCases(['a', 'b', 'c', 'd', 'e'], 2, (n) => ms[n]!)).toEqual([['a', 'd', 'e'], ['b', 'c']]);
    expect(splitCases(['a'], 3, () => 1)).toEqual([['a']]);
  });

  it('joins the parts of a suite in listed order, with what no list names after them', () => {
    const joined = joinParts('kselftest-epoll', listed, [
      { name: 'kselftest-epoll', cases: [result('global.epoll60'), result('epoll_wakeup_test: incomplete', 'fail')] },
      { name: 'kselftest-epoll', cases: [result('global.epoll1'), result('global.epoll62'), result('global.epoll2')] },
    ]);
    expect(joined.cases.map((c) => c.name)).toEqual(['global.epoll1', 'global.epoll2', 'global.epoll60', 'global.epoll62', 'epoll_wakeup_test: incomplete']);
  });

  it("keeps a worker on its guest's kernel while that kernel's next unit is at least half as long as the longest", () => {
    const pending = [
      { kernel: '6.12', unit: { expectedMs: 10_000 } },
      { kernel: '7.2', unit: { expectedMs: 9_000 } },
      { kernel: '6.1', unit: { expectedMs: 6_000 } },
      { kernel: '6.1', unit: { expectedMs: 1_000 } },
    ];
    expect(nextUnit(pending, undefined)).toBe(0);
    expect(nextUnit(pending, '6.12')).toBe(0);
    expect(nextUnit(pending, '7.2')).toBe(1);
    expect(nextUnit(pending, '6.1')).toBe(2);
    // Nothing long enough of its own kernel, or none at all: the longest.
    expect(nextUnit(pending.slice(1).map((t, i) => (i === 1 ? { ...t, unit: { expectedMs: 4_000 } } : t)), '6.1')).toBe(0);
    expect(nextUnit(pending, '5.10')).toBe(0);
    expect(nextUnit([], '6.1')).toBe(0);
  });
});
