import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('delivers what arrived within the delay as one array, at once at the cap', () => {
    const delivered: number[][] = [];
    const batch = new Batcher<number>((items) => delivered.push(items), { delayMs: 20, max: 3 });
    batch.push(1);
    batch.push(2);
    expect(delivered).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(delivered).toEqual([[1, 2]]);
    batch.push(3);
    batch.push(4);
    batch.push(5);
    expect(delivered).toEqual([[1, 2], [3, 4, 5]]);
    // The cap's flush cleared the timer: nothing more arrives later.
    vi.advanceTimersByTime(20);
    expect(delivered).toHaveLength(2);
  });

  it('flushes on demand and forgets what it drops', () => {
    const delivered: string[][] = [];
    const batch = new Batcher<string>((items) => delivered.push(items), { delayMs: 5, max: 100 });
    batch.flush();
    expect(delivered).toEqual([]);
    batch.push('a');
    batch.flush();
    batch.push('b');
    batch.drop();
    vi.advanceTimersByTime(5);
    expect(delivered).toEqual([['a']]);
  });
});
