import { describe, expect, it } from 'vitest';
import { GuestCrashedError, GuestDisposedError, GuestHungError, ImageMismatchError, UsageError } from './errors.js';

describe('typed errors', () => {
  it('carry their own names, which survive minified class names', () => {
    const errors = [
      new GuestCrashedError('c', ['log']),
      new GuestHungError('h', []),
      new GuestDisposedError('d'),
      new ImageMismatchError('m', 'run build'),
      new UsageError('u'),
    ];
    expect(errors.map((e) => e.name)).toEqual(['GuestCrashedError', 'GuestHungError', 'GuestDisposedError', 'ImageMismatchError', 'UsageError']);
    expect(String(errors[3])).toBe('ImageMismatchError: m');
    expect(errors[3]!.hint).toBe('run build');
  });
});
