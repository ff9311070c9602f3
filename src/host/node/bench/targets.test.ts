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
    timers: { v86: [{ timeoutMs: 1, p50Us: 180, p99Us: 900 }, { timeoutMs: 10, p50Us: 300, p99Us: 2000 }] },
    workloads: [{ workload: 'redis', ratioOneCpu: 1 / 41 }, { workload: 'echo', ratioOneCpu: 1 / 20 }],
    ...overrides,
  } as unknown as Omit<BenchResult, 'targets'>;
}

describe('bench targets', () => {
  it('holds each figure against its target, a value at the target counting as met', () => {
    const rows = new Map(targetsOf(run()).map((r) => [r.figure, r]));
    expect(rows.get('restore → first exec result')).toMatchObject({ value: 120, target: 120, met: true });
    expect(rows.get('cold boot → agent ready')).toMatchObject({ value: 2800, met: false });
    expect(rows.get('kselftest-epoll (wall)')).toMatchObject({ met: true });
    expect(rows.get('stored snapshot')).toMatchObject({ value: 7.9, unit: 'MB', met: false });
    expect(rows.get('exec stdout throughput')).toMatchObject({ kind: 'min', met: true });
    expect(rows.get('exec stdin throughput')).toMatchObject({ kind: 'min', met: false });
    // The 1 ms row, not the 10 ms one.
    expect(rows.get('epoll_wait 1 ms timeout, p50 late by (v86)')).toMatchObject({ value: 180, met: false });
    expect(rows.get('epoll_wait 1 ms timeout, p99 late by (v86)')).toMatchObject({ value: 900, met: true });
    // Workloads as "native is N× the guest".
    expect(rows.get('redis: native on one CPU ÷ guest')!.value).toBeCloseTo(41, 9);
    expect(rows.get('redis: native on one CPU ÷ guest')!.met).toBe(false);
    expect(rows.get('echo: native on one CPU ÷ guest')!.met).toBe(true);
  });

  it('lists a leg the run did not measure as not measured, never as met', () => {
    const rows = new Map(targetsOf(run({ timers: { v86: [] } })).map((r) => [r.figure, r]));
    for (const figure of ['own suites + scull + hello-poll (wall)', 'browser page → shell prompt', 'epoll_wait 1 ms timeout, p50 late by (v86)']) {
      expect(rows.get(figure)).toMatchObject({ value: null, met: null });
    }
  });
});
