import { describe, expect, it } from 'vitest';
import type { WorkloadJson } from '../../../host/core/workloads/report.js';
import { layoutBars, niceCeiling } from './throughput-chart.js';
import { initialWorkloadsState, referenceFor, soFar, workloadsReducer, type WorkloadsAction } from './workloads-state.js';

const round = (ops: number, opsPerSec: number) => ({ ops, opsPerSec, p50Us: 1000, p99Us: 5000 });
const run = (...actions: WorkloadsAction[]) => actions.reduce(workloadsReducer, initialWorkloadsState);

describe('the Workloads panel state', () => {
  it('says where the run is, collects rounds and combines them', () => {
    const state = run(
      { type: 'choose', workload: 'echo', clients: 2, requests: 16 },
      { type: 'start' },
      { type: 'event', event: { kind: 'download', loaded: 3_100_000, total: 7_400_000 } },
    );
    expect(state.step).toBe('downloading the workloads layer: 3.1 of 7.4 MB');
    const actions: WorkloadsAction[] = [
      { type: 'event', event: { kind: 'phase', phase: 'starting' } },
      { type: 'event', event: { kind: 'round', round: 1, rounds: 2, figures: round(8, 400) } },
      { type: 'event', event: { kind: 'round', round: 2, rounds: 2, figures: round(8, 200) } },
    ];
    const after = actions.reduce(workloadsReducer, state);
    expect(after.step).toBe('round 2 of 2: 200 ops/s');
    expect(after.rounds).toHaveLength(2);
    // 16 operations in 0.02 s + 0.04 s.
    expect(soFar(after)!.opsPerSec).toBeCloseTo(266.67, 1);
  });

  it('keeps the choice fixed while a run is going, and starts the next run empty', () => {
    const running = run({ type: 'start' }, { type: 'event', event: { kind: 'round', round: 1, rounds: 8, figures: round(100, 300) } });
    expect(workloadsReducer(running, { type: 'choose', workload: 'echo' }).workload).toBe('redis');
    const failed = workloadsReducer(running, { type: 'failed', message: 'redis-server in the guest: exited with status 1' });
    expect(failed).toMatchObject({ phase: 'failed', error: 'redis-server in the guest: exited with status 1' });
    const again = workloadsReducer(failed, { type: 'start' });
    expect(again.rounds).toEqual([]);
    expect(again.error).toBeUndefined();
  });

  it('ignores progress that arrives after the run ended', () => {
    const done = run({ type: 'start' }, { type: 'done', figures: round(10, 10) });
    expect(workloadsReducer(done, { type: 'event', event: { kind: 'phase', phase: 'stopping' } })).toBe(done);
  });

  it('finds the benchmark figures of the chosen workload', () => {
    const echo = { workload: 'echo', clients: 4, requests: 1000 } as WorkloadJson;
    const state = run({ type: 'reference', workloads: [echo] }, { type: 'choose', workload: 'echo' });
    expect(referenceFor(state)).toBe(echo);
    expect(referenceFor(workloadsReducer(state, { type: 'choose', workload: 'redis' }))).toBeUndefined();
  });
});

describe('the throughput chart', () => {
  it('scales to a round ceiling and leaves slots for rounds to come', () => {
    expect([niceCeiling(0), niceCeiling(7), niceCeiling(130), niceCeiling(400), niceCeiling(501)]).toEqual([0, 10, 200, 500, 1000]);
    const { bars, max } = layoutBars([{ value: 100, kind: 'warmup' }, { value: 400, kind: 'round' }], 8);
    expect(bars.map((b) => b.label)).toEqual(['w1', '1']);
    expect(max).toBe(500);
    expect(bars[1]!.height / bars[0]!.height).toBeCloseTo(4);
    // Two of eight slots used: the second bar starts one slot after the first.
    expect(bars[1]!.x - bars[0]!.x).toBeCloseTo((400 - 44) / 8);
  });
});
