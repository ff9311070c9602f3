import { describe, expect, it } from 'vitest';
import { UsageError } from '../core/errors.js';
import { main, timeoutMs } from './cli.js';

describe('--timeout', () => {
  it('takes decimal seconds, or none', () => {
    expect(timeoutMs('16', 600)).toBe(16_000);
    expect(timeoutMs('2.5', 600)).toBe(2_500);
    expect(timeoutMs('none', 600)).toBe(0);
    expect(timeoutMs(undefined, 600)).toBe(600_000);
  });

  it('refuses what Number() would read in another base or notation', () => {
    for (const bad of ['0x10', '0o20', '0b10000', '1e3', ' 16', '16 ', '+16', '.5', 'Infinity']) {
      expect(() => timeoutMs(bad, 600), bad).toThrow(UsageError);
      expect(() => timeoutMs(bad, 600), bad).toThrow(/--timeout wants decimal seconds/);
    }
  });
});

describe('command names', () => {
  it('an inherited name such as toString is an unknown command (exit 2), not a crash', async () => {
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      expect(await main([name]), name).toBe(2);
    }
  });
});
