/** The Node half of GuestPlatform: v86 from node_modules, its wasm compiled once (v86-wasm.ts). */
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { V86 } from 'v86';
import type { GuestPlatform } from '../core/guest.js';
import { instantiateV86 } from './v86-wasm.js';
import { wakeGuestOnTime } from './v86-wakeups.js';

const require = createRequire(import.meta.url);

/**
 * v86 runs its machine from timer callbacks, so an abort inside it (a Rust
 * panic: "Unimplemented: #GP handler" when a rebooting kernel triple-faults)
 * is an uncaught exception that would end the process with a raw wasm stack.
 * While guests live, such an error goes to them instead: each fails with the
 * kernel log. Anything else is reported as Node would and ends the process.
 */
const abortListeners = new Set<(error: Error) => void>();

function onUncaught(error: Error): void {
  // WebAssembly.RuntimeError: v86's Rust code panicked or trapped.
  if (error?.constructor?.name === 'RuntimeError' && abortListeners.size > 0) {
    for (const listener of [...abortListeners]) listener(error);
    return;
  }
  // Someone else listens too (a test runner): the error is theirs to report.
  if (process.listenerCount('uncaughtException') > 1) return;
  // Otherwise what Node itself does with an uncaught exception.
  process.stderr.write(`${error.stack ?? String(error)}\n`);
  process.exit(1);
}

/**
 * `wakeOnTime` returning false gives v86's own scheduling of an idle guest,
 * which `epoll-lab bench` measures beside ours, switching in one guest
 * (v86-wakeups.ts says why ours).
 */
export function createNodePlatform({ wakeOnTime }: { readonly wakeOnTime: () => boolean }): GuestPlatform {
  return {
    createEmulator: (options) => {
      const emulator = new V86({ ...options, wasm_fn: instantiateV86 });
      void wakeGuestOnTime(emulator, wakeOnTime);
      return emulator;
    },
    now: () => performance.now(),
    watchAborts,
  };
}

function watchAborts(onAbort: (error: Error) => void): () => void {
  if (abortListeners.size === 0) process.on('uncaughtException', onUncaught);
  abortListeners.add(onAbort);
  return () => {
    abortListeners.delete(onAbort);
    if (abortListeners.size === 0) process.off('uncaughtException', onUncaught);
  };
}

export const nodePlatform: GuestPlatform = createNodePlatform({ wakeOnTime: () => true });

/** The v86 build in use; snapshots are only valid for the build that made them. */
export const v86Version: string = (require('v86/package.json') as { version: string }).version;
