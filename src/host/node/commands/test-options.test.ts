import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.js';
import { defaultJobs } from '../jobs/parallel-run.js';
import { MAX_SHARDS, maxJobs, parseJobs, parseShard } from './test-options.js';

describe('--jobs', () => {
  it('takes a whole number from 1 to four per core', () => {
    expect(parseJobs(undefined)).toBeUndefined();
    expect(parseJobs('1')).toBe(1);
    expect(maxJobs()).toBe(4 * defaultJobs());
    expect(parseJobs(String(maxJobs()))).toBe(maxJobs());
  });

  it('refuses what is not a count of guests, naming it', () => {
    for (const bad of ['0', 'two', '1.5', '-1', '']) {
      expect(() => parseJobs(bad), bad).toThrow(UsageError);
      expect(() => parseJobs(bad), bad).toThrow(/a whole number of 1 or more/);
    }
  });

  it('refuses more guests than the machine can run usefully, instead of starting one per suite', () => {
    expect(() => parseJobs(String(maxJobs() + 1))).toThrow(new RegExp(`at most ${maxJobs()} \\(four per core`));
    expect(() => parseJobs('1000')).toThrow(UsageError);
  });
});

describe('--shard', () => {
  it('takes K/N with 1 <= K <= N, up to MAX_SHARDS', () => {
    expect(parseShard('1/2')).toEqual({ index: 1, count: 2 });
    expect(parseShard(`${MAX_SHARDS}/${MAX_SHARDS}`)).toEqual({ index: MAX_SHARDS, count: MAX_SHARDS });
  });

  it('refuses numbers too large to be exact and shards past the bound, naming it', () => {
    for (const bad of ['1/99999999999999999999', `1/${MAX_SHARDS + 1}`, '0/2', '3/2', '1/0', '1/2/3', ' 1/2', '0x1/2']) {
      expect(() => parseShard(bad), bad).toThrow(UsageError);
      expect(() => parseShard(bad), bad).toThrow(`--shard wants K/N with 1 <= K <= N <= ${MAX_SHARDS} (e.g. 1/2), not ${JSON.stringify(bad)}`);
    }
  });
});
