import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { toSharePath } from './guest.js';

describe('toSharePath', () => {
  it('maps guest paths and relative paths into the share', () => {
    expect(toSharePath('/mnt/host/a.out')).toBe('/a.out');
    expect(toSharePath('dir/./file')).toBe('/dir/file');
  });

  it.each(['/etc/passwd', '../x', '/mnt/host/../etc', '/mnt/host/', ''])('refuses %j', (path) => {
    expect(() => toSharePath(path)).toThrow(UsageError);
  });
});
