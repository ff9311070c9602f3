/**
 * When v86 runs the guest again after the guest went idle, in Node.
 *
 * v86 runs the guest in slices from the event loop. When the guest halts
 * (Linux idle, waiting for its next timer) v86 asks to be called back in
 * `ms`, the time until its next timer interrupt (the PIT in our guest), and
 * in Node it does so with setImmediate() below 1 ms and setTimeout(ms)
 * from 1 ms. Node truncates a timeout to whole milliseconds and libuv
 * sleeps in whole milliseconds plus the kernel's timer slack, so a wake-up
 * 1–2 ms away lands anywhere from about 1 ms early to 1 ms late: a guest
 * program's 1 ms epoll_wait timeout typically (its slack makes it a little
 * over 1 ms) woke 0.2–0.3 ms late where natively it is 0.06 ms, and that
 * is what made the guest's timeouts overshoot (README, "Time in the guest";
 * `epoll-lab bench` measures both schedulings in the same run).
 *
 * Instead, setTimeout() only covers what lies more than SPIN_MARGIN_MS
 * ahead, which it cannot overshoot, and the last stretch is polled with
 * setImmediate(), which lets I/O run between polls, so the interrupt is
 * raised within a few microseconds of its time. The price is host CPU
 * spent polling: up to about 2 ms per guest timer interrupt. A guest with
 * no timer armed (v86 then asks for 100 ms) is left to sleep as before.
 */
import type { V86 } from 'v86';

/** What this module replaces on v86's run loop (src/main.js); its typings do not list it. */
interface V86RunLoop {
  yield(ms: number, tick: number): void;
  yield_callback(tick: number): void;
}

interface WithRunLoop {
  readonly v86?: V86RunLoop;
}

/**
 * How far ahead of the interrupt setTimeout() must give way to polling:
 * the latest it fires is about 1 ms (libuv's millisecond clock) plus the
 * host's 50 µs timer slack after it was due, so with this margin it fires
 * before the interrupt is due.
 */
const SPIN_MARGIN_MS = 1.25;

/** What v86 asks for when no timer is armed at all: nothing to be precise about. */
const NOTHING_ARMED_MS = 100;

/** A module-level callback with arguments, not a closure per call: polling runs thousands of times a second, and less garbage means fewer GC pauses. */
function resume(loop: V86RunLoop, tick: number): void {
  loop.yield_callback(tick);
}

function preciseYield(this: V86RunLoop, ms: number, tick: number): void {
  const sleepMs = ms - SPIN_MARGIN_MS;
  // Node runs a timeout under 1 ms after 1 ms, which could overshoot; poll instead.
  if (sleepMs < 1) setImmediate(resume, this, tick);
  else setTimeout(resume, ms >= NOTHING_ARMED_MS ? ms : sleepMs, this, tick);
}

/**
 * Makes `emulator` wake its guest on time (see above), from the moment its
 * wasm has loaded and it has a run loop. Resolves with whether it could:
 * a v86 without that run loop keeps its own scheduling.
 */
export function wakeGuestOnTime(emulator: V86): Promise<boolean> {
  return new Promise((resolve) =>
    emulator.add_listener('emulator-loaded', () => {
      const loop = (emulator as unknown as WithRunLoop).v86;
      const installed = typeof loop?.yield === 'function' && typeof loop.yield_callback === 'function';
      if (installed) loop.yield = preciseYield;
      resolve(installed);
    }),
  );
}
