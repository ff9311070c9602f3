import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { silentLogger } from '../logger.js';
import { WORKLOADS } from './definitions.js';
import { isSteady, resolveWorkload, roundSizes, warmUp, WARMUP_BATCH_REQUESTS } from './on-machine.js';

describe('roundSizes', () => {
  it('splits the requests into nearly equal rounds that add up', () => {
    expect(roundSizes(1000, 1)).toEqual([1000]);
    expect(roundSizes(10, 3)).toEqual([3, 3, 4]);
    expect(roundSizes(1001, 8).reduce((a, b) => a + b, 0)).toBe(1001);
  });

  it('never makes a round of no requests', () => {
    expect(roundSizes(3, 8)).toEqual([1, 1, 1]);
  });
});

describe('resolveWorkload', () => {
  it('names the flag and the allowed range for a bad number', () => {
    expect(() => resolveWorkload({ workload: 'echo', clients: 0 })).toThrow(new UsageError('--clients must be a whole number from 1 to 1000, not 0'));
    expect(() => resolveWorkload({ workload: 'echo', requests: 2.5 })).toThrow(/--requests must be a whole number/);
  });
});

describe('warmUp', () => {
  const base = { clients: 4, requests: 1000, serverArgs: [], logger: silentLogger, definition: WORKLOADS.echo };
  const loads = (rates: number[]) => {
    const asked: number[] = [];
    const load = async (n: number) => {
      asked.push(n);
      return { ops: n, opsPerSec: rates.shift()!, p50Us: 1, p99Us: 2 };
    };
    return { load, asked };
  };

  it('repeats batches until two in a row gain no more than 10 % on the best before them', async () => {
    const { load, asked } = loads([250, 600, 1300, 1500, 1580, 1600, 9999]);
    const seen: number[] = [];
    const warmup = await warmUp(load, base, (batch) => seen.push(batch));
    // 1500 > 1.1 × 1300 still gains; 1580 ≤ 1.1 × 1500 and 1600 ≤ 1.1 × 1580: settled.
    expect(warmup).toEqual({ batchRequests: WARMUP_BATCH_REQUESTS, opsPerSec: [250, 600, 1300, 1500, 1580, 1600], steady: true });
    expect(asked).toEqual(Array(6).fill(WARMUP_BATCH_REQUESTS));
    expect(seen).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('stops at the batch limit and says it never settled', async () => {
    const { load } = loads(Array.from({ length: 20 }, (_, i) => 100 * 2 ** i));
    const warmup = await warmUp(load, base, () => undefined);
    expect(warmup.steady).toBe(false);
    expect(warmup.opsPerSec).toHaveLength(12);
  });

  it('runs one batch of a fifth of the requests when brief', async () => {
    const { load, asked } = loads([250]);
    expect(await warmUp(load, { ...base, warmup: 'brief' }, () => undefined)).toEqual({ batchRequests: 200, opsPerSec: [250], steady: false });
    expect(asked).toEqual([200]);
  });
});

describe('isSteady', () => {
  it('wants the last two rates each within 10 % of the best before them', () => {
    expect(isSteady([100, 105])).toBe(false);
    expect(isSteady([100, 105, 108])).toBe(true);
    // A stalled batch (slower) counts as settled too: it gained nothing.
    expect(isSteady([100, 80, 109])).toBe(true);
    expect(isSteady([100, 105, 120])).toBe(false);
    expect(isSteady([0, 0, 0])).toBe(false);
  });
});
