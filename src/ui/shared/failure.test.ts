import { describe, expect, it } from 'vitest';
import { GuestCrashedError, GuestHungError, UsageError } from '../../host/core/errors.js';
import { toFailure } from './failure.js';

describe('toFailure', () => {
  it('keeps the class, hint and kernel log of a guest fault', () => {
    const failure = toFailure(new GuestCrashedError('the guest kernel crashed (oops): boom', ['[1.0] Oops: 0002', 'EIP: x'], 'reset'));
    expect(failure).toEqual({
      name: 'GuestCrashedError',
      message: 'the guest kernel crashed (oops): boom',
      hint: 'reset',
      kernelLog: ['[1.0] Oops: 0002', 'EIP: x'],
    });
  });

  it('names an error by the label its class holds, which a minifier that renames the class keeps', () => {
    // What a bundler's renaming looks like: same class, another constructor name.
    const Renamed = class he extends GuestCrashedError {};
    const error = new Renamed('boom', []);
    expect(error.constructor.name).toBe('he');
    expect(toFailure(error).name).toBe('GuestCrashedError');
  });

  it('flattens other errors without a kernel log', () => {
    expect(toFailure(new UsageError('bad', 'do this'))).toEqual({ name: 'UsageError', message: 'bad', hint: 'do this', kernelLog: [] });
    expect(toFailure(new TypeError('x'))).toEqual({ name: 'TypeError', message: 'x', kernelLog: [] });
    expect(toFailure('text')).toEqual({ name: 'Error', message: 'text', kernelLog: [] });
    expect(toFailure(new GuestHungError('silent', [])).name).toBe('GuestHungError');
  });
});
