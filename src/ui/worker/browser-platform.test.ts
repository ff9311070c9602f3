import { describe, expect, it } from 'vitest';
import { abortWatcher } from './browser-platform.js';

/** An uncaught error as a Worker's global scope dispatches it (an ErrorEvent: cancelable, with .error). */
function uncaught(scope: EventTarget, error: unknown): Event {
  const event = Object.assign(new Event('error', { cancelable: true }), { error });
  scope.dispatchEvent(event);
  return event;
}

describe('emulator aborts in the browser Worker', () => {
  it('go to the watching guests, and not on to the page as a Worker error', () => {
    const scope = new EventTarget();
    const seen: Error[] = [];
    const unwatch = abortWatcher(scope)((error) => seen.push(error));
    const abort = new WebAssembly.RuntimeError('unreachable');
    expect(uncaught(scope, abort).defaultPrevented).toBe(true);
    expect(seen).toEqual([abort]);
    unwatch();
    // No guest left: the browser reports it as it would.
    expect(uncaught(scope, new WebAssembly.RuntimeError('unreachable')).defaultPrevented).toBe(false);
    expect(seen).toHaveLength(1);
  });

  it('leave other errors alone', () => {
    const scope = new EventTarget();
    const seen: Error[] = [];
    abortWatcher(scope)((error) => seen.push(error));
    expect(uncaught(scope, new TypeError('a bug of ours')).defaultPrevented).toBe(false);
    expect(seen).toEqual([]);
  });
});
