import { describe, expect, it } from 'vitest';
import type { BenchResult } from './results.js';
import { targetsOf } from './targets.js';

/** The fields targetsOf reads, as a run might give them. */
function run(overrides: Partial<Record<string, unknown>> = {}): Omit<BenchResult, 'targets'> {
  return {
    restoreToFirstResultMs: 120,
    coldBootMs: 2800,
    suiteWallMs: null,
    kselftestWallMs: 39_000,
    snapshotBytes: { raw: 25e6, stored: 7.9e6 },
    pageStart: null,
    channel: { stdoutMBps: 12.5, stdinMBps: 1.8 },
    timersUnderLoad: { oneMs: { timeoutMs: 1, p50Us: 180, p95Us: 900, trimmedMeanUs: 260 } },
    wholeCommand: { execTrueMs: 600, helpMs: 90, nodeMs: 50 },
    npmTest: { ms: 470_000, exitCode: 0, log: '/tmp/log' },
    workloads: [{ workload: 'redis', ratioOneCpu: 1 / 41 }, { workload: 'echo', ratioOneCpu: 1 / 20 }],
    ...overrides,
  } as unknown as Omit<BenchResult, 'targets'>;
}

describe('bench targets', () => {
  it('holds each figure against its target, a value at the target counting as met', () => {
    const rows = new Map(targetsOf(run()).map((r) => [r.figure, r]));
    expect(rows.get('epoll-lab exec -- true, whole process')).toMatchObject({ value: 600, unit: 'ms', target: 600, met: true });
    expect(rows.get('npm test, warm cache')).toMatchObject({ value: 470, unit: 's', target: 480, met: true });
    expect(rows.get('browser page → shell prompt')).toMatchObject({ target: 800 });
    expect(rows.get('restore → first exec result')).toMatchObject({ value: 120, target: 120, met: true });
    expect(rows.get('cold boot → agent ready')).toMatchObject({ value: 2800, met: false });
    expect(rows.get('kselftest-epoll (wall)')).toMatchObject({ met: true });
    expect(rows.get('stored snapshot')).toMatchObject({ value: 7.9, unit: 'MB', met: false });
    expect(rows.get('exec stdout throughput')).toMatchObject({ kind: 'min', met: true });
    expect(rows.get('exec stdin throughput')).toMatchObject({ kind: 'min', met: false });
    // The timer target is the leg with another guest busy: its trimmed mean and p95, not the p50.
    expect(rows.get('epoll_wait 1 ms timeout, trimmed mean late by (v86, another guest busy)')).toMatchObject({ value: 260, target: 250, met: false });
    expect(rows.get('epoll_wait 1 ms timeout, p95 late by (v86, another guest busy)')).toMatchObject({ value: 900, target: 1000, met: true });
    // Workloads as "native is N× the guest".
    expect(rows.get('redis: native on one CPU ÷ guest')!.value).toBeCloseTo(41, 9);
    expect(rows.get('redis: native on one CPU ÷ guest')!.met).toBe(false);
    expect(rows.get('echo: native on one CPU ÷ guest')!.met).toBe(true);
  });

  it('lists a leg the run did not measure as not measured, never as met', () => {
    // An image whose epoll-bench predates p95 and the trimmed mean; npm test not asked for.
    const older = { oneMs: { timeoutMs: 1, p50Us: 180, p95Us: null, trimmedMeanUs: null } };
    const rows = new Map(targetsOf(run({ timersUnderLoad: older, npmTest: null })).map((r) => [r.figure, r]));
    for (const figure of [
      'own suites + scull + hello-poll (wall)',
      'browser page → shell prompt',
      'npm test, warm cache',
      'epoll_wait 1 ms timeout, trimmed mean late by (v86, another guest busy)',
      'epoll_wait 1 ms timeout, p95 late by (v86, another guest busy)',
    ]) {
      expect(rows.get(figure), figure).toMatchObject({ value: null, met: null });
    }
  });

  it('takes no time from an npm test that failed', () => {
    const rows = new Map(targetsOf(run({ npmTest: { ms: 100_000, exitCode: 1, log: '/tmp/log' } })).map((r) => [r.figure, r]));
    expect(rows.get('npm test, warm cache')).toMatchObject({ value: null, met: null });
  });
});
