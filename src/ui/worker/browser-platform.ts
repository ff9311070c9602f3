/**
 * The browser half of GuestPlatform: v86 in this Worker, its wasm served
 * beside the page by Vite.
 */
import { V86 } from 'v86';
import wasmUrl from 'v86/build/v86.wasm?url';
import type { GuestPlatform } from '../../host/core/guest.js';

/**
 * v86 runs its machine from timer and message callbacks, so an abort inside
 * it (a panic in its wasm: "Unimplemented: #GP handler" when a rebooting
 * kernel triple-faults) is an uncaught WebAssembly.RuntimeError in this
 * Worker. While guests live, such an error goes to them instead of the
 * page's Worker error handler: each fails with EmulatorAbortError and its
 * kernel log, which the page's failure view shows (as in Node, see
 * node-platform.ts). Any other error is left to the browser.
 */
export function abortWatcher(scope: EventTarget): NonNullable<GuestPlatform['watchAborts']> {
  const listeners = new Set<(error: Error) => void>();
  const onError = (event: Event) => {
    const error: unknown = (event as ErrorEvent).error;
    if (!(error instanceof WebAssembly.RuntimeError) || listeners.size === 0) return;
    event.preventDefault();
    for (const listener of [...listeners]) listener(error);
  };
  return (onAbort) => {
    if (listeners.size === 0) scope.addEventListener('error', onError);
    listeners.add(onAbort);
    return () => {
      listeners.delete(onAbort);
      if (listeners.size === 0) scope.removeEventListener('error', onError);
    };
  };
}

const wasmHref = new URL(wasmUrl, import.meta.url).href;

/**
 * v86's wasm (2 MB), fetched and compiled from the moment this Worker
 * starts, alongside the snapshot's download, instead of after it when the
 * first emulator is made; every emulator of the Worker instantiates the one
 * module. A failure is not kept: the next emulator tries again.
 */
let compiledV86: Promise<WebAssembly.Module> | undefined;
function v86Module(): Promise<WebAssembly.Module> {
  compiledV86 ??= WebAssembly.compileStreaming(fetch(wasmHref)).catch((error: unknown) => {
    compiledV86 = undefined;
    throw error;
  });
  return compiledV86;
}
void v86Module().catch(() => undefined);

export const browserPlatform: GuestPlatform = {
  createEmulator: (options) =>
    new V86({
      ...options,
      wasm_path: wasmHref,
      wasm_fn: async (imports) => (await WebAssembly.instantiate(await v86Module(), imports)).exports,
    }),
  now: () => performance.now(),
  // In a Worker, the global scope is where uncaught errors are dispatched.
  watchAborts: abortWatcher(globalThis),
};
