import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { resolveWorkload, roundSizes } from './on-machine.js';

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
