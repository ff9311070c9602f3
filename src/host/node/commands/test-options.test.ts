import { describe, expect, it } from 'vitest';
import { UsageError } from '../../core/errors.js';
import { defaultJobs } from '../jobs/parallel-run.js';
import { maxJobs, parseJobs } from './test.js';

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
