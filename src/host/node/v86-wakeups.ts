/**
 * When v86 runs the guest again after the guest went idle, in Node.
 *
 * v86 runs the guest in slices from the event loop. When the guest halts
 * (Linux idle, waiting for its next timer) v86 asks to be called back in
 * `ms`, the time until its next timer interrupt (the PIT in our guest), and
 * in Node it does so with setImmediate() below 1 ms and setTimeout(ms)
 * from 1 ms. Node truncates a timeout to whole milliseconds and libuv
 * sleeps in whole milliseconds plus the kernel's timer slack, so a wake-up
 * 1–2 ms away lands anywhere from about 1 ms early to 1 ms late, and one
 * under 1 ms away is polled with the process runnable all along, which a
 * busy host punishes by preempting it. A guest program's 1 ms epoll_wait
 * (a little over 1 ms with its timer slack) hits both cases.
 *
 * Instead: setTimeout() covers only what lies more than SPIN_MARGIN_MS
 * ahead, which it cannot overshoot; the last stretch is slept precisely
 * with Atomics.wait() (a futex with a sub-millisecond timeout, so the
 * process sleeps and is woken like any native sleeper) up to POLL_MS
 * before the interrupt, and only those last microseconds are polled with
 * setImmediate(). The price: while a guest timer is under SPIN_MARGIN_MS
 * away the event loop is blocked, so host input to an idle guest can wait
 * up to about 2 ms. A guest with no timer armed (v86 then asks for 100 ms)
 * is left to sleep as before. Measured in README, "Time in the guest";
 * `epoll-lab bench` compares both in one guest.
 *
 * Stopping is the same question: v86's stop() only raises a flag the next
 * slice reads, so stopping (and so destroying) an idle guest waited for its
 * next timer, ~25 ms at the end of every `exec` and up to 100 ms. The slice
 * that reads the flag is brought forward to now.
 */
import type { V86 } from 'v86';

/** What this module replaces on v86's run loop (src/main.js); its typings do not list it. */
interface V86RunLoop {
  yield(ms: number, tick: number): void;
  yield_callback(tick: number): void;
  stop(): void;
  /** Schedules the next slice in `ms`, replacing the one pending. */
  next_tick(ms: number): void;
  /** Between slices, waiting for the one scheduled. */
  readonly idle: boolean;
  readonly running: boolean;
}

interface WithRunLoop {
  readonly v86?: V86RunLoop;
}

/**
 * How far ahead of the interrupt setTimeout() must give way: the latest it
 * fires is about 1 ms (libuv's millisecond clock) plus the host's 50 µs
 * timer slack after it was due, so with this margin it fires before the
 * interrupt is due.
 */
const SPIN_MARGIN_MS = 1.25;

/** What is left to poll after Atomics.wait(): more than the host's timer slack (50 µs) and a thread's wake-up. */
const POLL_MS = 0.15;

/** What v86 asks for when no timer is armed at all: nothing to be precise about. */
const NOTHING_ARMED_MS = 100;

/** Atomics.wait() needs a shared cell; nobody ever notifies it, so every wait runs to its timeout. */
const neverNotified = new Int32Array(new SharedArrayBuffer(4));

/** A module-level callback with arguments, not a closure per call: polling runs thousands of times a second, and less garbage means fewer GC pauses. */
function resume(loop: V86RunLoop, tick: number): void {
  loop.yield_callback(tick);
}

function preciseYield(this: V86RunLoop, ms: number, tick: number): void {
  if (ms >= NOTHING_ARMED_MS) {
    setTimeout(resume, ms, this, tick);
  } else if (ms - SPIN_MARGIN_MS >= 1) {
    setTimeout(resume, ms - SPIN_MARGIN_MS, this, tick);
  } else {
    // Node runs a timeout under 1 ms after 1 ms, which could overshoot: sleep on a futex instead, then poll.
    if (ms > 2 * POLL_MS) Atomics.wait(neverNotified, 0, 0, ms - POLL_MS);
    setImmediate(resume, this, tick);
  }
}

/**
 * Makes `emulator` wake its guest on time (see above), from the moment its
 * wasm has loaded and it has a run loop, whenever `enabled()` says so (the
 * benchmark switches between this and v86's own scheduling in one guest).
 * Resolves with whether it could: a v86 without that run loop keeps its
 * own scheduling.
 */
export function wakeGuestOnTime(emulator: V86, enabled: () => boolean = () => true): Promise<boolean> {
  return new Promise((resolve) =>
    emulator.add_listener('emulator-loaded', () => {
      const loop = (emulator as unknown as WithRunLoop).v86;
      const installed = typeof loop?.yield === 'function' && typeof loop.yield_callback === 'function';
      if (installed) {
        const own = loop.yield;
        loop.yield = function (this: V86RunLoop, ms: number, tick: number) {
          (enabled() ? preciseYield : own).call(this, ms, tick);
        };
      }
      if (typeof loop?.stop === 'function' && typeof loop.next_tick === 'function') {
        const stop = loop.stop;
        loop.stop = function (this: V86RunLoop) {
          stop.call(this);
          // Inside a slice (called from a device callback) the slice's end reads the flag anyway.
          if (this.running && this.idle) this.next_tick(0);
        };
      }
      resolve(installed);
    }),
  );
}
